// What the ATA device needs from a disk: a size and sector reads that
// complete later (host I/O), and sector writes that land at once in a
// copy-on-write overlay. The file-backed implementation is in
// src/machine/file-disk.ts; MemoryDisk serves tests and small images.

export const SECTOR = 512;

export interface DiskBackend {
  /** Size in 512-byte sectors. */
  readonly sectors: number;
  /**
   * Read `count` sectors from `lba` into `into`; call `done(null)` when the
   * bytes are there, or `done(message)` on a host error. `done` may run
   * before read() returns (in-memory disks) or later, from the host's event loop.
   */
  read(lba: number, count: number, into: Uint8Array, done: (error: string | null) => void): void;
  /** Write whole sectors (data.length a multiple of 512) at `lba`. */
  write(lba: number, data: Uint8Array): void;
  /** Reads begun and not yet completed (the machine waits for these). */
  readonly inFlight: number;
}

/** Sectors the guest wrote, kept in memory over an unchanged base. */
export class SectorOverlay {
  private readonly map = new Map<number, Uint8Array>();

  get size(): number {
    return this.map.size;
  }

  put(lba: number, data: Uint8Array): void {
    for (let i = 0; i * SECTOR < data.length; i++) this.map.set(lba + i, data.slice(i * SECTOR, (i + 1) * SECTOR));
  }

  /** Copy overlay sectors over `into`, which holds `count` sectors read from `lba`. */
  apply(lba: number, count: number, into: Uint8Array): void {
    if (this.map.size === 0) return;
    for (let i = 0; i < count; i++) {
      const s = this.map.get(lba + i);
      if (s) into.set(s, i * SECTOR);
    }
  }

  /** Written sectors in LBA order. */
  entries(): [number, Uint8Array][] {
    return [...this.map.entries()].sort((a, b) => a[0] - b[0]);
  }
}

/** A disk held in memory; reads complete at once. */
export class MemoryDisk implements DiskBackend {
  readonly sectors: number;
  readonly inFlight = 0;
  private readonly overlay = new SectorOverlay();

  constructor(private readonly bytes: Uint8Array) {
    if (bytes.length % SECTOR !== 0) throw new RangeError(`disk size ${bytes.length} is not a multiple of 512`);
    this.sectors = bytes.length / SECTOR;
  }

  read(lba: number, count: number, into: Uint8Array, done: (error: string | null) => void): void {
    into.set(this.bytes.subarray(lba * SECTOR, (lba + count) * SECTOR));
    this.overlay.apply(lba, count, into);
    done(null);
  }

  write(lba: number, data: Uint8Array): void {
    this.overlay.put(lba, data);
  }

  /** The sectors the guest has written, in LBA order (one 512-byte array each). */
  written(): [number, Uint8Array][] {
    return this.overlay.entries();
  }

  /** The disk as the guest now sees it. */
  contents(): Uint8Array {
    const out = this.bytes.slice();
    for (const [lba, s] of this.overlay.entries()) out.set(s, lba * SECTOR);
    return out;
  }
}

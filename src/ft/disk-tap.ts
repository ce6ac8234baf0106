// A disk backend that notes every sector the guest writes, in order: disk
// writes are an FT output channel (compared between the two guests), and a
// resync must carry the sectors either side wrote since the common point
// (the disk's contents are not in the machine state).

import { SECTOR, type DiskBackend } from '../devices/disk-backend.js';

export interface DiskWrite {
  lba: number;
  data: Uint8Array;
  icount: number;
}

export class DiskTap implements DiskBackend {
  /** Writes not yet compared (or released), in order. */
  readonly writes: DiskWrite[] = [];
  /** Writes made so far, compared or not. */
  count = 0;
  /** Sectors written since the last common point. */
  readonly since = new Set<number>();
  /** The latest contents of every sector written (a resync reads the primary's here). */
  private readonly latest = new Map<number, Uint8Array>();

  constructor(readonly inner: DiskBackend, private readonly icount: () => number) {}

  get sectors(): number {
    return this.inner.sectors;
  }

  get inFlight(): number {
    return this.inner.inFlight;
  }

  read(lba: number, count: number, into: Uint8Array, done: (error: string | null) => void): void {
    this.inner.read(lba, count, into, done);
  }

  write(lba: number, data: Uint8Array): void {
    this.inner.write(lba, data);
    this.writes.push({ lba, data: data.slice(), icount: this.icount() });
    this.count++;
    for (let i = 0; i * SECTOR < data.length; i++) {
      this.since.add(lba + i);
      this.latest.set(lba + i, data.slice(i * SECTOR, (i + 1) * SECTOR));
    }
  }

  /** The sector as this guest wrote it last, or null when it never wrote it. */
  written(lba: number): Uint8Array | null {
    return this.latest.get(lba) ?? null;
  }

  /** Every sector this guest has written. */
  writtenSectors(): number[] {
    return [...this.latest.keys()];
  }

  /** Make sector `lba` hold `data` without counting it as a guest write (a resync). */
  put(lba: number, data: Uint8Array): void {
    this.inner.write(lba, data);
    this.latest.set(lba, data.slice());
  }
}

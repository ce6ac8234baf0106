// A disk whose host reads complete after a random, seeded delay: stands in
// for host I/O timing in the completion-interrupt tests. Reads copy the
// sectors when they complete, as a real asynchronous read fills the buffer late.
import type { DiskBackend } from '../../src/devices/disk-backend.js';
import { MemoryDisk } from '../../src/devices/disk-backend.js';

/** xorshift32, seeded: the delays differ between seeds, never between runs of one seed. */
export function seededDelays(seed: number, maxUs: number): () => number {
  let s = seed | 0 || 1;
  return () => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return ((s >>> 0) % (maxUs + 1)) / 1000;
  };
}

export class DelayedDisk implements DiskBackend {
  inFlight = 0;
  /** Host delay of each read so far, in ms. */
  readonly delays: number[] = [];
  private readonly inner: MemoryDisk;

  /** `delayMs` gives each read's host delay. */
  constructor(bytes: Uint8Array, private readonly delayMs: () => number) {
    this.inner = new MemoryDisk(bytes);
  }

  get sectors(): number {
    return this.inner.sectors;
  }

  read(lba: number, count: number, into: Uint8Array, done: (error: string | null) => void): void {
    const ms = this.delayMs();
    this.delays.push(ms);
    this.inFlight++;
    setTimeout(() => {
      this.inner.read(lba, count, into, (err) => {
        this.inFlight--;
        done(err);
      });
    }, ms);
  }

  write(lba: number, data: Uint8Array): void {
    this.inner.write(lba, data);
  }
}

// Shared vocabulary of the buffered non-deterministic instructions (DESIGN
// section 5): the entry kinds, the check value over entry positions, one
// flushed buffer (a block) and the counters `inspect` and `--stats` report.

/** Entry kinds. The number is the 2-bit tag in the packed stream: changing it needs a format version bump. */
export const ND_RDTSC = 0;
/** RDRAND, either operand size (the 32-bit value is kept; the replay masks it for a 16-bit operand). */
export const ND_RDRAND = 1;
export const ND_RDSEED = 2;
/** A read of the host clock by a device model (PIT, RTC): packed like RDTSC, with its own delta chain. */
export const ND_CLOCK = 3;
export const ND_KIND_NAMES: readonly string[] = ['rdtsc', 'rdrand', 'rdseed', 'clock'];

/** One buffer's worth of entries, as written to and read from an `nd` frame. */
export interface NdBlock {
  /** Entries used: kinds, icounts and values hold at least this many. */
  count: number;
  kinds: Uint8Array;
  icounts: Float64Array;
  /** RDTSC and clock values are safe integers; RDRAND/RDSEED values unsigned 32-bit. */
  values: Float64Array;
  /** ndCheck over (icount, EIP) of every entry, unsigned 32-bit. */
  check: number;
  /** icount when the block was flushed: the recorder had logged every entry before it. */
  at: number;
}

export const ND_CHECK_SEED = 0x2545f491;

/**
 * Fold one entry's position into the running check value. Every word of the
 * icount and EIP changes the result (murmur3's mixing step), so an entry taken
 * at another EIP is caught even when the icounts agree.
 */
export function ndCheckStep(h: number, icount: number, eip: number): number {
  let k = Math.imul(icount | 0, 0xcc9e2d51);
  k = (k << 15) | (k >>> 17);
  h ^= Math.imul(k, 0x1b873593);
  h = (h << 13) | (h >>> 19);
  h = (Math.imul(h, 5) + 0xe6546b64) | 0;
  k = Math.imul(eip | 0, 0xcc9e2d51);
  k = (k << 15) | (k >>> 17);
  h ^= Math.imul(k, 0x1b873593);
  h = (h << 13) | (h >>> 19);
  return (Math.imul(h, 5) + 0xe6546b64) | 0;
}

/** Counts for `inspect` and `--stats`; one set per source, so two machines keep theirs apart. */
export class NdCounters {
  /** Entries per kind, indexed by ND_RDTSC ... ND_CLOCK. */
  readonly perKind = new Float64Array(4);
  /** Times the CPU loop was left because the buffer was full (record) or empty (replay). */
  bufferExits = 0;
  /** Blocks written or read. */
  blocks = 0;

  get total(): number {
    const k = this.perKind;
    return k[0] + k[1] + k[2] + k[3];
  }

  toJSON(): Record<string, number> {
    const k = this.perKind;
    return { rdtsc: k[0], rdrand: k[1], rdseed: k[2], clock: k[3], total: this.total, bufferExits: this.bufferExits, blocks: this.blocks };
  }
}

/** Re-exported for the modules that import it from here; defined once in hex.ts. */
export { hex32 } from './hex.js';

export function ndKindName(kind: number): string {
  return ND_KIND_NAMES[kind] ?? `kind ${kind}`;
}


// The fixed-size typed ND buffer of DESIGN section 5. Record appends entries
// and says when it is full; replay takes entries and says when it is empty.
// Only then does the CPU loop have to be left, so the per-instruction cost is
// a few typed-array stores and the check-value mix, with no allocation.

import { ND_CHECK_SEED, ndCheckStep, ndKindName, type NdBlock } from './nd-block.js';
import { hex32 } from './hex.js';

export const MAX_ND_BUFFER = 1 << 20;

function checkCapacity(capacity: number): number {
  if (!Number.isInteger(capacity) || capacity < 1 || capacity > MAX_ND_BUFFER) {
    throw new RangeError(`ND buffer size ${capacity} is not an integer from 1 to ${MAX_ND_BUFFER}`);
  }
  return capacity;
}

export class NdRecordBuffer {
  readonly capacity: number;
  readonly kinds: Uint8Array;
  readonly icounts: Float64Array;
  readonly values: Float64Array;
  count = 0;
  check = ND_CHECK_SEED;

  constructor(capacity: number) {
    this.capacity = checkCapacity(capacity);
    this.kinds = new Uint8Array(capacity);
    this.icounts = new Float64Array(capacity);
    this.values = new Float64Array(capacity);
  }

  get full(): boolean {
    return this.count === this.capacity;
  }

  /** Append one entry (the caller has made room); true when the buffer has just become full. */
  append(kind: number, value: number, icount: number, eip: number): boolean {
    const i = this.count;
    this.kinds[i] = kind;
    this.icounts[i] = icount;
    this.values[i] = value;
    this.check = ndCheckStep(this.check, icount, eip);
    this.count = i + 1;
    return i + 1 === this.capacity;
  }

  /** The contents as a block of views (no copy), valid until reset(). */
  block(at: number): NdBlock {
    return { count: this.count, kinds: this.kinds, icounts: this.icounts, values: this.values, check: this.check >>> 0, at };
  }

  reset(): void {
    this.count = 0;
    this.check = ND_CHECK_SEED;
  }
}

export type NdDivergenceReason = 'mismatch' | 'check' | 'starved' | 'unconsumed';

export interface NdPosition {
  kind: number;
  icount: number;
  eip?: number;
}

/** A replay that consumed ND values somewhere else than the recording did. */
export class NdDivergence extends Error {
  override readonly name = 'NdDivergence';
  constructor(
    readonly reason: NdDivergenceReason,
    message: string,
    /** Entry index in the block, or -1. */
    readonly entry: number,
    readonly expected: NdPosition | null,
    readonly actual: NdPosition | null,
  ) {
    super(message);
  }
}

function where(p: NdPosition): string {
  return `${ndKindName(p.kind)} at icount ${p.icount}` + (p.eip === undefined ? '' : ` (EIP ${hex32(p.eip)})`);
}

export class NdReplayBuffer {
  private block: NdBlock | null = null;
  /** Says where the block came from in messages, e.g. "frame 9 (offset 4021)" (replayer.ts). */
  private origin = '';
  pos = 0;
  count = 0;
  private check = ND_CHECK_SEED;
  /** First entry taken at the wrong icount or as the wrong kind, or -1. */
  private badEntry = -1;
  private readonly actual: NdPosition = { kind: 0, icount: 0, eip: 0 };

  get empty(): boolean {
    return this.pos >= this.count;
  }

  /** A copy at the same place in the same block (blocks are never changed once loaded). */
  clone(): NdReplayBuffer {
    const c = new NdReplayBuffer();
    c.block = this.block;
    c.origin = this.origin;
    c.pos = this.pos;
    c.count = this.count;
    c.check = this.check;
    c.badEntry = this.badEntry;
    Object.assign(c.actual, this.actual);
    return c;
  }

  /** True once an entry was taken at another icount or as another kind. */
  get diverged(): boolean {
    return this.badEntry >= 0;
  }

  load(block: NdBlock, origin: string): void {
    this.block = block;
    this.origin = origin;
    this.pos = 0;
    this.count = block.count;
    this.check = ND_CHECK_SEED;
    this.badEntry = -1;
  }

  /** Take the next value (the caller checked `empty`); a wrong position is noted for verify(). */
  take(kind: number, icount: number, eip: number): number {
    const b = this.block as NdBlock;
    const i = this.pos++;
    this.check = ndCheckStep(this.check, icount, eip);
    if ((b.kinds[i] !== kind || b.icounts[i] !== icount) && this.badEntry < 0) {
      this.badEntry = i;
      this.actual.kind = kind;
      this.actual.icount = icount;
      this.actual.eip = eip;
    }
    return b.values[i];
  }

  /**
   * Throw NdDivergence if an entry was taken at the wrong place. The check
   * value (which also covers EIPs) can only be compared once the whole block
   * is consumed; `final` also demands that it was, up to the entries logged
   * before icount `before` (a position mid-log: later entries are still to come).
   */
  verify(final = false, before = Number.POSITIVE_INFINITY): void {
    const b = this.block;
    if (!b) return;
    const from = `the ND block from ${this.origin}`;
    if (this.badEntry >= 0) {
      const i = this.badEntry;
      const exp = { kind: b.kinds[i], icount: b.icounts[i] };
      const act = { ...this.actual };
      throw new NdDivergence('mismatch', `ND divergence at entry ${i} of ${from}: the log has ${where(exp)}, the replay executed ${where(act)}`, i, exp, act);
    }
    if (this.pos === this.count && this.count > 0 && this.check >>> 0 !== b.check) {
      throw new NdDivergence(
        'check',
        `ND divergence in ${from}: check value ${hex32(b.check)} in the log, ${hex32(this.check)} in the replay ` +
          `(every icount matched, so an entry was taken at another EIP)`,
        -1, null, null,
      );
    }
    if (final && this.pos < this.count && b.icounts[this.pos] < before) {
      const i = this.pos;
      const exp = { kind: b.kinds[i], icount: b.icounts[i] };
      throw new NdDivergence('unconsumed', `ND divergence: the replay ended before entry ${i} of ${from}, ${where(exp)}`, i, exp, null);
    }
  }
}

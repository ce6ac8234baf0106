// NdSource implementations for record and replay (the CPU calls them for
// RDTSC, RDRAND, RDSEED and the TSC MSR; device models for host clock reads).
// Each call costs a few typed-array accesses; leaving the CPU loop is
// requested only when the buffer fills (record) or empties (replay).

import type { NdSource } from '../cpu/cpu.js';
import { ND_CLOCK, ND_RDRAND, ND_RDSEED, ND_RDTSC, NdCounters, ndKindName, type NdBlock } from './nd-block.js';
import { hex32 } from './hex.js';
import { NdDivergence, NdRecordBuffer, NdReplayBuffer } from './nd-buffer.js';

/** What the sources read from the CPU for positions (the Cpu class has both fields). */
export interface CpuPosition {
  icount: number;
  /** EIP of the instruction being executed. */
  prevEip: number;
}

/** A host source that may also read the host clock for device models. */
export interface HostNdSource extends NdSource {
  clockNs?(): number;
}

const DETACHED: CpuPosition = { icount: 0, prevEip: 0 };
const noop = (): void => {};

export class RecordNdSource implements NdSource {
  readonly counters = new NdCounters();
  private readonly buf: NdRecordBuffer;
  private pos: CpuPosition = DETACHED;
  private exit: () => void = noop;

  /** `sink` receives each flushed block (views valid only during the call) and writes it to the log. */
  constructor(
    private readonly host: HostNdSource,
    capacity: number,
    private readonly sink: (block: NdBlock) => void,
  ) {
    this.buf = new NdRecordBuffer(capacity);
  }

  /** Give the source the CPU's position and a way to leave the CPU loop (session-inputs.ts passes () => cpu.requestReturn()). */
  attach(pos: CpuPosition, exit: () => void): void {
    this.pos = pos;
    this.exit = exit;
  }

  rdtsc(): number {
    const v = this.host.rdtsc();
    this.put(ND_RDTSC, v);
    return v;
  }

  rdrand(bits: number, seed: boolean): number {
    const v = this.host.rdrand(bits, seed);
    this.put(seed ? ND_RDSEED : ND_RDRAND, v >>> 0);
    return v;
  }

  /** Host monotonic nanoseconds for a device model, recorded like RDTSC. */
  clockNs(): number {
    if (!this.host.clockNs) throw new Error('the host input source has no clock (clockNs)');
    const v = this.host.clockNs();
    this.put(ND_CLOCK, v);
    return v;
  }

  /** The buffer is full: the run loop should call serviceExit() before the next instruction. */
  get pending(): boolean {
    return this.buf.full;
  }

  /** At a buffer exit: flush a full buffer to the sink. */
  serviceExit(): void {
    if (this.buf.full) this.flush();
  }

  /** Flush whatever is buffered (before a checkpoint, at the end). */
  flush(): void {
    if (this.buf.count === 0) return;
    this.counters.blocks++;
    this.sink(this.buf.block(this.pos.icount));
    this.buf.reset();
  }

  private put(kind: number, v: number): void {
    const buf = this.buf;
    // The run loop missed a buffer exit (e.g. single-stepping): flush here rather than lose an entry.
    if (buf.count === buf.capacity) this.flush();
    this.counters.perKind[kind]++;
    if (buf.append(kind, v, this.pos.icount, this.pos.prevEip)) {
      this.counters.bufferExits++;
      this.exit();
    }
  }
}

/** Supplies the next block of the log and says where it came from, or null when the log has no more. */
export type NdSupply = () => { block: NdBlock; origin: string } | null;

export interface NdSourceCursor {
  readonly buf: NdReplayBuffer;
  readonly pending: boolean;
  readonly ended: boolean;
  readonly lastOrigin: string;
  readonly failure: unknown;
}

export class ReplayNdSource implements NdSource {
  readonly counters = new NdCounters();
  private buf = new NdReplayBuffer();
  private pos: CpuPosition = DETACHED;
  private exit: () => void = noop;
  /** Set when the run loop should call serviceExit(): the buffer is empty, or something diverged. */
  pending = true;
  private ended = false;
  private lastOrigin = 'the header';
  /** A divergence or log error met inside an instruction, thrown at the next serviceExit(). */
  private failure: unknown = null;

  constructor(private readonly supply: NdSupply) {}

  attach(pos: CpuPosition, exit: () => void): void {
    this.pos = pos;
    this.exit = exit;
  }

  rdtsc(): number {
    return this.take(ND_RDTSC);
  }

  rdrand(bits: number, seed: boolean): number {
    const v = this.take(seed ? ND_RDSEED : ND_RDRAND);
    return bits === 16 ? v & 0xffff : v;
  }

  clockNs(): number {
    return this.take(ND_CLOCK);
  }

  /**
   * At a buffer exit: throw NdDivergence if an entry was taken at the wrong
   * place (or the log ran out), else refill an empty buffer from the log.
   */
  serviceExit(): void {
    if (this.failure) throw this.failure;
    this.buf.verify();
    this.refill();
    this.pending = this.buf.empty && !this.ended;
  }

  /** Forget the current block (the replay moved to a checkpoint); the next value comes from the supply. */
  reset(): void {
    this.buf = new NdReplayBuffer();
    this.pending = true;
    this.ended = false;
    this.failure = null;
  }

  /** Where the source is in the log's ND values, for an in-memory snapshot of a replay (Replayer.saveReading). */
  save(): NdSourceCursor {
    return { buf: this.buf.clone(), pending: this.pending, ended: this.ended, lastOrigin: this.lastOrigin, failure: this.failure };
  }

  restore(c: NdSourceCursor): void {
    this.buf = c.buf.clone();
    this.pending = c.pending;
    this.ended = c.ended;
    this.lastOrigin = c.lastOrigin;
    this.failure = c.failure;
  }

  /**
   * At the end of a replay: everything recorded must have been consumed, at
   * the right places. At a position `before` inside the log (an FT round's
   * end), only the entries logged before it: a block the buffer already
   * loaded may hold later ones.
   */
  finish(before = Number.POSITIVE_INFINITY): void {
    if (this.failure) throw this.failure;
    this.buf.verify(true, before);
  }

  /** Load blocks until one has entries (a well-formed log has no empty ones) or the log has no more. */
  private refill(): void {
    while (this.buf.empty && !this.ended) {
      const next = this.supply();
      if (!next) {
        this.ended = true;
        return;
      }
      this.counters.blocks++;
      this.lastOrigin = next.origin;
      this.buf.load(next.block, next.origin);
    }
  }

  private take(kind: number): number {
    const buf = this.buf;
    if (buf.empty) {
      // The run loop missed a buffer exit. Refill here, but never throw out of
      // the middle of an instruction: keep the failure for serviceExit().
      try {
        buf.verify();
        this.refill();
      } catch (e) {
        return this.fail(e);
      }
      if (buf.empty) return this.starve(kind);
    }
    this.counters.perKind[kind]++;
    const v = buf.take(kind, this.pos.icount, this.pos.prevEip);
    if (buf.empty) {
      this.counters.bufferExits++;
      this.pending = true;
      this.exit();
    } else if (buf.diverged) {
      this.pending = true;
      this.exit();
    }
    return v;
  }

  private starve(kind: number): number {
    const act = { kind, icount: this.pos.icount, eip: this.pos.prevEip };
    return this.fail(new NdDivergence(
      'starved',
      `the log has no ND value left for ${ndKindName(kind)} at icount ${act.icount} (EIP ${hex32(act.eip)}); its last ND block is from ${this.lastOrigin}`,
      -1, null, act,
    ));
  }

  /** Keep the first failure, leave the CPU loop, and give the instruction a harmless 0. */
  private fail(e: unknown): number {
    this.failure ??= e;
    this.pending = true;
    this.exit();
    return 0;
  }
}

// The input source: the only door through which non-determinism enters the
// machine (DESIGN section 4). In run mode it serves host values. This is the
// one module allowed to read the host clock and random number generator.

import { randomBytes } from 'node:crypto';
import type { NdSource } from '../cpu/cpu.js';
import type { MachineConfig, RtcBase } from '../machine/config.js';

/** What a host source takes besides the TSC rate: where the RTC starts, and a seed for RDRAND/RDSEED. */
export interface HostInputOptions {
  /** 'utc': the host's time; 'localtime': the host's local time; a number: that time (ms since the epoch). Default 'utc'. */
  rtcBase?: RtcBase;
  /** RDRAND/RDSEED from a generator seeded with this (0 to 2^32-1) instead of the host's crypto RNG. */
  seed?: number | null;
}

/** xorshift32* over a state derived from the seed: reproducible guest randomness, never for secrets. */
class SeededRandom {
  /** The generator's whole state: where its sequence is (HostInputSource.randomPosition). */
  x: number;

  constructor(seed: number) {
    // Spread the seed (0 is a fixed point of xorshift) and never start at 0.
    this.x = (Math.imul((seed >>> 0) ^ 0x5bd1e995, 0x9e3779b1) >>> 0) || 0x6d2b79f5;
  }

  next32(): number {
    let x = this.x;
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    this.x = x >>> 0;
    return Math.imul(this.x, 0x2545f491) >>> 0;
  }
}

export type InputMode = 'run' | 'record' | 'replay';

/** Host-backed values for `vmrr run`. */
export class HostInputSource implements NdSource {
  readonly mode: InputMode = 'run';
  private readonly start = process.hrtime.bigint();
  private pool = Buffer.alloc(0);
  private poolPos = 0;
  private readonly seeded: SeededRandom | null;
  private readonly rtcBase: RtcBase;

  /** Nominal TSC frequency in MHz: the counter advances this many ticks per microsecond of host time. */
  constructor(private readonly mhz = 1000, opts: HostInputOptions = {}) {
    this.seeded = opts.seed === undefined || opts.seed === null ? null : new SeededRandom(opts.seed);
    this.rtcBase = opts.rtcBase ?? 'utc';
  }

  rdtsc(): number {
    const ns = Number(process.hrtime.bigint() - this.start);
    return Math.floor((ns * this.mhz) / 1000);
  }

  rdrand(bits: number, _seed: boolean): number {
    if (this.seeded) {
      const v = this.seeded.next32();
      return bits === 16 ? v & 0xffff : v;
    }
    if (this.poolPos + 4 > this.pool.length) {
      this.pool = randomBytes(4096);
      this.poolPos = 0;
    }
    const v = this.pool.readUInt32LE(this.poolPos);
    this.poolPos += 4;
    return bits === 16 ? v & 0xffff : v;
  }

  /**
   * Where the seeded RDRAND/RDSEED sequence is (null when unseeded: host
   * randomness has no position). A VM's replicated state carries it, so a
   * restored guest goes on with the values the original would have drawn.
   */
  get randomPosition(): number | null {
    return this.seeded ? this.seeded.x : null;
  }

  /** Continue the seeded sequence from a position randomPosition gave (ignored when unseeded). */
  setRandomPosition(x: number | null | undefined): void {
    if (this.seeded && typeof x === 'number') this.seeded.x = x >>> 0;
  }

  /** Host monotonic time in nanoseconds since the source was created. */
  nowNs(): number {
    return Number(process.hrtime.bigint() - this.start);
  }

  /** Guest-visible host time (ns since power-on): every value is a guest input (PIT, RTC, timer events). */
  clockNs(): number {
    return this.nowNs();
  }

  /** The same clock for the machine's scheduler; never shown to the guest, so never logged. */
  peekClockNs(): number {
    return this.nowNs();
  }

  /** Wall-clock time (ms since the Unix epoch) for the RTC at power-on: a guest input (--rtc-base). */
  wallClockMs(): number {
    if (typeof this.rtcBase === 'number') return this.rtcBase;
    const now = Date.now();
    // The RTC shows its time as UTC fields: local time is UTC shifted by the host's offset.
    return this.rtcBase === 'localtime' ? now - new Date(now).getTimezoneOffset() * 60_000 : now;
  }

  /** The host's time now (ms since the epoch), for a log header's creation time: never a guest input. */
  hostTimeMs(): number {
    return Date.now();
  }
}

/** A wall-clock time (ms since the epoch, from wallClockMs) as ISO 8601 UTC, for log headers. */
export function isoTime(ms: number): string {
  return new Date(ms).toISOString();
}

/** The host source a configuration asks for: its TSC rate, RTC base and RDRAND seed. */
export function hostInputFor(c: Pick<MachineConfig, 'mhz' | 'rtcBase' | 'seed'>): HostInputSource {
  return new HostInputSource(c.mhz, { rtcBase: c.rtcBase, seed: c.seed });
}

// The input source: the only door through which non-determinism enters the
// machine (DESIGN section 4). In run mode it serves host values. This is the
// one module allowed to read the host clock and random number generator.

import { randomBytes } from 'node:crypto';
import type { NdSource } from '../cpu/cpu.js';

export type InputMode = 'run' | 'record' | 'replay';

/** Host-backed values for `vmrr run`. */
export class HostInputSource implements NdSource {
  readonly mode: InputMode = 'run';
  private readonly start = process.hrtime.bigint();
  private pool = Buffer.alloc(0);
  private poolPos = 0;

  /** Nominal TSC frequency in MHz: the counter advances this many ticks per microsecond of host time. */
  constructor(private readonly mhz = 1000) {}

  rdtsc(): number {
    const ns = Number(process.hrtime.bigint() - this.start);
    return Math.floor((ns * this.mhz) / 1000);
  }

  rdrand(bits: number, _seed: boolean): number {
    if (this.poolPos + 4 > this.pool.length) {
      this.pool = randomBytes(4096);
      this.poolPos = 0;
    }
    const v = this.pool.readUInt32LE(this.poolPos);
    this.poolPos += 4;
    return bits === 16 ? v & 0xffff : v;
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

  /** Wall-clock time (ms since the Unix epoch) for the RTC at power-on: a guest input. */
  wallClockMs(): number {
    return Date.now();
  }
}

/** A wall-clock time (ms since the epoch, from wallClockMs) as ISO 8601 UTC, for log headers. */
export function isoTime(ms: number): string {
  return new Date(ms).toISOString();
}

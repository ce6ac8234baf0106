// Guest time. Devices read it through `now()`; nothing in the machine or the
// devices reads the host clock. Two clocks:
//  - virtual: derived from the instruction count at a nominal MHz, plus the
//    time skipped while the CPU idled in HLT. Fully deterministic.
//  - host: the host's monotonic clock, asked of the input source.
// `now()` is a guest-visible read (record logs it, replay serves it from the
// log); `peek()` is the scheduler's look, never shown to the guest, so a
// replay never needs to reproduce it.

/** The host time the input source serves (see src/replay/input-source.ts). */
export interface HostTimeSource {
  /** Host monotonic time in nanoseconds since power-on (a guest input). */
  clockNs(): number;
  /** The same clock for the scheduler (not a guest input, never logged). */
  peekClockNs(): number;
}

export type ClockMode = 'host' | 'virtual';

export interface GuestClock {
  readonly mode: ClockMode;
  /** Guest nanoseconds since power-on, as the guest observes them. */
  now(): number;
  /** The same value for the scheduler: not an input to the guest. */
  peek(): number;
  /** Instruction count at which now() first reaches `ns` (virtual only; NaN for host). */
  icountAt(ns: number): number;
  /** Let guest time jump to `ns` while the CPU idles (virtual only). */
  skipTo(ns: number): void;
  save(): ClockState;
  load(s: ClockState): void;
}

export interface ClockState {
  v: 1;
  mode: ClockMode;
  /** Virtual: guest time skipped in HLT. */
  idleNs: number;
  /** Host: the latest time the guest was shown (now() never goes below it). */
  lastNs: number;
}

/** The instruction counter, as the clock needs it. */
export interface IcountSource {
  readonly icount: number;
}

/** Guest time = icount * 1000 / mhz nanoseconds, plus idle time skipped in HLT. */
export class VirtualClock implements GuestClock {
  readonly mode = 'virtual' as const;
  private idleNs = 0;
  private readonly nsPerInsn: number;

  constructor(private readonly cpu: IcountSource, readonly mhz: number) {
    this.nsPerInsn = 1000 / mhz;
  }

  now(): number {
    return Math.floor(this.cpu.icount * this.nsPerInsn) + this.idleNs;
  }

  peek(): number {
    return this.now();
  }

  icountAt(ns: number): number {
    if (ns === Infinity) return Infinity;
    const t = ns - this.idleNs;
    if (t <= 0) return this.cpu.icount;
    // Float rounding can land one short or one past; settle on the exact first count.
    let ic = Math.max(0, Math.ceil(t / this.nsPerInsn) - 1);
    while (Math.floor(ic * this.nsPerInsn) < t) ic++;
    return ic;
  }

  /**
   * Skip idle time to `ns`, rounded up to whole nanoseconds: device deadlines
   * can be fractional (a UART character at 115200 baud is 86805.5 ns), and
   * guest time stays an integer, as the log's time fields are.
   */
  skipTo(ns: number): void {
    const cur = this.now();
    const to = Math.ceil(ns);
    if (to > cur) this.idleNs += to - cur;
  }

  /**
   * The TSC: one tick per instruction, plus the ticks of the time idled in
   * HLT, so it runs at `mhz` over idle time as the PIT and RTC do (a kernel
   * that calibrates the TSC against the PIT, or checks it against the
   * timer, finds them consistent).
   */
  tsc(): number {
    return this.cpu.icount + Math.floor((this.idleNs * this.mhz) / 1000);
  }

  save(): ClockState {
    return { v: 1, mode: 'virtual', idleNs: this.idleNs, lastNs: 0 };
  }

  load(s: ClockState): void {
    if (s.v !== 1 || s.mode !== 'virtual') throw new Error(`clock state: cannot load ${s.mode} v${s.v} into a virtual clock`);
    this.idleNs = s.idleNs;
  }
}

/** Guest time = the host's monotonic clock, served by the input source; never runs backwards. */
export class HostClock implements GuestClock {
  readonly mode = 'host' as const;
  private last = 0;
  /**
   * Guest time the scheduler's next event is due. When the guest itself
   * reads a time at or past it, `onPassed` runs so the event is delivered
   * after this instruction instead of at the end of the slice: the guest
   * never sees time past a deadline whose interrupt it then misses for long.
   */
  watch = Infinity;
  onPassed: () => void = () => {};

  constructor(private readonly source: HostTimeSource) {}

  now(): number {
    const t = this.source.clockNs();
    if (t > this.last) this.last = t;
    if (this.last >= this.watch) {
      this.watch = Infinity;
      this.onPassed();
    }
    return this.last;
  }

  peek(): number {
    return Math.max(this.last, this.source.peekClockNs());
  }

  icountAt(): number {
    return NaN;
  }

  skipTo(): void {}

  save(): ClockState {
    return { v: 1, mode: 'host', idleNs: 0, lastNs: this.last };
  }

  load(s: ClockState): void {
    if (s.v !== 1 || s.mode !== 'host') throw new Error(`clock state: cannot load ${s.mode} v${s.v} into a host clock`);
    // The clamp is state: a replayed read below it must give what the recorded one gave.
    this.last = s.lastNs;
    this.watch = Infinity;
  }
}

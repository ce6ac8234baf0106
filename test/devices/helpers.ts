// Test doubles for device unit tests: a guest clock the test moves by hand.
import type { ClockState, GuestClock } from '../../src/machine/clock.js';

export class ManualClock implements GuestClock {
  readonly mode = 'virtual' as const;
  t = 0;
  reads = 0;
  now(): number {
    this.reads++;
    return this.t;
  }
  peek(): number {
    return this.t;
  }
  icountAt(): number {
    return NaN;
  }
  skipTo(ns: number): void {
    this.t = Math.max(this.t, ns);
  }
  save(): ClockState {
    return { v: 1, mode: 'virtual', idleNs: this.t };
  }
  load(s: ClockState): void {
    this.t = s.idleNs;
  }
}

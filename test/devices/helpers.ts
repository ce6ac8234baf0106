// Test doubles: a guest clock the test moves by hand, serial input from bytes.
import type { ClockState, GuestClock } from '../../src/machine/clock.js';
import type { ByteSource } from '../../src/machine/events.js';

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
/** Serial input from bytes the test already has. */
export class ArrayByteSource implements ByteSource {
  private pos = 0;
  constructor(private readonly bytes: Uint8Array) {}
  next(): number {
    return this.pos < this.bytes.length ? this.bytes[this.pos++] : -1;
  }
  get available(): boolean {
    return this.pos < this.bytes.length;
  }
  get ended(): boolean {
    return this.pos >= this.bytes.length;
  }
  onActivity(): void {}
}


// Keystrokes for the PS/2 keyboard from a host byte stream (--keys FILE):
// each byte is a key typed (a press, then a release; Shift around it for
// upper case and shifted symbols), turned here into scan codes. A key event
// carries one set-1 scan code (bit 7 set for a release); the i8042 hands it
// to the guest as set 1 when its command byte asks for translation, else
// as the set-2 code the keyboard itself sends (docs/platform.md). A NUL
// byte types nothing and pauses for KEY_PAUSE_NS of guest time. The pause and
// the queue are the host side of the input, like the serial input's bytes:
// a replay takes the events from the log and never reads them.

import type { ByteSource } from './events.js';
import { scanCodesOf } from '../devices/ps2-scancodes.js';

export { scanCodesOf, set2Of } from '../devices/ps2-scancodes.js';

/** Guest time a NUL byte in the key file waits. */
export const KEY_PAUSE_NS = 1_000_000_000;

export class KeyInput {
  private readonly queue: number[] = [];
  /** Guest time before which no key comes (a NUL's pause), from the time `pauseFrom` asked. */
  private notBefore = 0;

  constructor(private readonly src: ByteSource) {}

  /** The next scan code if one can be typed at guest time `now`, without taking it; -1: none now. */
  peek(now: number): number {
    for (;;) {
      if (this.queue.length > 0) return now >= this.notBefore ? this.queue[0] : -1;
      if (!this.src.available) return -1;
      const b = this.src.next();
      if (b === 0) this.notBefore = Math.max(this.notBefore, now) + KEY_PAUSE_NS;
      else this.queue.push(...scanCodesOf(b));
    }
  }

  take(): number {
    return this.queue.shift() ?? -1;
  }

  /** Guest time at which a queued key may be typed (Infinity: none queued, nor known to come). */
  readyAt(): number {
    return this.queue.length > 0 || this.src.available ? this.notBefore : Infinity;
  }

  get ended(): boolean {
    return this.queue.length === 0 && this.src.ended;
  }

  get waiting(): boolean {
    return this.queue.length > 0 || this.src.available || !this.src.ended;
  }

  onActivity(cb: () => void): void {
    this.src.onActivity(cb);
  }
}

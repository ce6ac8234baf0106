// Keystrokes for the PS/2 keyboard from a host byte stream (--keys FILE):
// each byte is a key typed (a press, then a release; Shift around it for
// upper case and shifted symbols), turned here into scan codes. A key event
// carries one set-1 scan code (bit 7 set for a release); the i8042 hands it
// to the guest as set 1 when its command byte asks for translation, else
// as the set-2 code the keyboard itself sends (docs/platform.md). A NUL
// byte types nothing and pauses for PAUSE_NS of guest time. The pause and
// the queue are the host side of the input, like the serial input's bytes:
// a replay takes the events from the log and never reads them.

import type { ByteSource } from './events.js';

/** Guest time a NUL byte in the key file waits. */
export const KEY_PAUSE_NS = 1_000_000_000;

const LSHIFT = 0x2a;

/** Set-1 make codes of the keys a byte can name: [unshifted, shifted] characters per key. */
const KEYS: [number, string, string][] = [
  [0x01, '\x1b', ''], [0x02, '1', '!'], [0x03, '2', '@'], [0x04, '3', '#'], [0x05, '4', '$'], [0x06, '5', '%'],
  [0x07, '6', '^'], [0x08, '7', '&'], [0x09, '8', '*'], [0x0a, '9', '('], [0x0b, '0', ')'], [0x0c, '-', '_'],
  [0x0d, '=', '+'], [0x0e, '\b', ''], [0x0f, '\t', ''], [0x10, 'q', 'Q'], [0x11, 'w', 'W'], [0x12, 'e', 'E'],
  [0x13, 'r', 'R'], [0x14, 't', 'T'], [0x15, 'y', 'Y'], [0x16, 'u', 'U'], [0x17, 'i', 'I'], [0x18, 'o', 'O'],
  [0x19, 'p', 'P'], [0x1a, '[', '{'], [0x1b, ']', '}'], [0x1c, '\n', ''], [0x1e, 'a', 'A'], [0x1f, 's', 'S'],
  [0x20, 'd', 'D'], [0x21, 'f', 'F'], [0x22, 'g', 'G'], [0x23, 'h', 'H'], [0x24, 'j', 'J'], [0x25, 'k', 'K'],
  [0x26, 'l', 'L'], [0x27, ';', ':'], [0x28, "'", '"'], [0x29, '`', '~'], [0x2b, '\\', '|'], [0x2c, 'z', 'Z'],
  [0x2d, 'x', 'X'], [0x2e, 'c', 'C'], [0x2f, 'v', 'V'], [0x30, 'b', 'B'], [0x31, 'n', 'N'], [0x32, 'm', 'M'],
  [0x33, ',', '<'], [0x34, '.', '>'], [0x35, '/', '?'], [0x39, ' ', ''],
];

/** Set-1 make code to set-2 code, for the keys above and Shift (the keyboard's own set). */
const SET2: Record<number, number> = {
  0x01: 0x76, 0x02: 0x16, 0x03: 0x1e, 0x04: 0x26, 0x05: 0x25, 0x06: 0x2e, 0x07: 0x36, 0x08: 0x3d, 0x09: 0x3e,
  0x0a: 0x46, 0x0b: 0x45, 0x0c: 0x4e, 0x0d: 0x55, 0x0e: 0x66, 0x0f: 0x0d, 0x10: 0x15, 0x11: 0x1d, 0x12: 0x24,
  0x13: 0x2d, 0x14: 0x2c, 0x15: 0x35, 0x16: 0x3c, 0x17: 0x43, 0x18: 0x44, 0x19: 0x4d, 0x1a: 0x54, 0x1b: 0x5b,
  0x1c: 0x5a, 0x1e: 0x1c, 0x1f: 0x1b, 0x20: 0x23, 0x21: 0x2b, 0x22: 0x34, 0x23: 0x33, 0x24: 0x3b, 0x25: 0x42,
  0x26: 0x4b, 0x27: 0x4c, 0x28: 0x52, 0x29: 0x0e, 0x2a: 0x12, 0x2b: 0x5d, 0x2c: 0x1a, 0x2d: 0x22, 0x2e: 0x21,
  0x2f: 0x2a, 0x30: 0x32, 0x31: 0x31, 0x32: 0x3a, 0x33: 0x41, 0x34: 0x49, 0x35: 0x4a, 0x39: 0x29,
};

const BY_CHAR = new Map<string, { code: number; shift: boolean }>();
for (const [code, plain, shifted] of KEYS) {
  BY_CHAR.set(plain, { code, shift: false });
  if (shifted) BY_CHAR.set(shifted, { code, shift: true });
}
BY_CHAR.set('\r', BY_CHAR.get('\n')!);

/** The set-1 codes (make, then break with bit 7) that type character byte `b`; [] for a byte no key types. */
export function scanCodesOf(b: number): number[] {
  const k = BY_CHAR.get(String.fromCharCode(b));
  if (!k) return [];
  const press = [k.code, k.code | 0x80];
  return k.shift ? [LSHIFT, ...press, LSHIFT | 0x80] : press;
}

/** The set-2 bytes the keyboard sends for set-1 code `c` (a release is F0 then the code); [] if unknown. */
export function set2Of(c: number): number[] {
  const s = SET2[c & 0x7f];
  if (s === undefined) return [];
  return c & 0x80 ? [0xf0, s] : [s];
}

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

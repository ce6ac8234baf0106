import { describe, expect, it } from 'vitest';
import { crc32 } from '../../src/replay/crc32.js';

const ascii = (s: string): Uint8Array => new TextEncoder().encode(s);

/** Bit-at-a-time reference, independent of the tables. */
function slowCrc(data: Uint8Array): number {
  let c = 0xffffffff;
  for (const b of data) {
    c ^= b;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0xedb88320 : c >>> 1;
  }
  return ~c >>> 0;
}

describe('crc32', () => {
  it('gives the standard check value for "123456789"', () => {
    expect(crc32(ascii('123456789'))).toBe(0xcbf43926);
  });

  it('gives 0 for no bytes', () => {
    expect(crc32(new Uint8Array(0))).toBe(0);
  });

  it('matches a bitwise reference at every length from 0 to 100 and at odd offsets', () => {
    const data = new Uint8Array(200);
    for (let i = 0; i < data.length; i++) data[i] = (i * 151 + 7) & 0xff;
    for (let len = 0; len <= 100; len++) {
      for (const start of [0, 1, 3, 7]) {
        expect(crc32(data, start, start + len)).toBe(slowCrc(data.subarray(start, start + len)));
      }
    }
  });

  it('continues a running CRC over pieces', () => {
    const a = ascii('hello, '), b = ascii('world');
    const whole = ascii('hello, world');
    expect(crc32(b, 0, b.length, crc32(a))).toBe(crc32(whole));
  });

  it('gives the bitwise reference\'s results on large buffers, random ranges and chained pieces (the values logs were written with)', () => {
    const data = new Uint8Array(1 << 18).map((_, i) => (Math.imul(i, 2654435761) >>> 24) & 0xff);
    expect(crc32(data)).toBe(slowCrc(data));
    for (let k = 0; k < 20; k++) {
      const start = (k * 7919) % 1000;
      const end = start + ((k * 104729) % 50_000);
      expect(crc32(data, start, end)).toBe(slowCrc(data.subarray(start, end)));
      // A running CRC whose value has the top bit set carries on unchanged.
      const mid = (start + end) >> 1;
      expect(crc32(data, mid, end, crc32(data, start, mid))).toBe(slowCrc(data.subarray(start, end)));
    }
    // A frame CRC from a log written before the switch: length field then payload.
    expect(crc32(ascii('\x05\x00\x00\x00hello'))).toBe(slowCrc(ascii('\x05\x00\x00\x00hello')));
  });
});

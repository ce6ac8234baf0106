import { describe, expect, it } from 'vitest';
import { ByteCursor, PackError, putSigned, putTagged, putU32 } from '../../src/replay/varint.js';

const MAX = Number.MAX_SAFE_INTEGER;

describe('varint', () => {
  it('round-trips tagged values across the 7-bit, 32-bit and 53-bit boundaries', () => {
    const values = [0, 1, 31, 32, 63, 64, 127, 128, 16383, 16384, 2 ** 31 - 1, 2 ** 31, 2 ** 32, 2 ** 40 + 3, MAX - 1, MAX];
    for (const tagBits of [0, 1, 2, 3]) {
      const out = new Uint8Array(16 * values.length);
      let pos = 0;
      values.forEach((v, i) => (pos = putTagged(out, pos, v, i & ((1 << tagBits) - 1), tagBits)));
      const cur = new ByteCursor(out.subarray(0, pos));
      values.forEach((v, i) => {
        expect(cur.tagged(tagBits)).toBe(v);
        expect(cur.tag).toBe(i & ((1 << tagBits) - 1));
      });
      expect(cur.done).toBe(true);
    }
  });

  it('writes LEB128 of the zig-zag value, one byte for -64..63', () => {
    const out = new Uint8Array(16);
    expect(putSigned(out, 0, 0)).toBe(1);
    expect(out[0]).toBe(0);
    putSigned(out, 0, -1);
    expect(out[0]).toBe(1);
    putSigned(out, 0, 1);
    expect(out[0]).toBe(2);
    expect(putSigned(out, 0, 63)).toBe(1);
    expect(putSigned(out, 0, -64)).toBe(1);
    expect(putSigned(out, 0, 64)).toBe(2);
  });

  it('round-trips signed values up to plus and minus 2^53', () => {
    const values = [0, -1, 1, -64, 64, -(2 ** 31), 2 ** 31, -MAX, MAX, -(2 ** 52) - 5];
    const out = new Uint8Array(16 * values.length);
    let pos = 0;
    for (const v of values) pos = putSigned(out, pos, v);
    const cur = new ByteCursor(out.subarray(0, pos));
    for (const v of values) expect(cur.signed()).toBe(v);
  });

  it('reads u32 little-endian', () => {
    const out = new Uint8Array(4);
    putU32(out, 0, 0xdeadbeef);
    expect([...out]).toEqual([0xef, 0xbe, 0xad, 0xde]);
    expect(new ByteCursor(out).u32()).toBe(0xdeadbeef);
  });

  it('rejects a varint cut short, one too long, and one above 2^53 with PackError', () => {
    expect(() => new ByteCursor(Uint8Array.of(0x80)).tagged(0)).toThrow(PackError);
    expect(() => new ByteCursor(new Uint8Array(9).fill(0x80)).tagged(0)).toThrow(/longer than 8/);
    expect(() => new ByteCursor(Uint8Array.of(0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f)).tagged(0)).toThrow(/above 2\^53/);
    expect(() => new ByteCursor(Uint8Array.of(1, 2)).u32()).toThrow(PackError);
  });
});

import { describe, expect, it } from 'vitest';
import { ND_CLOCK, ND_RDRAND, ND_RDSEED, ND_RDTSC, type NdBlock } from '../../src/replay/nd-block.js';
import { packNd, unpackNd } from '../../src/replay/nd-pack.js';
import { PackError } from '../../src/replay/varint.js';
import { Rng } from './helpers.js';

function block(entries: [number, number, number][]): NdBlock {
  return {
    count: entries.length,
    kinds: Uint8Array.from(entries.map((e) => e[0])),
    icounts: Float64Array.from(entries.map((e) => e[1])),
    values: Float64Array.from(entries.map((e) => e[2])),
    check: 0xabcdef01,
    at: entries.length ? entries[entries.length - 1][1] + 1 : 0,
  };
}

const MAX = Number.MAX_SAFE_INTEGER;

describe('ND packing', () => {
  it('round-trips every kind, extreme counter values and big icount jumps', () => {
    const b = block([
      [ND_RDTSC, 0, 0], [ND_RDTSC, 1, MAX], [ND_RDTSC, 2, 0], [ND_RDTSC, 3, MAX], [ND_RDTSC, 4, 2 ** 52 + 1],
      [ND_RDRAND, 5, 0xffffffff], [ND_RDSEED, 2 ** 40, 0], [ND_CLOCK, 2 ** 40 + 3, 123456789], [ND_CLOCK, MAX - 1, 5], [ND_RDTSC, MAX, 7],
    ]);
    const back = unpackNd(packNd(b), b.count, b.check, b.at);
    expect(back).toEqual(b);
  });

  it('round-trips random blocks', () => {
    const rng = new Rng(42);
    for (let round = 0; round < 200; round++) {
      const entries: [number, number, number][] = [];
      let icount = rng.int(0, 1e6), tsc = rng.u32() * 1000, clock = rng.u32();
      for (let i = rng.int(0, 300); i > 0; i--) {
        icount += rng.int(0, 3) === 0 ? rng.u32() : rng.int(1, 50);
        const kind = rng.int(0, 3);
        if (kind === ND_RDTSC) tsc = Math.max(0, tsc + rng.int(-100, 100000));
        if (kind === ND_CLOCK) clock += rng.int(0, 1 << 20);
        entries.push([kind, icount, kind === ND_RDTSC ? tsc : kind === ND_CLOCK ? clock : rng.u32()]);
      }
      const b = block(entries);
      expect(unpackNd(packNd(b), b.count, b.check, b.at)).toEqual(b);
    }
  });

  it('reuses a large enough scratch buffer', () => {
    const scratch = new Uint8Array(1024);
    const out = packNd(block([[ND_RDTSC, 1, 100]]), scratch);
    expect(out.buffer).toBe(scratch.buffer);
  });

  it('costs 2 bytes per RDTSC of a steady loop and 5 per RDRAND', () => {
    const entries: [number, number, number][] = [];
    for (let i = 0; i < 1000; i++) entries.push([ND_RDTSC, 10 + 9 * i, 5_000_000 + 500 * i]);
    const steady = packNd(block(entries)).length;
    expect(steady).toBeLessThanOrEqual(2 * 1000 + 8);
    const rand = packNd(block([[ND_RDRAND, 3, 1], [ND_RDRAND, 6, 2]])).length;
    expect(rand).toBe(10);
  });

  it('refuses decreasing icounts and non-counter values when packing', () => {
    expect(() => packNd(block([[ND_RDTSC, 10, 1], [ND_RDTSC, 9, 2]]))).toThrow(RangeError);
    expect(() => packNd(block([[ND_RDTSC, 1, -1]]))).toThrow(RangeError);
    expect(() => packNd(block([[ND_RDTSC, 1, 1.5]]))).toThrow(RangeError);
  });

  it('refuses trailing bytes, short data, values out of range and entries after the flush point', () => {
    const good = block([[ND_RDTSC, 5, 100], [ND_RDTSC, 6, 200]]);
    const data = packNd(good);
    expect(() => unpackNd(Uint8Array.from([...data, 0, 0]), 2, 0, 10)).toThrow(/bytes left/);
    expect(() => unpackNd(data.subarray(0, 3), 2, 0, 10)).toThrow(PackError);
    expect(() => unpackNd(data, 2, 0, 5)).toThrow(/after the flush point/);
    expect(() => unpackNd(Uint8Array.of(0x08, 0x01), 1, 0, 10)).toThrow(/out of range/); // rdtsc at 1, value -1
    expect(() => unpackNd(Uint8Array.of(0x0c, 0x01), 1, 0, 10)).toThrow(/unknown ND kind 4/); // kind 4 at 1: no such source yet
  });

  it('reads format version 1 packing (a 2-bit kind field) when told to', () => {
    // icount 1, kind 1 (rdrand) as version 1 packed it: (1 << 2) | 1, then 4 bytes of value.
    const b = unpackNd(Uint8Array.of(0x05, 0x2a, 0, 0, 0), 1, 0, 10, 2);
    expect([b.kinds[0], b.icounts[0], b.values[0]]).toEqual([ND_RDRAND, 1, 42]);
  });
});

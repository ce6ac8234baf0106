// The software TLB (src/memory/tlb.ts) and the T bit: translations stay
// coherent with guest page tables, so what the guest sees, and therefore a
// replay, does not depend on the TLB geometry or on vmrr's own flushes.
import { describe, it, expect } from 'vitest';
import { readFileSync } from 'node:fs';
import { Tlb, TLB_INVALID, WALKED_PD, WALKED_PT, checkGeometry } from '../../src/memory/tlb.js';
import { Machine } from '../../src/machine/machine.js';
import { loadMultiboot } from '../../src/machine/loaders.js';
import { stateHashOf } from '../../src/machine/state-hash.js';

const RAM = 16 << 20;
const FIXED = { rdtsc: () => 0, rdrand: () => 0, clockNs: () => 0, peekClockNs: () => 0, wallClockMs: () => 0 };

function runTlbFixture(tlb: { entries: number; ways: number; tracking: boolean }, flushEvery = 0): { out: string; hash: string } {
  let out = '';
  const m = new Machine({ ramBytes: RAM, input: FIXED, clock: 'virtual', serial: (b) => { out += String.fromCharCode(b); }, tlbEntries: tlb.entries, tlbWays: tlb.ways, tlbTracking: tlb.tracking });
  m.load(loadMultiboot(new Uint8Array(readFileSync('fixtures/tlb.mb')), RAM, 'fixtures/tlb.mb '));
  if (flushEvery > 0) {
    // vmrr flushing its TLB for its own reasons, every few instructions.
    for (let stop = m.run(flushEvery); stop.reason === 'limit'; stop = m.run(m.cpu.icount + flushEvery)) m.cpu.flushTlb();
  } else {
    m.run(10_000_000);
  }
  return { out, hash: stateHashOf(m) };
}

describe('Tlb', () => {
  it('rejects geometries that are not powers of two, or more ways than entries', () => {
    expect(checkGeometry({ entries: 4096, ways: 4 })).toBeNull();
    expect(checkGeometry({ entries: 1, ways: 1 })).toBeNull();
    expect(checkGeometry({ entries: 65536, ways: 1 })).toBeNull();
    expect(checkGeometry({ entries: 100, ways: 1 })).toMatch(/power of two/);
    expect(checkGeometry({ entries: 8, ways: 16 })).toMatch(/ways/);
  });

  it('finds an entry in another way and moves it to way 0, where the fast path looks', () => {
    const t = new Tlb({ entries: 8, ways: 4 }, 64);
    t.insert(0x1000, 0x5000, 0, -1, -1);
    t.insert(0x3000, 0x6000, 0, -1, -1); // same set of the 2: 0x1000 moves to way 1
    const base = (1 & t.setMask) << t.wayShift;
    expect(t.tag[base] & 0xfffff000).toBe(0x3000);
    expect(t.tag[base + 1] & 0xfffff000).toBe(0x1000);
    expect(t.lookupOtherWays(0x1234, 1)).toBe(0x5234);
    expect(t.tag[base] & 0xfffff000).toBe(0x1000);
    expect(t.lookupOtherWays(0x7000, 1)).toBe(-1);
  });

  it('a write to a PTE invalidates exactly the entries built from it', () => {
    const t = new Tlb({ entries: 64, ways: 1 }, 1024);
    t.mark(0x10, WALKED_PT);
    t.mark(0x20, WALKED_PD);
    t.insert(0x400000, 0x1000, 0, 0x20004, 0x10000); // PTE at 0x10000
    t.insert(0x401000, 0x2000, 0, 0x20004, 0x10004); // PTE at 0x10004
    expect(t.invalidateWrite(0x10004, 4)).toBe(1);
    const i0 = (0x400 & 63), i1 = (0x401 & 63);
    expect(t.tag[i0]).not.toBe(TLB_INVALID);
    expect(t.tag[i1]).toBe(TLB_INVALID);
    // A write to the PDE both were built from drops the other one too.
    expect(t.invalidateWrite(0x20004, 4)).toBe(1);
    expect(t.tag[i0]).toBe(TLB_INVALID);
  });

  it('finds entries of a page table shared by several PDEs in every set they can sit in', () => {
    // 65536 sets: the PTE at word 3 maps linear pages 0x...003 under any PDE, i.e. sets 3 + k*1024.
    const t = new Tlb({ entries: 65536, ways: 1 }, 1024);
    t.mark(0x10, WALKED_PT);
    const lins = [0x00403000, 0x00803000, 0x3fc03000];
    for (const lin of lins) t.insert(lin, 0x5000, 0, 0x20000 + ((lin >>> 22) << 2), 0x1000c);
    t.insert(0x00404000, 0x6000, 0, 0x20004, 0x10010); // word 4: stays
    expect(t.invalidateWrite(0x1000c, 4)).toBe(3);
    for (const lin of lins) expect(t.tag[(lin >>> 12) & t.setMask]).toBe(TLB_INVALID);
    expect(t.tag[0x404]).not.toBe(TLB_INVALID);
  });

  it('drops the same entries as a scan of the whole TLB, for random walks and writes', () => {
    // The set arithmetic against the definition: an entry goes iff its walk read a written PDE or PTE.
    let seed = 12345;
    const rnd = (n: number): number => {
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
      return (seed >>> 8) % n;
    };
    for (const g of [{ entries: 1, ways: 1 }, { entries: 64, ways: 4 }, { entries: 4096, ways: 1 }, { entries: 8192, ways: 2 }, { entries: 65536, ways: 1 }]) {
      const t = new Tlb(g, 4096);
      const pds = [0x100, 0x101], pts = [0x200, 0x201, 0x202, 0x203];
      for (const p of pds) t.mark(p, WALKED_PD);
      for (const p of pts) t.mark(p, WALKED_PT);
      for (let step = 0; step < 1200; step++) {
        if (rnd(4) !== 0) {
          const lin = (rnd(1 << 20) << 12) >>> 0;
          const pde = (pds[rnd(pds.length)] << 12) + ((lin >>> 22) << 2);
          const pte = rnd(8) === 0 ? -1 : (pts[rnd(pts.length)] << 12) + (((lin >>> 12) & 1023) << 2);
          t.insert(lin, rnd(4096) << 12, 0, pde, pte);
          continue;
        }
        const page = rnd(5) === 0 ? pds[rnd(pds.length)] : pts[rnd(pts.length)];
        const addr = (page << 12) + rnd(4096), size = Math.min(1 + rnd(8), 4096 - (addr & 4095));
        const expected: number[] = [];
        for (let i = 0; i < t.entries; i++) {
          if (t.tag[i] === TLB_INVALID) continue;
          const hit = (s: number): boolean => s >= 0 && s + 4 > addr && s < addr + size;
          if (hit(t.srcPde[i]) || hit(t.srcPte[i])) expected.push(i);
        }
        const after = Int32Array.from(t.tag);
        for (const i of expected) after[i] = TLB_INVALID;
        expect(t.invalidateWrite(addr, size)).toBe(expected.length);
        expect(Buffer.from(t.tag.buffer).equals(Buffer.from(after.buffer))).toBe(true);
      }
    }
  });
});

describe('T-bit tracking on fixtures/tlb.mb (a PTE rewritten without INVLPG)', () => {
  const geometries = [
    { entries: 1, ways: 1 }, { entries: 64, ways: 1 }, { entries: 64, ways: 4 }, { entries: 4096, ways: 1 }, { entries: 65536, ways: 8 },
  ];

  it('with tracking, output and state hash are the same for every TLB geometry and with extra flushes', () => {
    const runs = geometries.map((g) => runTlbFixture({ ...g, tracking: true }));
    runs.push(runTlbFixture({ entries: 4096, ways: 1, tracking: true }, 997));
    for (const r of runs) {
      expect(r.out).toContain('V maps to page B');
      expect(r.out).toBe(runs[0].out);
      expect(r.hash).toBe(runs[0].hash);
    }
  });

  it('without tracking, what the guest sees depends on the TLB size', () => {
    const big = runTlbFixture({ entries: 4096, ways: 1, tracking: false });
    const tiny = runTlbFixture({ entries: 1, ways: 1, tracking: false });
    expect(big.out).toContain('still maps to page A');
    expect(tiny.out).toContain('V maps to page B');
    expect(big.hash).not.toBe(tiny.hash);
  });
});

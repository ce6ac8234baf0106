// Checkpoints: a base and deltas of dirtied pages; any prefix of the chain
// restored on a fresh machine reproduces the state (same hash) and the
// rest of the run; deltas stay small for a guest that writes little; the
// CBOR form the log carries restores the same; an FT-style resync moves a
// diverged secondary back to the primary's state with only dirtied pages.

import { describe, it, expect } from 'vitest';
import { CheckpointTracker, applyCheckpoints, checkpointPageBytes, type Checkpoint } from '../../src/machine/snapshot.js';
import { StateHasher, stateHashOf } from '../../src/machine/state-hash.js';
import { makeCbor } from '../../src/replay/cbor-fields.js';
import { boot, RAM } from './helpers.js';

const END = 60_000_000;
const PAGES = RAM / 4096;

/** Run `name`, taking a checkpoint every `every` instructions; returns them with the hash at each. */
function chainOf(name: string, every: number, count: number): { cps: Checkpoint[]; hashes: string[]; b: ReturnType<typeof boot> } {
  const b = boot(name);
  const tr = new CheckpointTracker(b.m);
  const cps: Checkpoint[] = [tr.take()];
  const hashes = [stateHashOf(b.m)];
  for (let k = 1; k <= count; k++) {
    b.m.run(k * every);
    cps.push(tr.take());
    hashes.push(stateHashOf(b.m));
  }
  return { cps, hashes, b };
}

describe('CheckpointTracker / applyCheckpoints', { timeout: 120_000 }, () => {
  it('the first checkpoint is a base of the non-zero pages, the next ones list dirtied pages only', () => {
    const { cps } = chainOf('bench-short.mb', 1_000_000, 5);
    expect(cps[0].full).toBe(true);
    expect(cps[0].pages.length).toBeGreaterThan(0);
    expect(cps[0].pages.length).toBeLessThan(PAGES / 100);
    for (const c of cps.slice(1)) {
      expect(c.full).toBe(false);
      // bench-short computes in a few pages: far below RAM.
      expect(c.pages.length).toBeGreaterThan(0);
      expect(c.pages.length).toBeLessThan(PAGES / 100);
      expect(checkpointPageBytes(c)).toBe(c.pages.length * 4096);
      const idx = c.pages.map((p) => p.index);
      expect(idx).toEqual([...idx].sort((x, y) => x - y));
    }
  });

  for (const [name, every, count] of [['timer.mb', 1_500_000, 7], ['paging.mb', 5_000, 7], ['string.mb', 4_001, 6]] as const) {
    it(`${name}: every prefix of the chain restored on a fresh machine gives the state at that checkpoint`, () => {
      const { cps, hashes, b: a } = chainOf(name, every, count);
      const stopA = a.m.run(END);
      for (let k = 0; k < cps.length; k++) {
        const f = boot(name);
        applyCheckpoints(f.m, cps.slice(0, k + 1));
        expect(stateHashOf(f.m)).toBe(hashes[k]);
        if (k === 2 || k === cps.length - 1) {
          expect(f.m.run(END)).toEqual(stopA);
          expect(f.out()).toBe(a.outFrom(cps[k].icount));
          expect(stateHashOf(f.m)).toBe(stateHashOf(a.m));
        }
      }
    });
  }

  it('a chain restores over a machine that ran past it (pages written later are put back, pages never saved are zeroed)', () => {
    const { cps, hashes, b: a } = chainOf('paging.mb', 8_000, 3);
    a.m.run(END);
    applyCheckpoints(a.m, cps.slice(0, 2));
    expect(stateHashOf(a.m)).toBe(hashes[1]);
    // A stray byte in a page no checkpoint lists: the base says it is zero.
    const g = boot('paging.mb');
    g.m.mem.write8(RAM - 100, 0x55);
    applyCheckpoints(g.m, cps);
    expect(g.m.mem.ram[RAM - 100]).toBe(0);
    expect(stateHashOf(g.m)).toBe(hashes[3]);
  });

  it('checkpoints survive the log\'s CBOR encoding', () => {
    const { cps, hashes } = chainOf('uart.mb', 1_700_000, 3);
    const cbor = makeCbor();
    const back = cps.map((c) => cbor.decode(cbor.encode(c)) as Checkpoint);
    const f = boot('uart.mb');
    applyCheckpoints(f.m, back);
    expect(stateHashOf(f.m)).toBe(hashes[3]);
  });

  it('deltas alone move a machine that is at the previous checkpoint', () => {
    const { cps, hashes } = chainOf('timer.mb', 2_000_000, 3);
    const f = boot('timer.mb');
    applyCheckpoints(f.m, cps.slice(0, 2));
    applyCheckpoints(f.m, [cps[2]]);
    expect(stateHashOf(f.m)).toBe(hashes[2]);
    applyCheckpoints(f.m, [cps[3]]);
    expect(stateHashOf(f.m)).toBe(hashes[3]);
  });

  it('an FT resync sends the pages dirtied on either side since the common point, and both then run alike', () => {
    const p = boot('bench-short.mb');
    const s = boot('bench-short.mb');
    const pt = new CheckpointTracker(p.m);
    const st = new CheckpointTracker(s.m);
    const sh = new StateHasher(s.m);
    p.m.run(2_000_000);
    s.m.run(2_000_000);
    // Common point: equal state, both trackers start here.
    expect(stateHashOf(s.m)).toBe(stateHashOf(p.m));
    pt.markCommon();
    st.markCommon();
    sh.hash();
    p.m.run(3_000_000);
    s.m.run(2_500_000);
    // The secondary goes astray: a register and a page the primary never writes.
    s.m.cpu.regs[3] ^= 0x10;
    const stray = RAM - 0x100000;
    s.m.mem.ram[stray] ^= 0xff;
    s.m.cpu.notePhysWrite(stray, 1);
    s.m.run(3_000_000);
    expect(stateHashOf(s.m)).not.toBe(stateHashOf(p.m));
    expect(st.pagesDirtiedSince()).toContain(stray >>> 12);
    expect(pt.pagesDirtiedSince()).not.toContain(stray >>> 12);

    const cp = pt.take({ extraPages: st.pagesDirtiedSince() });
    expect(cp.full).toBe(false);
    expect(cp.pages.length).toBeLessThan(PAGES / 100);
    applyCheckpoints(s.m, [cp]);
    st.markCommon();
    expect(st.pagesDirtiedSince()).toEqual([]);
    expect(sh.hash()).toBe(stateHashOf(p.m));

    const stopP = p.m.run(END), stopS = s.m.run(END);
    expect(stopS).toEqual(stopP);
    expect(s.outFrom(3_000_000)).toBe(p.outFrom(3_000_000));
    expect(sh.hash()).toBe(stateHashOf(p.m));
  });

  it('two trackers on one machine each see every dirtied page', () => {
    const a = boot('string.mb');
    const t1 = new CheckpointTracker(a.m);
    const t2 = new CheckpointTracker(a.m);
    t1.take();
    t2.take();
    a.m.run(10_000);
    const seen1 = t1.pagesDirtiedSince();
    a.m.run(20_000);
    const d1 = t1.take().pages.map((p) => p.index);
    const d2 = t2.take().pages.map((p) => p.index);
    expect(d1).toEqual(d2);
    for (const p of seen1) expect(d2).toContain(p);
    t1.close();
    a.m.run(25_000);
    expect(t2.pagesDirtiedSince().length).toBeGreaterThan(0);
  });
});

// Snapshots: run to N, snapshot, run to the end; restore and run again:
// the same output after N, the same stop and the same final state hash,
// on the same machine and on another one whose caches hold other code.

import { describe, it, expect } from 'vitest';
import { takeSnapshot, restoreSnapshot, saveMachineState, loadMachineState } from '../../src/machine/snapshot.js';
import { saveCpu, loadCpu } from '../../src/cpu/cpu-state.js';
import { stateHashOf, StateHasher } from '../../src/machine/state-hash.js';
import { boot, RAM } from './helpers.js';

const END = 60_000_000;

// Fixture, and snapshot points inside it: timer idles in HLT (the virtual
// clock's skipped time is state), string stops inside REP strings, paging
// and v86 leave the CPU in modes whose caches must be rebuilt.
const CASES: [string, number[]][] = [
  ['timer.mb', [5_000, 3_000_000, 10_007_000]],
  ['uart.mb', [5_003_000]],
  ['string.mb', [3_000, 15_001, 22_222]],
  ['paging.mb', [9_700, 20_001]],
  ['v86.mb', [2_500, 9_000]],
  ['pmode.mb', [3_000, 40_000]],
  ['smc.mb', [1_950, 4_000]],
  ['bench-short.mb', [1_000_003]],
];

describe('takeSnapshot / restoreSnapshot', { timeout: 120_000 }, () => {
  for (const [name, points] of CASES) {
    for (const n of points) {
      it(`${name}: restored at icount ${n}, the rest of the run repeats exactly (same machine)`, () => {
        const a = boot(name);
        a.m.run(n);
        expect(a.m.cpu.icount).toBe(n);
        const snap = takeSnapshot(a.m);
        const hashAtN = stateHashOf(a.m);
        const stop1 = a.m.run(END);
        const out1 = a.outFrom(n);
        const hash1 = stateHashOf(a.m);
        expect(stop1.reason).toBe('exit');

        restoreSnapshot(a.m, snap);
        expect(stateHashOf(a.m)).toBe(hashAtN);
        const before = a.out().length;
        const stop2 = a.m.run(END);
        expect(stop2).toEqual(stop1);
        expect(a.out().slice(before)).toBe(out1);
        expect(stateHashOf(a.m)).toBe(hash1);
      });
    }
  }

  it('a snapshot restored on another machine that ran other code continues as the original', () => {
    const a = boot('smc.mb');
    a.m.run(2_000);
    const snap = takeSnapshot(a.m);
    const stopA = a.m.run(END);
    // b has decoded (and compiled) its own code at the same addresses.
    const b = boot('bench-short.mb');
    b.m.run(500_000);
    const before = b.out().length;
    restoreSnapshot(b.m, snap);
    const stopB = b.m.run(END);
    expect(stopB).toEqual(stopA);
    expect(b.out().slice(before)).toBe(a.outFrom(2_000));
    expect(stateHashOf(b.m)).toBe(stateHashOf(a.m));
  });

  it('a snapshot taken after the guest exited keeps the exit status', () => {
    const a = boot('rtc.mb');
    const stop = a.m.run(END);
    const snap = takeSnapshot(a.m);
    const b = boot('rtc.mb');
    expect(b.m.exitStatus).toBe(-1);
    restoreSnapshot(b.m, snap);
    expect(b.m.exitStatus).toBe(stop.exitValue);
    expect(stateHashOf(b.m)).toBe(stateHashOf(a.m));
    // Whatever the machine does when run on after an exit, both do the same.
    expect(b.m.run(END)).toEqual(a.m.run(END));
  });

  it('restoring writes only the pages that differ, and the incremental hash follows', () => {
    const a = boot('bench-short.mb');
    const h = new StateHasher(a.m);
    a.m.run(100_000);
    const snap = takeSnapshot(a.m);
    const at = h.hash();
    a.m.run(300_000);
    h.hash();
    restoreSnapshot(a.m, snap);
    expect(h.hash()).toBe(at);
    expect(h.rehashed).toBeGreaterThan(0);
    expect(h.rehashed).toBeLessThan(20);
  });

  it('machine state refuses a machine with another RAM size', () => {
    const a = boot('rtc.mb');
    const b = boot('rtc.mb', RAM / 2);
    expect(() => loadMachineState(b.m, saveMachineState(a.m))).toThrow(/RAM/);
    expect(() => restoreSnapshot(b.m, takeSnapshot(a.m))).toThrow(/RAM/);
  });
});

describe('saveCpu / loadCpu', { timeout: 120_000 }, () => {
  it('round-trips every field, and saving does not touch the lazy flags', () => {
    const a = boot('pmode.mb');
    a.m.run(30_000);
    const lazy = a.m.cpu.lazy;
    const s = saveCpu(a.m.cpu);
    expect(a.m.cpu.lazy).toBe(lazy);
    expect(s.eflags).toBe(a.m.cpu.getEflags());
    const b = boot('rtc.mb');
    loadCpu(b.m.cpu, s);
    expect(saveCpu(b.m.cpu)).toEqual(s);
  });

  it('refuses an unknown version and wrong array sizes', () => {
    const a = boot('rtc.mb');
    const s = saveCpu(a.m.cpu);
    expect(() => loadCpu(a.m.cpu, { ...s, v: 3 as 1 })).toThrow(/version/);
    expect(() => loadCpu(a.m.cpu, { ...s, regs: [1, 2, 3] })).toThrow(/regs/);
  });
});

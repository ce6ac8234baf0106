// Two Machines in one process must not influence each other (the FT checker
// with one thread, the block-vs-interpreter comparisons), and a fixture's
// result must not depend on when host time lets the firmware's 18.2 Hz
// timer tick arrive. v86.mb once failed both ways: a tick pending when its
// IOPL=3 part ran with IF=1 went to the #DF stub (icount 12804 instead of
// the normal run), which looked like state shared between instances.

import { describe, it, expect } from 'vitest';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Machine } from '../../src/machine/machine.js';
import { loadMultiboot } from '../../src/machine/loaders.js';
import { stateHashOf } from '../../src/machine/state-hash.js';
import { HostInputSource } from '../../src/replay/input-source.js';

/** Fixed inputs, so two runs can be compared by state hash (the RTC keeps its power-on wall-clock time). */
const fixedInput = (): HostInputSource => Object.assign(new HostInputSource(), { wallClockMs: () => 1_700_000_000_000, rdrand: () => 0 });

const FIXTURES = join(dirname(fileURLToPath(import.meta.url)), '../../fixtures');
const RAM = 32 << 20;

interface Booted { m: Machine; out: () => string }

function boot(name: string, clock: 'virtual' | 'host', blocks = true): Booted {
  let out = '';
  const m = new Machine({ ramBytes: RAM, clock, input: fixedInput(), serial: (b) => { out += String.fromCharCode(b); } });
  m.cpu.blockThreshold = blocks ? 2 : 0;
  m.load(loadMultiboot(new Uint8Array(readFileSync(join(FIXTURES, name))), RAM, ''));
  return { m, out: () => out };
}

/** What a run leaves that the guest or a log could see. */
function result(b: Booted, withHash: boolean): { icount: number; reason: string; out: string; hash?: string } {
  const s = b.m.run(60_000_000);
  return { icount: s.icount, reason: s.reason, out: b.out(), ...(withHash ? { hash: stateHashOf(b.m) } : {}) };
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

describe('machine instances are independent', () => {
  const alone = result(boot('v86.mb', 'virtual'), true);

  it('v86.mb alone passes every check', () => {
    expect(alone.reason).toBe('exit');
    expect(alone.out.endsWith('DONE all passed\n')).toBe(true);
  });

  it('v86.mb after bench-short.mb ran with blocks in the same process: same icount, output and state hash', () => {
    const first = result(boot('bench-short.mb', 'virtual'), false);
    expect(first.out.endsWith('DONE all passed\n')).toBe(true);
    expect(result(boot('v86.mb', 'virtual'), true)).toEqual(alone);
    expect(result(boot('v86.mb', 'virtual', false), true)).toEqual(alone);
  });

  it('two machines booted together, run one after the other (blocks on, then off): both equal the lone run', () => {
    const a = boot('v86.mb', 'virtual', true), b = boot('v86.mb', 'virtual', false);
    expect(result(a, true)).toEqual(alone);
    expect(result(b, true)).toEqual(alone);
  });

  it('two different guests run in alternating slices give what each gives alone', () => {
    const soloBench = result(boot('bench-short.mb', 'virtual'), true);
    const soloPmode = result(boot('pmode.mb', 'virtual'), true);
    const x = boot('bench-short.mb', 'virtual'), y = boot('pmode.mb', 'virtual');
    const done = new Set<Booted>();
    for (let t = 997; done.size < 2; t += 997 * 13) {
      for (const g of [x, y]) if (!done.has(g) && g.m.run(t).reason === 'exit') done.add(g);
    }
    const fin = (g: Booted): object => ({ icount: g.m.cpu.icount, reason: 'exit', out: g.out(), hash: stateHashOf(g.m) });
    expect(fin(x)).toEqual(soloBench);
    expect(fin(y)).toEqual(soloPmode);
  });

  it('v86.mb with a timer tick already due at entry (virtual clock 100 ms ahead): same result', () => {
    const b = boot('v86.mb', 'virtual');
    b.m.clock.skipTo(100e6);
    const r = result(b, false);
    expect(b.m.eventCounts.timer).toBeGreaterThan(0);
    expect({ icount: r.icount, out: r.out }).toEqual({ icount: alone.icount, out: alone.out });
  });

  it('v86.mb booted, then run 100 ms later on the host clock: same icount and output', async () => {
    const b = boot('v86.mb', 'host');
    await sleep(100);
    const r = result(b, false);
    expect({ icount: r.icount, out: r.out }).toEqual({ icount: alone.icount, out: alone.out });
  });
});

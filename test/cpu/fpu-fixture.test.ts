// The x87 fixtures on vmrr: fpu.mb (QEMU-comparable) and fpu-errata.mb
// (real-CPU results where QEMU differs) print their expected output, and a
// snapshot taken while the FPU holds values restores exactly (registers,
// exact 80-bit bits, status and control words: the rest of the run, its
// output and its final state hash are those of the uninterrupted run).

import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { rmSync } from 'node:fs';
import { ensureBuilt, tempFiles, vmrr } from '../cli/helpers.js';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Machine } from '../../src/machine/machine.js';
import { loadMultiboot } from '../../src/machine/loaders.js';
import { takeSnapshot, restoreSnapshot } from '../../src/machine/snapshot.js';
import { stateHashOf } from '../../src/machine/state-hash.js';
import { HostInputSource } from '../../src/replay/input-source.js';

const FIXTURES = join(dirname(fileURLToPath(import.meta.url)), '../../fixtures');
const RAM = 32 << 20;
const fixedInput = (): HostInputSource => Object.assign(new HostInputSource(), { wallClockMs: () => 1_700_000_000_000, rdrand: () => 0 });

function boot(name: string): { m: Machine; out: () => string } {
  let out = '';
  const m = new Machine({ ramBytes: RAM, clock: 'virtual', input: fixedInput(), serial: (b) => { out += String.fromCharCode(b); } });
  m.load(loadMultiboot(new Uint8Array(readFileSync(join(FIXTURES, name))), RAM, ''));
  return { m, out: () => out };
}

describe('x87 fixtures', () => {
  for (const name of ['fpu', 'fpu-errata']) {
    it(`${name}.mb prints fixtures/expected/${name}.txt and exits with status 1`, () => {
      const b = boot(`${name}.mb`);
      const stop = b.m.run(10_000_000);
      expect(b.out()).toBe(readFileSync(join(FIXTURES, `expected/${name}.txt`), 'latin1'));
      expect(stop.exitValue).toBe(1);
    });
  }

  it('a snapshot with live FPU state restores exactly: same output and final state hash', () => {
    const whole = boot('fpu.mb');
    whole.m.run(10_000_000);
    const a = boot('fpu.mb');
    // Run until a live register holds an exact 80-bit value a double cannot (FILD m64, FLD m80, FBLD, FRSTOR).
    let snap = null;
    while (a.m.cpu.icount < 10_000_000 && a.m.run(a.m.cpu.icount + 1).reason === 'limit') {
      const f = a.m.cpu.fpu;
      if (f.raw.some((r, p) => r !== null && f.empty[p] === 0)) { snap = takeSnapshot(a.m); break; }
    }
    expect(snap).not.toBeNull();
    const outBefore = a.out();
    const b = boot('fpu.mb');
    restoreSnapshot(b.m, snap!);
    b.m.run(10_000_000);
    expect(outBefore + b.out()).toBe(whole.out());
    expect(stateHashOf(b.m)).toBe(stateHashOf(whole.m));
  });
});

describe('x87 state through record and replay', () => {
  beforeAll(ensureBuilt, 120_000);
  const { dir, path } = tempFiles({});
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('vmrr record then replay --verify of fpu.mb: same output, every state hash (with FPU state) matches', () => {
    const log = path('fpu.vmrr');
    const rec = vmrr(['record', '--sync-every', '1000', '--checkpoint-every', '10000', '-o', log, 'fixtures/fpu.mb']);
    expect(rec.status, rec.stderr).toBe(0);
    const rep = vmrr(['replay', '--verify', log]);
    expect(rep.status, rep.stderr).toBe(0);
    expect(rep.stdout).toBe(rec.stdout);
    expect(rep.stdout).toBe(readFileSync(join(FIXTURES, 'expected/fpu.txt'), 'latin1'));
    const js = vmrr(['replay', '--json', log]);
    expect(js.status, js.stderr).toBe(0);
    const summary = JSON.parse(js.stdout) as { verdict: string; checked: { stateHashes: number } };
    expect(summary.verdict).toBe('identical');
    expect(summary.checked.stateHashes).toBeGreaterThan(30);
    // Seek into the middle (from a checkpoint carrying FPU state) and report the state there.
    const to = vmrr(['replay', '--to', '25000', log]);
    expect(to.status, to.stderr).toBe(0);
    expect(to.stderr).toMatch(/reached icount 25000/);
  });
});

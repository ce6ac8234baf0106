// Seeded property test: 200 random faults (40 runs of 5) injected into the
// secondary never make the FT check release output that differs from what
// the primary alone produces, and every divergence is corrected. Small runs:
// muldiv.mb with the virtual clock, so the primary alone is `run --clock virtual`.

import { describe, expect, it } from 'vitest';
import { ft, plainRun, SMALL_RAM } from './helpers.js';
import { REG_NAMES } from '../../src/ft/inject.js';

// mulberry32, seeded, so a failure names a reproducible case.
import { rng } from '../fuzz/harness.js';

const FIXTURE = 'muldiv.mb';
const RUNS = 40;
const PER_RUN = 5;

function randomSpec(r: () => number, end: number): string {
  const int = (n: number): number => Math.floor(r() * n);
  const at = int(end);
  switch (int(3)) {
    case 0:
      return `reg:${REG_NAMES[int(REG_NAMES.length)]}:0x${((1 << int(32)) >>> 0).toString(16)}@${at}`;
    case 1:
      // Mostly where the program and its data live, sometimes anywhere in RAM.
      return `mem:0x${(r() < 0.8 ? 0x100000 + int(0x8000) : int(SMALL_RAM)).toString(16)}:0x${(1 << int(8)).toString(16)}@${at}`;
    default:
      return `drop:${r() < 0.8 ? 'timer' : 'clock'}@${1 + int(30)}`;
  }
}

describe('ft-check property: random faults never release wrong output', () => {
  it(`${RUNS * PER_RUN} seeded random injections on ${FIXTURE}`, async () => {
    const alone = plainRun(FIXTURE, 'virtual');
    const r = rng(0x5eed_f7);
    let applied = 0, divergences = 0;
    for (let run = 0; run < RUNS; run++) {
      const inject = Array.from({ length: PER_RUN }, () => randomSpec(r, alone.icount));
      const slice = 3_000 + Math.floor(r() * 20_000);
      const maxLag = 1_000 + Math.floor(r() * 50_000);
      const { report, out } = await ft(FIXTURE, { inject, slice, maxLag, clock: 'virtual' });
      const label = `run ${run}: --slice ${slice} --max-lag ${maxLag} ${inject.map((s) => `--inject ${s}`).join(' ')}`;
      expect(out, label).toBe(alone.out);
      expect(report.verdict, label).toMatchObject({ ok: true, releasedEqualsPrimary: true, corrected: true });
      expect(report.primary.icount, label).toBe(alone.icount);
      applied += report.injections.filter((i) => i.applied).length;
      divergences += report.divergences.length;
    }
    // The faults did something: most were applied and many were caught.
    expect(applied).toBeGreaterThan(RUNS * PER_RUN * 0.5);
    expect(divergences).toBeGreaterThan(RUNS);
  }, 180_000);
});

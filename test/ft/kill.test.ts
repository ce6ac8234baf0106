// kill -9 on loopback: seeded cases kill the primary or the secondary of a
// real `ft-check --secondary` / `ft-secondary` pair once a seeded number of
// output bytes was released; the survivor must end the guest with the output
// file equal to one uninterrupted `vmrr run` (every byte once, the ledger
// contiguous) and the disk file equal to the reference run's. 12 cases here;
// `npm run fuzz -- --ft 100` runs as many as asked (scripts/fuzz.ts).

import { beforeAll, describe, expect, it } from 'vitest';
import { ensureBuilt } from '../cli/helpers.js';
import { runKillCase, seededCase, WORKLOADS } from './kill-harness.js';

beforeAll(ensureBuilt, 120_000);

const CASES = Array.from({ length: 12 }, (_, i) => i);

describe('FT kill tests (kill -9 on loopback)', () => {
  it.each(CASES)('case %i: the survivor releases exactly the uninterrupted run\'s output; the disk ends identical', async (i) => {
    const c = seededCase(1, i);
    const r = await runKillCase(c);
    const what = `${c.workload.name}, kill the ${c.victim} at byte ${c.atByte}: ${r.survivorStderr}`;
    expect(r.survivorStatus, what).toBe(0);
    expect(r.ledgerProblem, what).toBeNull();
    expect(r.outBytes, what).toBe(r.refBytes);
    expect(r.outputEqual, what).toBe(true);
    if (c.workload.disk) expect(r.diskEqual, what).toBe(true);
    // A killed primary leaves the secondary to say that it took over; a killed secondary leaves the primary unprotected.
    if (r.killed && c.victim === 'primary') expect(r.survivorStderr).toMatch(/took over at icount \d+|ended the check/);
  }, 90_000);

  it('the cases cover every workload (output only, serial input, disk writes, RDRAND) with both victims', () => {
    const seen = new Set(CASES.map((i) => `${seededCase(1, i).workload.name}/${seededCase(1, i).victim}`));
    for (const w of WORKLOADS) for (const v of ['primary', 'secondary']) expect(seen.has(`${w.name}/${v}`)).toBe(true);
  });
});

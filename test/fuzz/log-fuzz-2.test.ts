// Hostile logs never reach a stack trace (issue 10): seeded mutations of real
// logs, with recomputed CRCs so they get past the frame layer, through the
// reader, inspect, replay and replay --to. `npm run fuzz` runs many more.
import { beforeAll, describe, expect, it } from 'vitest';
import { ensureBuilt } from '../cli/helpers.js';
import { fuzzLogs, type Corpus } from './harness.js';
import { makeCorpus } from './corpus.js';

let corpus: Corpus;
beforeAll(() => {
  ensureBuilt();
  corpus = makeCorpus();
}, 120_000);

// The second half of the 2,000 cases of log-fuzz.test.ts, with the next seed.
const SEED = Number(process.env.VMRR_FUZZ_SEED ?? 20261202) + 1;

describe('log fuzzing', () => {
  it('1,000 mutated logs: every one replays, diverges or is refused cleanly; none is an internal error or a hang', async () => {
    const r = await fuzzLogs(corpus, 1000, SEED, { caseMs: 30_000, weights: [3, 3, 2, 2] });
    const internal = [...r.internal.values()].join('\n\n');
    expect(r.counts.internal, internal).toBe(0);
    expect(r.counts.hang, r.hangs.join('\n')).toBe(0);
    expect(r.cases).toBe(1000);
    // Both kinds of outcome happen: the mutations reach past the reader.
    expect(r.counts.refused).toBeGreaterThan(100);
    expect(r.counts.ok).toBeGreaterThan(100);
    console.log(`log fuzz, seed ${SEED}: ${JSON.stringify(r.counts)}, max RSS growth ${(r.maxRssGrowth / (1 << 20)).toFixed(1)} MiB`);
    expect(r.maxRssGrowth).toBeLessThan(512 << 20);
  }, 600_000);
});

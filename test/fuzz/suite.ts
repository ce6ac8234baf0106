// The fuzz test's body, shared by log-fuzz.test.ts and log-fuzz-2.test.ts:
// 1,000 cases each with their own seed, in two files so both cores share them.
import { beforeAll, describe, expect, it } from 'vitest';
import { ensureBuilt } from '../cli/helpers.js';
import { fuzzLogs, type Corpus } from './harness.js';
import { makeCorpus } from './corpus.js';

export function fuzzSuite(seedOffset: number): void {
  const seed = Number(process.env.VMRR_FUZZ_SEED ?? 20261202) + seedOffset;
  let corpus: Corpus;
  beforeAll(() => {
    ensureBuilt();
    corpus = makeCorpus();
  }, 120_000);

  describe('log fuzzing', () => {
    it('1,000 mutated logs: every one replays, diverges or is refused cleanly; none is an internal error or a hang', async () => {
      const r = await fuzzLogs(corpus, 1000, seed, { caseMs: 30_000, weights: [3, 3, 2, 2] });
      const internal = [...r.internal.values()].join('\n\n');
      expect(r.counts.internal, internal).toBe(0);
      expect(r.counts.hang, r.hangs.join('\n')).toBe(0);
      expect(r.cases).toBe(1000);
      // Both kinds of outcome happen: the mutations reach past the reader.
      expect(r.counts.refused).toBeGreaterThan(100);
      expect(r.counts.ok).toBeGreaterThan(100);
      console.log(`log fuzz, seed ${seed}: ${JSON.stringify(r.counts)}, max RSS growth ${(r.maxRssGrowth / (1 << 20)).toFixed(1)} MiB`);
      expect(r.maxRssGrowth).toBeLessThan(512 << 20);
    }, 600_000);
  });
}

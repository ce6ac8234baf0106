// `npm run fuzz [-- CASES [SEED]]`: the log fuzzer at length (100,000 cases by
// default); prints the count of each outcome and every distinct internal error.
// `npm run fuzz -- --ft [CASES [SEED]]`: the FT kill tests at length (100 cases
// by default, test/ft/kill-harness.ts).
// `npm run fuzz -- --jit [CASES [SEED]]`: random instructions on the interpreter and the block
// compiler, compared (10,000 cases by default, test/cpu/gen/random-insns.ts).
import { fuzzLogs } from '../test/fuzz/harness.js';
import { makeCorpus } from '../test/fuzz/corpus.js';

if (process.argv[2] === '--jit') {
  // `npm run fuzz -- --jit [CASES [SEED [FIRST]]]`: random instructions, interpreter vs block compiler
  // (test/cpu/gen/random-insns.ts); FIRST: start at that case (to rerun one: CASES 1).
  const { engineFuzz } = await import('../test/cpu/gen/random-insns.js');
  const { rng } = await import('../test/fuzz/harness.js');
  const cases = Number(process.argv[3] ?? 10_000);
  const seed = Number(process.argv[4] ?? 1);
  const first = Number(process.argv[5] ?? 0);
  const t0 = performance.now();
  const { found, stats } = engineFuzz(cases, seed, rng, (i) => {
    if (process.stderr.isTTY && i % 100 === 0) process.stderr.write(`\r${i} / ${cases}`);
  }, first);
  if (process.stderr.isTTY) process.stderr.write('\r');
  console.log(`fuzz --jit: ${stats.cases} cases, seed ${seed}, ${((performance.now() - t0) / 1000).toFixed(0)} s; ` +
    `${stats.insns} instructions, ${(100 * stats.compiledInsns / Math.max(1, stats.insns)).toFixed(1)}% compiled, ${stats.invalidations} code-page invalidations, ${stats.irqs} timer interrupts, ${stats.capped} cases cut at the instruction cap; ${found.length} differences`);
  for (const f of found) console.log(`\ncase ${f.index} (seed ${f.seed}): first difference at icount ${f.diff.icount}, ${f.diff.insn}\n  interpreter ${f.diff.interp}\n  compiled    ${f.diff.compiled}`);
  process.exit(found.length > 0 ? 1 : 0);
}

if (process.argv[2] === '--ft') {
  const { ftKillFuzz } = await import('../test/ft/kill-fuzz.js');
  process.exit(await ftKillFuzz(Number(process.argv[3] ?? 100), Number(process.argv[4] ?? 1)));
}

const cases = Number(process.argv[2] ?? 100_000);
const seed = Number(process.argv[3] ?? 1);
// `npm run fuzz -- CASES SEED ONLY`: run only case ONLY (to reproduce one), keeping its log as fuzz-case.vmrr.
const only = process.argv[4] === undefined ? undefined : Number(process.argv[4]);
const corpus = makeCorpus();
const start = performance.now();
const r = await fuzzLogs(corpus, cases, seed, {
  caseMs: 60_000,
  only,
  keep: only === undefined ? undefined : 'fuzz-case.vmrr',
  onCase: (i) => {
    if (process.stderr.isTTY && i % 100 === 0) process.stderr.write(`\r${i} / ${cases}`);
  },
});
if (process.stderr.isTTY) process.stderr.write('\r');
console.log(`fuzz: ${r.cases} cases, seed ${seed}, ${((performance.now() - start) / 1000).toFixed(0)} s`);
for (const [k, v] of Object.entries(r.counts)) console.log(`  ${k.padEnd(9)} ${v}`);
console.log(`  max RSS growth in one case: ${(r.maxRssGrowth / (1 << 20)).toFixed(1)} MiB`);
console.log(`  slowest case: ${(r.slowest.ms / 1000).toFixed(1)} s (${r.slowest.label})`);
for (const m of r.internal.values()) console.log(`\ninternal error: ${m}`);
for (const h of r.hangs) console.log(`hang: ${h}`);
process.exit(r.counts.internal + r.counts.hang > 0 ? 1 : 0);

// `npm run fuzz -- --ft CASES SEED`: kill cases at length; prints each failure
// and a summary, returns the exit status (1 when any case failed).
import { runKillCase, seededCase } from './kill-harness.js';

export async function ftKillFuzz(cases: number, seed: number): Promise<number> {
  let failed = 0, killed = 0;
  const start = performance.now();
  for (let i = 0; i < cases; i++) {
    const c = seededCase(seed, i);
    const r = await runKillCase(c).catch((e: Error) => ({ error: e.message }) as const);
    const problem = 'error' in r ? r.error
      : r.survivorStatus !== 0 ? `survivor exit status ${r.survivorStatus}: ${r.survivorStderr.trim().split('\n').pop()}`
      : r.ledgerProblem ?? (!r.outputEqual ? `output differs (${r.outBytes} bytes, reference ${r.refBytes})` : r.diskEqual === false ? 'the disk differs' : null);
    if (!('error' in r) && r.killed) killed++;
    if (problem) {
      failed++;
      console.log(`case ${i} (${c.workload.name}, kill the ${c.victim} at byte ${c.atByte}): ${problem}`);
    }
    if (process.stderr.isTTY) process.stderr.write(`\r${i + 1} / ${cases}`);
  }
  if (process.stderr.isTTY) process.stderr.write('\r');
  console.log(`ft kill fuzz: ${cases} cases, seed ${seed}, ${killed} killed mid-run, ${failed} failed, ${((performance.now() - start) / 1000).toFixed(0)} s`);
  return failed > 0 ? 1 : 0;
}

// `npm run bench` (third part): what `vmrr diff` costs against one replay.
// Two recordings of fixtures/late-nd.mb (about 10^8 instructions, then one
// RDRAND: they part near the end), made with the CLI's defaults (a sync
// point every 10^7 instructions, a checkpoint every 10^8). Then, interleaved,
// N times each: `replay` of one log (verifying, as by default) and `diff` of
// the two; medians of wall and CPU time, and their ratio (the target: diff
// under 2x one replay).
// Usage: node bench/diff.js [--runs N] [--json]
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { replayCommand } from '../dist/cli/replay.js';
import { diffCommand } from '../dist/cli/diff.js';

const { values: args } = parseArgs({ options: { runs: { type: 'string' }, json: { type: 'boolean', default: false } } });
const runs = Number(args.runs ?? 3);
const root = fileURLToPath(new URL('..', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'vmrr-bench-diff-'));
const image = join(root, 'fixtures', 'late-nd.mb');
const logs = ['a', 'b'].map((n) => join(dir, `${n}.vmrr`));
for (const log of logs) execFileSync(process.execPath, [join(root, 'bin', 'vmrr.js'), 'record', image, '-o', log], { stdio: 'ignore' });

async function timed(fn) {
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  const value = await fn();
  const c = process.cpuUsage(c0);
  return { value, seconds: (performance.now() - t0) / 1000, cpuSeconds: (c.user + c.system) / 1e6 };
}
const median = (xs) => [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)];
const io = { guestStdout: () => {}, warn: () => {} };
const replay = [], diff = [];
let report = null;
for (let i = 0; i < runs; i++) {
  replay.push(await timed(() => replayCommand(logs[0], { force: false, verify: true, json: true }, io)));
  const d = await timed(() => diffCommand(logs[0], logs[1]));
  report = d.value;
  diff.push(d);
}
rmSync(dir, { recursive: true, force: true });
const r = {
  guest: 'fixtures/late-nd.mb',
  icount: replay[0].value.icount,
  firstDifference: report.icount,
  instruction: report.instruction,
  stepped: report.stepped,
  replaySeconds: median(replay.map((x) => x.seconds)),
  replayCpuSeconds: median(replay.map((x) => x.cpuSeconds)),
  diffSeconds: median(diff.map((x) => x.seconds)),
  diffCpuSeconds: median(diff.map((x) => x.cpuSeconds)),
};
r.ratioWall = r.diffSeconds / r.replaySeconds;
r.ratioCpu = r.diffCpuSeconds / r.replayCpuSeconds;
if (args.json) console.log(JSON.stringify(r));
else {
  console.log(`diff vs replay (${r.guest}, ${r.icount} instructions, first difference at icount ${r.firstDifference}: ${r.instruction}; ${runs} runs, medians)`);
  console.log(`  replay ${r.replaySeconds.toFixed(2)} s wall, ${r.replayCpuSeconds.toFixed(2)} s CPU`);
  console.log(`  diff   ${r.diffSeconds.toFixed(2)} s wall, ${r.diffCpuSeconds.toFixed(2)} s CPU, ${r.stepped} instructions single-stepped`);
  console.log(`  diff / replay: ${r.ratioWall.toFixed(2)}x wall, ${r.ratioCpu.toFixed(2)}x CPU (target: under 2x)`);
}

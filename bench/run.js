// `npm run bench`: guest MIPS (retired instructions / wall seconds) on the
// CPU-bound fixture, run in this process several times, peak RSS, and the
// CLI's start-up time (`vmrr --version`, median of 5 processes).
// Usage: node bench/run.js [--quick] [--runs N] [--image FILE] [--json]
//   --quick  the short fixture (about 10^7 instructions), 3 runs: a smoke test, not a figure
import { performance } from 'node:perf_hooks';
import { spawnSync } from 'node:child_process';
import { fixtureArgs, runFixture } from './fixture-run.js';

const { image, runs, json, bytes } = fixtureArgs();

function once() {
  const { icount, seconds } = runFixture(image, bytes);
  return { icount, seconds, mips: icount / seconds / 1e6 };
}

const log = (line) => process.stderr.write(line + '\n');
log(`vmrr bench: ${image}, ${runs} run${runs > 1 ? 's' : ''}, node ${process.version}`);
const results = [];
for (let i = 0; i < runs; i++) {
  let r;
  try {
    r = once();
  } catch (e) {
    log(`bench: ${e.message}`);
    process.exit(1);
  }
  results.push(r);
  log(`  run ${i + 1}: ${r.icount.toLocaleString('en-US')} instructions in ${r.seconds.toFixed(2)} s = ${r.mips.toFixed(1)} MIPS`);
}
const mips = results.map((r) => r.mips).sort((a, b) => a - b);
const median = mips.length % 2 ? mips[(mips.length - 1) / 2] : (mips[mips.length / 2 - 1] + mips[mips.length / 2]) / 2;
// maxRSS is in KiB.
const peakRssMiB = process.resourceUsage().maxRSS / 1024;
// Start-up: a whole process, as a user or a CI script pays it.
const bin = new URL('../bin/vmrr.js', import.meta.url).pathname;
const starts = [0, 1, 2, 3, 4].map(() => {
  const t0 = performance.now();
  const r = spawnSync(process.execPath, [bin, '--version']);
  if (r.status !== 0) throw new Error(`vmrr --version exited ${r.status}`);
  return performance.now() - t0;
}).sort((a, b) => a - b);
const startupMs = starts[2];
const summary = {
  image,
  startupMs,
  runs,
  icount: results[0].icount,
  mipsMedian: median,
  mipsMin: mips[0],
  mipsMax: mips[mips.length - 1],
  peakRssMiB,
};
if (json) {
  process.stdout.write(JSON.stringify(summary) + '\n');
} else {
  console.log(`guest MIPS: median ${median.toFixed(1)}, min ${mips[0].toFixed(1)}, max ${mips[mips.length - 1].toFixed(1)}`);
  console.log(`peak RSS: ${peakRssMiB.toFixed(1)} MiB`);
  console.log(`start-up (vmrr --version, a whole process): median ${startupMs.toFixed(0)} ms of 5`);
}

// Reverse-execution costs of `vmrr replay --gdb` (issue 13's figures), in
// process, without gdb (the protocol adds one round trip per command).
// Usage: node bench/gdb.js [--image FILE] [--insns N] [--back N] [--log FILE]
//   records IMAGE (default fixtures/bench.mb, stopped at --insns) unless --log is given, then:
//   - plain forward replay MIPS;
//   - forward continue with one software breakpoint set (never hit): MIPS;
//   - 1,000 reverse-stepi from the end: median and max latency (the first one listed apart);
//   - reverse-continue to a breakpoint --back instructions back, beside a forward replay of that distance.
import { execFileSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { performance } from 'node:perf_hooks';
import { openReplay } from '../dist/cli/replay-machine.js';
import { ReplayEngine } from '../dist/gdb/replay-engine.js';
import { ReplayTarget } from '../dist/gdb/replay-target.js';
import { DebugPoints } from '../dist/gdb/points.js';
import { pcLinear } from '../dist/gdb/cpu-view.js';

const { values: a } = parseArgs({ options: { image: { type: 'string' }, insns: { type: 'string' }, back: { type: 'string' }, log: { type: 'string' } } });
const image = a.image ?? 'fixtures/bench.mb';
const insns = Number(a.insns ?? 2e8);
const back = Number(a.back ?? 1e7);
const say = (s) => process.stderr.write(s + '\n');
let log = a.log;
if (!log) {
  log = join(mkdtempSync(join(tmpdir(), 'vmrr-bench-gdb-')), 'b.vmrr');
  say(`recording ${image} to ${log} (${insns.toExponential()} instructions, checkpoints every 1e8) ...`);
  try {
    execFileSync(process.execPath, ['bin/vmrr.js', 'record', image, '-o', log, '--max-insns', String(insns), '--json'], { stdio: ['ignore', 'ignore', 'inherit'] });
  } catch (e) {
    if (e.status !== 3) throw e; // 3: the instruction limit, as asked
  }
}

const open = async () => {
  const o = await openReplay(log, { output: () => {} });
  return new ReplayEngine(o.machine, o.replayer, log);
};
const ms = (t0) => performance.now() - t0;
const median = (xs) => [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)];

// Plain forward replay (twice: the first warms the JIT up; the better one counts).
let e;
let t0;
let plain = 0;
let end = 0;
for (let k = 0; k < 2; k++) {
  e = await open();
  t0 = performance.now();
  // advance, not seekTo: a seek would start from the last checkpoint and replay only the tail.
  await e.advance(Number.MAX_SAFE_INTEGER);
  end = e.icount;
  plain = Math.max(plain, end / (ms(t0) / 1000) / 1e6);
}
say(`log: ${end} instructions; plain forward replay ${plain.toFixed(1)} MIPS`);

// Forward continue with one breakpoint that is never hit, for 2 seconds, then plain again for 2 seconds.
e = await open();
let t = new ReplayTarget(e);
const pts = new DebugPoints();
pts.apply('Z0,fffffff0,1');
t.pointsChanged(pts);
const ac = new AbortController();
setTimeout(() => ac.abort(), 2000);
t0 = performance.now();
await t.resume({ points: pts, signal: ac.signal });
const withBp = e.icount / (ms(t0) / 1000) / 1e6;
e = await open();
t = new ReplayTarget(e);
const ac2 = new AbortController();
setTimeout(() => ac2.abort(), 2000);
t0 = performance.now();
await t.resume({ points: new DebugPoints(), signal: ac2.signal });
const noBp = e.icount / (ms(t0) / 1000) / 1e6;
say(`forward continue with one software breakpoint: ${withBp.toFixed(1)} MIPS; without: ${noBp.toFixed(1)} MIPS (${(100 * withBp / noBp).toFixed(1)}%)`);

// 1,000 reverse-stepi from the end.
e = await open();
t = new ReplayTarget(e);
await e.seekTo(Number.MAX_SAFE_INTEGER);
const steps = [];
for (let k = 0; k < 1000; k++) {
  t0 = performance.now();
  await t.reverseStep();
  steps.push(ms(t0));
}
say(`1,000 reverse-stepi from icount ${end}: first ${steps[0].toFixed(0)} ms; the other 999: median ${median(steps.slice(1)).toFixed(2)} ms, max ${Math.max(...steps.slice(1)).toFixed(2)} ms`);

// reverse-continue to a breakpoint `back` instructions before the end, beside forward replay of that distance.
const target = end - back;
await e.seekTo(target);
const pc = pcLinear(e.machine.cpu);
// The first position at or after `target` where the PC is pc; the breakpoint there is the last hit before the end only if pc recurs rarely, so count hits.
const bpts = new DebugPoints();
bpts.apply(`Z0,${pc.toString(16)},1`);
t.pointsChanged(bpts);
await e.seekTo(end);
t0 = performance.now();
const r = await t.reverseResume({ points: bpts, signal: new AbortController().signal });
const rc = ms(t0);
const landed = e.icount;
t.pointsChanged(new DebugPoints());
await e.seekTo(target);
t0 = performance.now();
await e.advance(end);
const fwd = ms(t0);
say(`reverse-continue from ${end} to the last hit of a breakpoint at 0x${pc.toString(16)} (icount ${landed}, ${end - landed} back; ${r.kind}): ${rc.toFixed(0)} ms; forward replay of ${back} instructions: ${fwd.toFixed(0)} ms`);

// reverse-continue with a breakpoint never hit: scans every window back to the log's start.
const never = new DebugPoints();
never.apply('Z0,fffffff0,1');
t.pointsChanged(never);
await e.seekTo(end);
t0 = performance.now();
const r2 = await t.reverseResume({ points: never, signal: new AbortController().signal });
const scan = ms(t0);
t.pointsChanged(new DebugPoints());
await e.seekTo(0);
t0 = performance.now();
await e.advance(end);
say(`reverse-continue from ${end} with a breakpoint never hit (${r2.kind} ${r2.end ?? ''}): ${scan.toFixed(0)} ms; forward replay of the whole log: ${ms(t0).toFixed(0)} ms`);

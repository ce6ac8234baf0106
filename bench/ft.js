// The FT check's cost (issue 5): wall time of `vmrr ft-check` against a plain
// `vmrr run` on the CPU-bound fixture, resync bytes against RAM size, and
// output latency (instructions the primary runs between writing a byte and
// its release). --threads 1 runs both guests in one thread, in turn, so it
// costs about twice a run; --threads 2 runs the secondary in a worker thread,
// pipelined with the primary. Machines are built as the CLI builds them
// (32 MiB RAM, host clock, ND buffer 4096); the engine rows time the run or
// the check only, not loading; the `commands` row times `vmrr run` and
// `vmrr ft-check --threads 2` from start to exit. Every measurement runs in a
// fresh process, the modes alternating; medians.
// Usage: node bench/ft.js [--quick] [--runs N] [--slice N] [--json]   (after `npm run build`)
//   --quick  bench-short.mb instead of bench.mb, 1 run: a smoke test, not a figure
import { readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const { values: args } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    runs: { type: 'string' },
    slice: { type: 'string' },
    json: { type: 'boolean', default: false },
    child: { type: 'string' },
    icount: { type: 'string' },
  },
});
// As bin/vmrr.js does for `ft-check --threads 2`: the worker thread starts loading before this
// thread loads vmrr's modules (not timed: the check is timed from the engine call, as before).
if (args.child === 'ft2') (await import('../dist/ft/remote-secondary.js')).prespawnSecondaryWorker();
const { Machine } = await import('../dist/machine/machine.js');
const { loadMultiboot } = await import('../dist/machine/loaders.js');
const { HostInputSource } = await import('../dist/replay/input-source.js');
const { sha256Hex } = await import('../dist/replay/digest.js');
const { ftCheck } = await import('../dist/ft/checker.js');
const { ftCheckParallel } = await import('../dist/ft/parallel.js');
const { parseInjection } = await import('../dist/ft/inject.js');
const name = args.quick ? 'bench-short.mb' : 'bench.mb';
const runs = Number(args.runs ?? (args.quick ? 1 : 7));
const slice = Number(args.slice ?? 2_000_000); // ft-check's default
const RAM = 32 * 1024 * 1024;
const bytes = new Uint8Array(readFileSync(new URL(`../fixtures/${name}`, import.meta.url)));
const plan = () => loadMultiboot(bytes, RAM, '');
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function plainRun() {
  let out = 0;
  const m = new Machine({ ramBytes: RAM, input: new HostInputSource(1000), clock: 'host', mhz: 1000, serial: () => out++ });
  m.load(plan());
  const t0 = performance.now();
  const stop = await m.runAsync({});
  return { ms: performance.now() - t0, icount: stop.icount, out };
}

async function ft(inject = [], engine = ftCheck) {
  const opts = {
    image: name,
    setup: { plan: plan(), ramBytes: RAM, clock: 'host', mhz: 1000, debugconPorts: [0xe9] },
    recorder: {
      ndBufferSize: 4096, mhz: 1000,
      header: {
        toolVersion: 'bench', machine: { ram: RAM, bios: false, append: '', imageArg: name, clock: 'host', mhz: 1000, debugconPorts: [0xe9] },
        imagePath: name, imageSha256: sha256Hex(bytes), diskPath: null, diskSha256: null, clock: 'host',
      },
    },
    injections: inject.map(parseInjection), loose: [], slice, maxLag: 5_000_000,
    release: () => {}, now: () => performance.now(),
  };
  const t0 = performance.now();
  const report = await engine(opts);
  return { ms: performance.now() - t0, report };
}

// Each measurement in a fresh process, as a user runs `vmrr run` and `vmrr ft-check`: in one
// process the plain runs would reuse code the JIT had optimized while a worker thread (--threads 2)
// starts cold every time. Plain, one-thread and two-thread runs alternate; medians of `runs`.
if (args.child) {
  const mode = args.child;
  let out;
  if (mode === 'plain') out = await plainRun();
  else if (mode === 'ft1' || mode === 'ft2') {
    const f = await ft([], mode === 'ft2' ? ftCheckParallel : ftCheck);
    if (!f.report.verdict.ok) throw new Error(`ft-check (${mode}) without faults did not end OK`);
    out = { ms: f.ms, report: f.report };
  } else {
    // Resyncs: a register flip at every 4th sync point, so each resync carries the pages dirtied in one round.
    const icount = Number(args.icount);
    const flips = [];
    for (let at = 2 * slice; at < icount; at += 4 * slice) flips.push(`reg:ebx:0x1@${at}`);
    const f = await ft(flips);
    out = { ms: f.ms, report: f.report };
  }
  process.stdout.write(JSON.stringify(out));
  process.exit(0);
}

const self = fileURLToPath(import.meta.url);
const child = (mode, extra = []) => {
  const argv = [self, '--child', mode, '--slice', String(slice), ...(args.quick ? ['--quick'] : []), ...extra];
  return JSON.parse(execFileSync(process.execPath, argv, { maxBuffer: 64 << 20 }).toString());
};
// The commands themselves, start to exit, as a user or a CI script sees them.
const vmrr = fileURLToPath(new URL('../bin/vmrr.js', import.meta.url));
const image = fileURLToPath(new URL(`../fixtures/${name}`, import.meta.url));
const command = (argv) => {
  const t0 = performance.now();
  execFileSync(process.execPath, [vmrr, ...argv, image], { stdio: ['ignore', 'ignore', 'ignore'] });
  return performance.now() - t0;
};
const plain = [], fts = [], pars = [], cliRun = [], cliFt = [];
let report = null, parReport = null;
const modes = ['plain', 'ft1', 'ft2', 'cli-run', 'cli-ft2'];
for (let i = 0; i < runs; i++) {
  for (let k = 0; k < modes.length; k++) {
    const mode = modes[(i + k) % modes.length];
    if (mode === 'cli-run') {
      cliRun.push(command(['run']));
      continue;
    }
    if (mode === 'cli-ft2') {
      cliFt.push(command(['ft-check', '--threads', '2', '--slice', String(slice)]));
      continue;
    }
    const r = child(mode);
    if (mode === 'plain') plain.push(r.ms);
    else if (mode === 'ft1') {
      fts.push(r.ms);
      report = r.report;
    } else {
      pars.push(r.ms);
      parReport = r.report;
    }
  }
}
const icount = report.primary.icount;
const inj = child('resync', ['--icount', String(icount)]);
const rs = inj.report.resyncs;
const result = {
  image: name,
  icount,
  slice,
  runs,
  plainMs: median(plain),
  ftMs: median(fts),
  ratio: median(fts) / median(plain),
  threads2Ms: median(pars),
  threads2Ratio: median(pars) / median(plain),
  // Each run's ratio to the plain run of the same round of modes (seconds apart, the same machine load).
  threads2PairedRatio: median(pars.map((x, i) => x / plain[i])),
  cliPairedRatio: median(cliFt.map((x, i) => x / cliRun[i])),
  cliRunMs: median(cliRun),
  cliFtThreads2Ms: median(cliFt),
  cliRatio: median(cliFt) / median(cliRun),
  plainMips: icount / median(plain) / 1000,
  outputBytes: report.output.produced,
  latencyMeanInsns: report.output.latencyMeanInsns,
  latencyMaxInsns: report.output.latencyMaxInsns,
  threads2LatencyMeanInsns: parReport.output.latencyMeanInsns,
  threads2LatencyMaxInsns: parReport.output.latencyMaxInsns,
  maxHeldBytes: report.output.maxHeldBytes,
  linkBytes: report.link.bytes,
  primaryMs: report.timing.primaryMs,
  secondaryMs: report.timing.secondaryMs,
  resyncs: rs.length,
  resyncVerdictOk: inj.report.verdict.ok,
  resyncPagesMean: rs.length ? rs.reduce((a, r) => a + r.pages, 0) / rs.length : 0,
  resyncBytesMean: rs.length ? rs.reduce((a, r) => a + r.transferBytes, 0) / rs.length : 0,
  ramBytes: RAM,
  resyncPausedMsMedian: rs.length ? median(rs.map((r) => r.pausedMs)) : 0,
};
if (args.json) console.log(JSON.stringify(result));
else {
  const f = (x, d = 0) => x.toLocaleString('en-US', { maximumFractionDigits: d });
  console.log(`ft-check on ${name} (${f(icount)} instructions, slice ${f(slice)}, median of ${runs}, each run in a fresh process):`);
  console.log(`  plain run   ${f(result.plainMs)} ms (${f(result.plainMips, 1)} MIPS)`);
  console.log(`  --threads 1 ${f(result.ftMs)} ms = ${result.ratio.toFixed(2)}x the plain run (both guests in one thread, in turn)`);
  console.log(`    of which  primary ${f(result.primaryMs)} ms, secondary ${f(result.secondaryMs)} ms (last run); the rest is sync points and comparing`);
  console.log(`    output    ${f(result.outputBytes)} bytes; latency ${f(result.latencyMeanInsns)} instructions mean, ${f(result.latencyMaxInsns)} max; at most ${f(result.maxHeldBytes)} held`);
  console.log(`  --threads 2 ${f(result.threads2Ms)} ms = ${result.threads2Ratio.toFixed(2)}x the plain run (the secondary in a worker thread, pipelined); ` +
    `median of each round's ratio ${result.threads2PairedRatio.toFixed(2)}x`);
  console.log(`    output    latency ${f(result.threads2LatencyMeanInsns)} instructions mean, ${f(result.threads2LatencyMaxInsns)} max`);
  console.log(`  commands    \`vmrr ft-check --threads 2\` ${f(result.cliFtThreads2Ms)} ms = ${result.cliRatio.toFixed(2)}x \`vmrr run\` ${f(result.cliRunMs)} ms (start to exit); ` +
    `median of each round's ratio ${result.cliPairedRatio.toFixed(2)}x`);
  console.log(`  link        ${f(result.linkBytes)} bytes`);
  console.log(`  resyncs     ${rs.length} (a register flip every 4 rounds; verdict ${inj.report.verdict.ok ? 'OK' : 'FAILED'}): ` +
    `${f(result.resyncPagesMean, 1)} pages, ${f(result.resyncBytesMean)} bytes on the link each = ${((100 * result.resyncBytesMean) / RAM).toFixed(3)}% of ${RAM >> 20} MiB RAM; ` +
    `primary paused ${result.resyncPausedMsMedian.toFixed(1)} ms (median)`);
}

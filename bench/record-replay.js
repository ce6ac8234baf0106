// `npm run bench` (second part): what recording and replaying cost.
//   - record overhead: `record` vs `run` on the CPU-bound fixture (median of N each, interleaved);
//   - replay vs record speed on an RDTSC-heavy guest (fixtures/rdtsc-loop.mb);
//   - log bytes per RDTSC, buffer exits per million ND instructions (rdtsc-loop);
//   - log bytes per million instructions on the timer guest (fixtures/timer.mb);
//   - `replay --to` the last 1% of the CPU-bound recording: through the nearest checkpoint vs from power-on.
// Each run builds its machine as `vmrr run`, `vmrr record` and `vmrr replay --verify`
// do (CLI defaults: ND buffer 4096, a sync point every 10^7 instructions, a
// checkpoint every 10^8) and times only the run, record or replay loop, not loading:
// wall time, and the process's CPU time (user + system, all threads: GC included),
// which a busy shared host disturbs less than wall time.
// Usage: node bench/record-replay.js [--quick] [--runs N] [--json]
//   --runs N  runs of each measure (default 5)
//   --quick   bench-short.mb instead of bench.mb: a smoke test, not a figure
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { Machine } from '../dist/machine/machine.js';
import { loadMultiboot } from '../dist/machine/loaders.js';
import { HostInputSource } from '../dist/replay/input-source.js';
import { StateHasher } from '../dist/machine/state-hash.js';
import { CheckpointTracker } from '../dist/machine/snapshot.js';
import { Recorder } from '../dist/replay/recorder.js';
import { Replayer } from '../dist/replay/replayer.js';
import { recordLoop, replayLoop } from '../dist/replay/session.js';
import { sha256Hex } from '../dist/replay/digest.js';
import { replayCommand } from '../dist/cli/replay.js';

const { values: args } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    runs: { type: 'string' },
    json: { type: 'boolean', default: false },
  },
});
const runs = Number(args.runs ?? 5);
if (!Number.isInteger(runs) || runs < 1) throw new Error(`--runs: ${args.runs} is not a positive integer`);
const RAM = 32 * 1024 * 1024;
const ND_BUFFER = 4096;
const SYNC_EVERY = 10_000_000;
const CHECKPOINT_EVERY = 100_000_000;
const dir = mkdtempSync(join(tmpdir(), 'vmrr-bench-'));
const fixture = (name) => fileURLToPath(new URL(`../fixtures/${name}`, import.meta.url));
const image = (name) => ({ name, bytes: new Uint8Array(readFileSync(fixture(name))) });
const cpuBound = image(args.quick ? 'bench-short.mb' : 'bench.mb');
const rdtscLoop = image('rdtsc-loop.mb');
const timer = image('timer.mb');
const say = (line) => process.stderr.write(line + '\n');

/** Wall and CPU seconds of `f`. */
async function timed(f) {
  const cpu0 = process.cpuUsage();
  const start = performance.now();
  const value = await f();
  const seconds = (performance.now() - start) / 1000;
  const cpu = process.cpuUsage(cpu0);
  return { value, seconds, cpuSeconds: (cpu.user + cpu.system) / 1e6 };
}

function checkEnd(stop, what) {
  if (stop.reason !== 'exit' || stop.exitValue !== 1) throw new Error(`${what} did not end cleanly: ${JSON.stringify(stop)}`);
}

async function run(img) {
  const machine = new Machine({ ramBytes: RAM, input: new HostInputSource(), serial: () => {} });
  machine.load(loadMultiboot(img.bytes, RAM, `${img.name} `));
  const { value: stop, seconds, cpuSeconds } = await timed(() => machine.runAsync({}));
  checkEnd(stop, `run ${img.name}`);
  return { icount: stop.icount, seconds, cpuSeconds };
}

async function record(img, log) {
  const rec = new Recorder({
    path: log,
    ndBufferSize: ND_BUFFER,
    mhz: 1000,
    header: {
      toolVersion: 'bench',
      machine: { ram: RAM, mhz: 1000, clock: 'host' },
      imagePath: img.name,
      imageSha256: sha256Hex(img.bytes),
      diskPath: null,
      diskSha256: null,
      clock: 'host',
    },
  });
  const machine = new Machine({ ramBytes: RAM, input: rec.input, serial: () => {}, onEvent: rec.onEvent });
  rec.input.attach(machine.cpu);
  machine.load(loadMultiboot(img.bytes, RAM, `${img.name} `));
  const hasher = new StateHasher(machine);
  const tracker = new CheckpointTracker(machine);
  const { value: stop, seconds, cpuSeconds } = await timed(async () => {
    const s = await recordLoop(machine, rec, {
      syncEvery: SYNC_EVERY,
      checkpointEvery: CHECKPOINT_EVERY,
      hash: () => hasher.hashBytes(),
      checkpoint: () => {
        const cp = tracker.take();
        return { state: cp.state, pages: cp.pages };
      },
    });
    rec.finish(s, hasher.hashBytes(), {});
    return s;
  });
  checkEnd(stop, `record ${img.name}`);
  const nd = rec.input.nd.counters.toJSON();
  return { icount: stop.icount, seconds, cpuSeconds, nd, ndBytes: rec.writer.tally.nd.bytes, logBytes: statSync(log).size };
}

async function replay(img, log) {
  const rp = new Replayer(log);
  try {
    const machine = new Machine({ ramBytes: RAM, input: rp.input, serial: () => {}, events: rp.events });
    rp.attach(machine.cpu);
    machine.load(loadMultiboot(img.bytes, RAM, `${img.name} `));
    const hasher = new StateHasher(machine);
    const { value: r, seconds, cpuSeconds } = await timed(() => replayLoop(machine, rp, { verify: true, hash: () => hasher.hashBytes() }));
    if (r.verdict !== 'identical') throw new Error(`replay ${img.name}: ${r.verdict} ${JSON.stringify(r.divergence ?? r.cut)}`);
    return { icount: r.icount, seconds, cpuSeconds };
  } finally {
    rp.close();
  }
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const mips = (r) => r.icount / r.seconds / 1e6;

async function main() {
  say(`vmrr bench record/replay: ${runs} run${runs > 1 ? 's' : ''} each, node ${process.version}`);

  // 1. record overhead vs run, interleaved so that a change in host load hits both alike.
  const runT = [];
  const recT = [];
  // Warm-up (JIT), not timed; then run and record alternate which goes first.
  await run(image('bench-short.mb'));
  await record(image('bench-short.mb'), join(dir, 'warm.vmrr'));
  for (let i = 0; i < runs; i++) {
    let a;
    let b;
    if (i % 2 === 0) {
      a = await run(cpuBound);
      b = await record(cpuBound, join(dir, 'cpu.vmrr'));
    } else {
      b = await record(cpuBound, join(dir, 'cpu.vmrr'));
      a = await run(cpuBound);
    }
    runT.push(a);
    recT.push(b);
    say(`  ${cpuBound.name} ${i + 1}: run ${a.seconds.toFixed(2)} s (CPU ${a.cpuSeconds.toFixed(2)} s, ${mips(a).toFixed(1)} MIPS), record ${b.seconds.toFixed(2)} s (CPU ${b.cpuSeconds.toFixed(2)} s, ${mips(b).toFixed(1)} MIPS), log ${b.logBytes} bytes`);
  }

  // 2. replay vs record on the RDTSC-heavy guest; the last recording is also measured for size.
  const rRec = [];
  const rRep = [];
  let last;
  await replay(rdtscLoop, (await record(rdtscLoop, join(dir, 'warm.vmrr')), join(dir, 'warm.vmrr')));
  for (let i = 0; i < runs; i++) {
    const log = join(dir, 'rdtsc.vmrr');
    const b = await record(rdtscLoop, log);
    const c = await replay(rdtscLoop, log);
    if (c.icount !== b.icount) throw new Error(`replay of ${rdtscLoop.name} ended at ${c.icount}, the recording at ${b.icount}`);
    rRec.push(b);
    rRep.push(c);
    last = b;
    say(`  ${rdtscLoop.name} ${i + 1}: record ${b.seconds.toFixed(2)} s (CPU ${b.cpuSeconds.toFixed(2)} s, ${mips(b).toFixed(1)} MIPS), replay --verify ${c.seconds.toFixed(2)} s (CPU ${c.cpuSeconds.toFixed(2)} s, ${mips(c).toFixed(1)} MIPS)`);
  }

  // 3. log size on the timer guest (host clock: PIT reads and IRQ0 events).
  const timerSizes = [];
  for (let i = 0; i < runs; i++) {
    const t = await record(timer, join(dir, 'timer.vmrr'));
    timerSizes.push(t.logBytes / (t.icount / 1e6));
  }

  const wall = (xs) => median(xs.map((x) => x.seconds));
  const cpu = (xs) => median(xs.map((x) => x.cpuSeconds));
  // 4. seeking: `vmrr replay --to N` with N at 99% of the last CPU-bound recording, as the CLI does it
  // (open the log, build the machine, restore the nearest checkpoint or start from power-on).
  const cpuLog = join(dir, 'cpu.vmrr');
  const to = Math.floor(recT[recT.length - 1].icount * 0.99);
  const seekT = [];
  const fullT = [];
  const io = { guestStdout: () => {}, warn: () => {} };
  const seekRuns = Math.min(runs, 3);
  for (let i = 0; i < seekRuns; i++) {
    const opts = { image: fixture(cpuBound.name), force: false, verify: false, json: true, to };
    const a = await timed(() => replayCommand(cpuLog, { ...opts, seek: true }, io));
    const b = await timed(() => replayCommand(cpuLog, { ...opts, seek: false }, io));
    for (const r of [a, b]) if (r.value.verdict !== 'reached' || r.value.icount !== to) throw new Error(`replay --to ${to}: ${JSON.stringify(r.value)}`);
    if (a.value.stateHash !== b.value.stateHash) throw new Error(`replay --to ${to}: the seek and the full replay reach other states`);
    seekT.push(a);
    fullT.push(b);
    say(`  ${cpuBound.name} --to ${to}: from the checkpoint at ${a.value.seekedFrom} ${a.seconds.toFixed(2)} s (CPU ${a.cpuSeconds.toFixed(2)} s), from power-on ${b.seconds.toFixed(2)} s (CPU ${b.cpuSeconds.toFixed(2)} s)`);
  }

  const summary = {
    runs,
    cpuBound: cpuBound.name,
    cpuBoundIcount: runT[0].icount,
    runSecondsMedian: wall(runT),
    recordSecondsMedian: wall(recT),
    recordOverhead: wall(recT) / wall(runT),
    runCpuSecondsMedian: cpu(runT),
    recordCpuSecondsMedian: cpu(recT),
    recordOverheadCpu: cpu(recT) / cpu(runT),
    rdtscGuest: rdtscLoop.name,
    rdtscIcount: last.icount,
    rdtscRecordSecondsMedian: wall(rRec),
    rdtscReplaySecondsMedian: wall(rRep),
    replayOverRecord: wall(rRep) / wall(rRec),
    rdtscRecordCpuSecondsMedian: cpu(rRec),
    rdtscReplayCpuSecondsMedian: cpu(rRep),
    replayOverRecordCpu: cpu(rRep) / cpu(rRec),
    rdtscCount: last.nd.rdtsc,
    ndBytesPerRdtsc: last.ndBytes / last.nd.total,
    bufferExitsPerMillionNd: last.nd.bufferExits / (last.nd.total / 1e6),
    timerLogBytesPerMillionInsns: median(timerSizes),
    seekTo: to,
    seekRuns,
    seekSecondsMedian: wall(seekT),
    fullReplayToSecondsMedian: wall(fullT),
    seekCpuSecondsMedian: cpu(seekT),
    fullReplayToCpuSecondsMedian: cpu(fullT),
  };
  if (args.json) {
    process.stdout.write(JSON.stringify(summary) + '\n');
    return;
  }
  const rows = [
    ['record / run, wall time', cpuBound.name, `${summary.recordOverhead.toFixed(3)} (run ${summary.runSecondsMedian.toFixed(2)} s, record ${summary.recordSecondsMedian.toFixed(2)} s)`, '<= 1.05'],
    ['record / run, CPU time', cpuBound.name, `${summary.recordOverheadCpu.toFixed(3)} (run ${summary.runCpuSecondsMedian.toFixed(2)} s, record ${summary.recordCpuSecondsMedian.toFixed(2)} s)`, '<= 1.05'],
    ['replay / record, wall time', rdtscLoop.name, `${summary.replayOverRecord.toFixed(3)} (record ${summary.rdtscRecordSecondsMedian.toFixed(2)} s, replay ${summary.rdtscReplaySecondsMedian.toFixed(2)} s)`, '<= 1'],
    ['replay / record, CPU time', rdtscLoop.name, `${summary.replayOverRecordCpu.toFixed(3)} (record ${summary.rdtscRecordCpuSecondsMedian.toFixed(2)} s, replay ${summary.rdtscReplayCpuSecondsMedian.toFixed(2)} s)`, '<= 1'],
    ['log bytes per RDTSC (nd frames)', rdtscLoop.name, summary.ndBytesPerRdtsc.toFixed(2), '<= 3'],
    ['buffer exits per 10^6 ND insns', rdtscLoop.name, summary.bufferExitsPerMillionNd.toFixed(1), `(buffer ${ND_BUFFER})`],
    ['log bytes per 10^6 instructions', timer.name, summary.timerLogBytesPerMillionInsns.toFixed(0), ''],
    [`replay --to 99%: seek / full, CPU`, cpuBound.name, `${(summary.seekCpuSecondsMedian / summary.fullReplayToCpuSecondsMedian).toFixed(3)} (seek ${summary.seekCpuSecondsMedian.toFixed(2)} s, from power-on ${summary.fullReplayToCpuSecondsMedian.toFixed(2)} s; median of ${seekRuns})`, ''],
  ];
  const w = [0, 1, 2].map((c) => Math.max(...rows.map((r) => r[c].length), ['measure', 'guest', `median of ${runs}`][c].length));
  const line = (r) => r.map((v, i) => (i < 3 ? v.padEnd(w[i]) : v)).join('  ');
  console.log(line(['measure', 'guest', `median of ${runs}`, 'target']));
  for (const r of rows) console.log(line(r));
}

try {
  await main();
} catch (e) {
  say(`bench: ${e.message}`);
  process.exitCode = 1;
} finally {
  rmSync(dir, { recursive: true, force: true });
}

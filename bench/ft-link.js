// The FT link across processes (issue 14), command against command, each in
// fresh processes, start to exit, medians:
//   1. `vmrr ft-check --secondary HOST:PORT` (a `vmrr ft-secondary` already
//      listening) and `--secondary spawn` against a plain `vmrr run` on
//      bench.mb (goal: within 1.3x);
//   2. failover time: kill -9 the primary of an alu.mb check once its output
//      file holds 3000 bytes; from the kill to the file growing again (the
//      secondary's first new byte; goal: under 100 ms plus the heartbeat),
//      and the same with the primary stopped (SIGSTOP: no FIN, so the
//      secondary notices only by the --heartbeat timeout);
//   3. link bandwidth on the ND-heavy fixture (rdtsc-loop.mb, host clock:
//      every RDTSC value is on the link), in bytes and Mbit/s, scaled to
//      10^9 guest instructions.
// Usage: node bench/ft-link.js [--runs N] [--heartbeat MS] [--json]   (after `npm run build`)
import { spawn, execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';

const { values: args } = parseArgs({ options: { runs: { type: 'string' }, heartbeat: { type: 'string' }, json: { type: 'boolean', default: false } } });
const runs = Number(args.runs ?? 5);
const heartbeat = Number(args.heartbeat ?? 200);
const vmrr = fileURLToPath(new URL('../bin/vmrr.js', import.meta.url));
const fix = (n) => fileURLToPath(new URL(`../fixtures/${n}`, import.meta.url));
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const size = (p) => {
  try {
    return statSync(p).size;
  } catch {
    return 0;
  }
};

function start(argv) {
  const c = spawn(process.execPath, [vmrr, ...argv], { stdio: ['ignore', 'ignore', 'pipe'] });
  c.err = '';
  c.stderr.setEncoding('utf8');
  c.stderr.on('data', (d) => (c.err += d));
  c.exited = new Promise((r) => c.on('exit', (code) => r(code)));
  return c;
}

async function secondary() {
  const s = start(['ft-secondary', '--listen', '127.0.0.1:0']);
  for (;;) {
    const m = /listening on [^\s:]+:(\d+)/.exec(s.err);
    if (m) return { s, port: Number(m[1]) };
    if (s.exitCode !== null) throw new Error(s.err);
    await sleep(2);
  }
}

function timed(argv) {
  const t0 = performance.now();
  execFileSync(process.execPath, [vmrr, ...argv], { stdio: ['ignore', 'ignore', 'ignore'] });
  return performance.now() - t0;
}

// 1. Wall time against a plain run.
const plain = [], tcp = [], spawned = [];
for (let i = 0; i < runs; i++) {
  plain.push(timed(['run', fix('bench.mb')]));
  const { s, port } = await secondary();
  tcp.push(timed(['ft-check', '--secondary', `127.0.0.1:${port}`, fix('bench.mb')]));
  await s.exited;
  spawned.push(timed(['ft-check', '--secondary', 'spawn', fix('bench.mb')]));
}

// 2. Failover: from the primary's death (or stop) to the secondary's first new byte in the output file.
async function failover(signal) {
  const dir = mkdtempSync(join(tmpdir(), 'vmrr-ftbench-'));
  const out = join(dir, 'out');
  const { s, port } = await secondary();
  const p = start(['ft-check', fix('alu.mb'), '--secondary', `127.0.0.1:${port}`, '--ram', '4M', '--slice', '20000', '--clock', 'virtual',
    '--output', out, '--heartbeat', String(heartbeat)]);
  while (size(out) < 3000) {
    if (p.exitCode !== null) throw new Error(`the primary ended before 3000 bytes: ${p.err}`);
    await sleep(1);
  }
  const at = size(out);
  p.kill(signal);
  const t0 = performance.now();
  while (size(out) === at && s.exitCode === null) await sleep(0.5);
  const ms = performance.now() - t0;
  await s.exited;
  if (signal === 'SIGSTOP') p.kill('SIGKILL');
  await p.exited;
  rmSync(dir, { recursive: true, force: true });
  return ms;
}
const killed = [], stopped = [];
for (let i = 0; i < runs; i++) {
  killed.push(await failover('SIGKILL'));
  stopped.push(await failover('SIGSTOP'));
}

// 3. Link bandwidth on the RDTSC-heavy guest (host clock: every value is an input).
const { s, port } = await secondary();
const rep = JSON.parse(execFileSync(process.execPath, [vmrr, 'ft-check', '--secondary', `127.0.0.1:${port}`, '--json', fix('rdtsc-loop.mb')], { maxBuffer: 64 << 20 }).toString());
await s.exited;
const per = (b) => (b * 1e9) / rep.primary.icount;
const result = {
  runs,
  plainMs: median(plain),
  tcpMs: median(tcp),
  tcpRatio: median(tcp) / median(plain),
  spawnMs: median(spawned),
  spawnRatio: median(spawned) / median(plain),
  heartbeatMs: heartbeat,
  failoverKillMs: median(killed),
  failoverStopMs: median(stopped),
  bandwidth: {
    image: 'rdtsc-loop.mb', icount: rep.primary.icount, wallSeconds: rep.wallSeconds,
    logBytes: rep.link.bytes, sentBytes: rep.link.sentBytes, receivedBytes: rep.link.receivedBytes,
    sentBytesPer1e9: Math.round(per(rep.link.sentBytes)), receivedBytesPer1e9: Math.round(per(rep.link.receivedBytes)),
    sentMbitPerS: (rep.link.sentBytes * 8) / rep.wallSeconds / 1e6,
  },
};
if (args.json) console.log(JSON.stringify(result, null, 2));
else {
  const f = (x) => Math.round(x).toLocaleString('en-US');
  console.log(`ft-check over TCP on loopback, bench.mb, median of ${runs}, commands start to exit:`);
  console.log(`  vmrr run                         ${f(result.plainMs)} ms`);
  console.log(`  ft-check --secondary HOST:PORT   ${f(result.tcpMs)} ms = ${result.tcpRatio.toFixed(2)}x (ft-secondary already listening)`);
  console.log(`  ft-check --secondary spawn       ${f(result.spawnMs)} ms = ${result.spawnRatio.toFixed(2)}x`);
  console.log(`failover (alu.mb, output file watched; --heartbeat ${heartbeat}):`);
  console.log(`  primary killed (kill -9)         ${result.failoverKillMs.toFixed(1)} ms to the secondary's first new byte`);
  console.log(`  primary stopped (SIGSTOP)        ${result.failoverStopMs.toFixed(1)} ms (heartbeat timeout included)`);
  const b = result.bandwidth;
  console.log(`link bandwidth, rdtsc-loop.mb (${f(b.icount)} instructions, host clock): primary->secondary ${f(b.sentBytes)} bytes ` +
    `(${f(b.sentBytesPer1e9)} per 10^9 instructions, ${b.sentMbitPerS.toFixed(1)} Mbit/s at this speed), secondary->primary ${f(b.receivedBytes)} bytes`);
}


// Kill tests for the FT link on loopback (npm test: test/ft/kill.test.ts;
// npm run fuzz -- --ft CASES SEED: scripts/fuzz.ts). A case starts
// `vmrr ft-secondary` and `vmrr ft-check --secondary` as real processes with
// --clock virtual and a seed, waits until the released output file holds a
// seeded number of bytes, then kill -9s the primary or the secondary. The
// survivor must finish the guest: the output file must equal one
// uninterrupted `vmrr run` of the same guest with the same inputs, byte for
// byte, its ledger must show no byte written twice or skipped, and the disk
// file must end identical to the reference run's.

import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { checkLedger } from '../../src/ft/release-sink.js';

export const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const BIN = join(ROOT, 'bin', 'vmrr.js');
const FIX = join(ROOT, 'fixtures');

export interface Workload {
  name: string;
  image: string;
  serialIn?: string;
  disk?: string;
  slice: number;
  /**
   * Guest clock for ft-check (the reference run is --clock virtual). serial-echo runs ft-check with
   * the host clock: under the virtual clock a log's serial events replay with a different guest time
   * (vmrr record --clock virtual --serial-in, then replay --verify, fails the same way), which the
   * FT check reports as a state divergence and resyncs; the output does not depend on the clock.
   */
  clock: 'virtual' | 'host';
  /** Stop at this icount (reason 'limit') in the reference run and the check alike. */
  maxInsns?: number;
}

/** Pure output; serial input; disk writes. */
export const WORKLOADS: Workload[] = [
  { name: 'alu', image: 'alu.mb', slice: 20_000, clock: 'virtual' },
  { name: 'serial-echo', image: 'serial-echo.mb', serialIn: 'serial-echo.in', slice: 5_000, clock: 'host' },
  { name: 'ata', image: 'ata.mb', disk: 'ata-disk.img', slice: 5_000, clock: 'virtual' },
  { name: 'nondet', image: 'nondet.mb', slice: 20_000, clock: 'virtual' },
];

export interface KillCase {
  workload: Workload;
  victim: 'primary' | 'secondary';
  /** Kill once the output file holds at least this many bytes (0: at once after the handshake). */
  atByte: number;
  seed: number;
}

export interface KillOutcome {
  /** The victim was killed before the check ended (false: the run was over first). */
  killed: boolean;
  survivorStatus: number | null;
  survivorStderr: string;
  outputEqual: boolean;
  diskEqual: boolean | null;
  ledgerProblem: string | null;
  outBytes: number;
  refBytes: number;
}

/** Small deterministic generator for case parameters. */
export function rng(seed: number): () => number {
  let x = (seed >>> 0) || 1;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) / 2 ** 32;
  };
}

const refs = new Map<string, { out: Buffer; disk: Buffer | null }>();

/** What one uninterrupted `vmrr run` gives (cached per workload and seed). */
export function reference(w: Workload, seed: number): { out: Buffer; disk: Buffer | null } {
  const key = `${w.name}/${seed}`;
  const hit = refs.get(key);
  if (hit) return hit;
  const dir = mkdtempSync(join(tmpdir(), 'vmrr-ftref-'));
  const args = ['run', join(FIX, w.image), '--ram', '4M', '--clock', 'virtual', '--seed', String(seed)];
  if (w.serialIn) args.push('--serial-in', join(FIX, w.serialIn));
  if (w.maxInsns) args.push('--max-insns', String(w.maxInsns));
  let disk: string | null = null;
  if (w.disk) {
    disk = join(dir, 'disk.img');
    copyFileSync(join(FIX, w.disk), disk);
    args.push('--disk', disk, '--disk-writable');
  }
  const r = spawnSync(process.execPath, [BIN, ...args], { cwd: ROOT, maxBuffer: 16 << 20 });
  const ref = { out: r.stdout, disk: disk ? readFileSync(disk) : null };
  rmSync(dir, { recursive: true, force: true });
  refs.set(key, ref);
  return ref;
}

export function startVmrr(args: string[]): ChildProcess & { err: string; exited: Promise<number | null> } {
  const c = spawn(process.execPath, [BIN, ...args], { cwd: ROOT, stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, NO_COLOR: '1' } }) as ChildProcess & { err: string; exited: Promise<number | null> };
  c.err = '';
  c.stderr!.setEncoding('utf8');
  c.stderr!.on('data', (d: string) => (c.err += d));
  c.exited = new Promise((resolve) => c.on('exit', (code) => resolve(code)));
  return c;
}

/** Start a secondary on a free loopback port; resolves with it and its port. */
export async function startSecondary(extra: string[] = []): Promise<{ proc: ReturnType<typeof startVmrr>; port: number }> {
  const proc = startVmrr(['ft-secondary', '--listen', '127.0.0.1:0', ...extra]);
  for (let i = 0; i < 2000; i++) {
    const m = /listening on [^\s:]+:(\d+)/.exec(proc.err);
    if (m) return { proc, port: Number(m[1]) };
    if (proc.exitCode !== null) break;
    await sleep(5);
  }
  throw new Error(`ft-secondary did not start: ${proc.err}`);
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

function size(p: string): number {
  try {
    return statSync(p).size;
  } catch {
    return 0;
  }
}

/** The primary's arguments for a workload, writing to files in `dir`. */
export function primaryArgs(w: Workload, seed: number, port: number, dir: string, extra: string[] = []): string[] {
  const args = ['ft-check', join(FIX, w.image), '--secondary', `127.0.0.1:${port}`, '--ram', '4M', '--clock', w.clock, '--seed', String(seed),
    '--slice', String(w.slice), '--output', join(dir, 'out'), '--ledger', join(dir, 'ledger'), '--heartbeat', '3000', '--report', join(dir, 'report.json'), ...extra];
  if (w.serialIn) args.push('--serial-in', join(FIX, w.serialIn));
  if (w.maxInsns) args.push('--max-insns', String(w.maxInsns));
  if (w.disk) {
    copyFileSync(join(FIX, w.disk), join(dir, 'disk.img'));
    args.push('--disk', join(dir, 'disk.img'), '--disk-writable');
  }
  return args;
}

/** The files a case left, compared with the reference run. */
export function judgeFiles(w: Workload, seed: number, dir: string): Pick<KillOutcome, 'outputEqual' | 'diskEqual' | 'ledgerProblem' | 'outBytes' | 'refBytes'> {
  const ref = reference(w, seed);
  const out = existsSync(join(dir, 'out')) ? readFileSync(join(dir, 'out')) : Buffer.alloc(0);
  const ledger = existsSync(join(dir, 'ledger')) ? readFileSync(join(dir, 'ledger'), 'utf8').split('\n') : [];
  const l = checkLedger(ledger);
  const ledgerProblem = l.problem ?? (l.total !== out.length ? `the ledger accounts for ${l.total} bytes, the file holds ${out.length}` : null);
  return {
    outputEqual: out.equals(ref.out),
    diskEqual: ref.disk ? readFileSync(join(dir, 'disk.img')).equals(ref.disk) : null,
    ledgerProblem, outBytes: out.length, refBytes: ref.out.length,
  };
}

export async function runKillCase(c: KillCase): Promise<KillOutcome> {
  const dir = mkdtempSync(join(tmpdir(), 'vmrr-ftkill-'));
  try {
    const sec = await startSecondary();
    const pri = startVmrr(primaryArgs(c.workload, c.seed, sec.port, dir));
    const victim = c.victim === 'primary' ? pri : sec.proc;
    const survivor = c.victim === 'primary' ? sec.proc : pri;
    // Both must have shaken hands (the secondary says nothing until the primary is lost; the primary's output shows it).
    let killed = false;
    const out = join(dir, 'out');
    for (let i = 0; i < 6000 && victim.exitCode === null && pri.exitCode === null; i++) {
      if (size(out) >= Math.max(1, c.atByte)) {
        killed = victim.kill('SIGKILL');
        break;
      }
      await sleep(2);
    }
    const status = await withTimeout(survivor.exited, 60_000, () => survivor.kill('SIGKILL'));
    await withTimeout(victim.exited, 10_000, () => victim.kill('SIGKILL'));
    // The primary's report, when it wrote one, says what it saw (divergences, the loss).
    const report = existsSync(join(dir, 'report.json')) ? readFileSync(join(dir, 'report.json'), 'utf8') : '';
    const seen = report ? JSON.stringify({ divergences: JSON.parse(report).divergences, lost: JSON.parse(report).link.lost }) : '';
    return { killed, survivorStatus: status, survivorStderr: survivor.err + seen, ...judgeFiles(c.workload, c.seed, dir) };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function withTimeout<T>(p: Promise<T>, ms: number, onTimeout: () => void): Promise<T> {
  let t: NodeJS.Timeout | undefined;
  const timer = new Promise<never>((_, reject) => {
    t = setTimeout(() => {
      onTimeout();
      reject(new Error(`no exit within ${ms} ms`));
    }, ms);
  });
  try {
    return await Promise.race([p, timer]);
  } finally {
    clearTimeout(t);
  }
}

/** Case `i` of a seeded series: workload, victim and kill point drawn from the seed. */
export function seededCase(seed: number, i: number): KillCase {
  const r = rng(seed * 7919 + i * 104729 + 1);
  const workload = WORKLOADS[i % WORKLOADS.length];
  const victim = Math.floor(i / WORKLOADS.length) % 2 === 0 ? 'primary' : 'secondary';
  const ref = reference(workload, seed);
  return { workload, victim, atByte: 1 + Math.floor(r() * Math.max(1, ref.out.length - 1)), seed };
}

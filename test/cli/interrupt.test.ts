// SIGINT and SIGTERM stop every long-running command promptly (the run loop
// yields to the host by host time, whatever the slice and sync settings) with
// status 130 or 143, one stderr line saying where, and a log that `inspect`
// reads: finished, or marked incomplete.
import { spawn } from 'node:child_process';
import { existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { InspectReport } from '../../src/cli/inspect.js';
import { ROOT, ensureBuilt, tempFiles, vmrr } from './helpers.js';

beforeAll(ensureBuilt, 120_000);

const t = tempFiles({});
afterAll(() => rmSync(t.dir, { recursive: true, force: true }));

interface Stopped {
  status: number | null;
  signal: NodeJS.Signals | null;
  stderr: string;
  /** Milliseconds from the signal to the exit. */
  stopMs: number;
}

/**
 * Start vmrr, wait until the guest runs (its first output byte: the signal
 * handlers are in place by then; and `ready`), then `minMs` more, send `sig`,
 * and time the exit.
 */
function interrupt(args: string[], sig: 'SIGINT' | 'SIGTERM', ready: () => boolean = () => true, minMs = 500): Promise<Stopped> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(ROOT, 'bin', 'vmrr.js'), ...args], { cwd: ROOT, env: { ...process.env, NO_COLOR: '1' }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    let runningSince = 0;
    child.stdout.on('data', () => {
      if (runningSince === 0) runningSince = performance.now();
    });
    let sentAt = 0;
    const poll = setInterval(() => {
      if (runningSince === 0 || performance.now() - runningSince < minMs || !ready()) return;
      clearInterval(poll);
      sentAt = performance.now();
      child.kill(sig);
    }, 50);
    child.on('error', reject);
    child.on('exit', (status, signal) => {
      clearInterval(poll);
      resolve({ status, signal, stderr, stopMs: sentAt ? performance.now() - sentAt : -1 });
    });
  });
}

function inspect(log: string): InspectReport {
  const r = vmrr(['inspect', '--json', log]);
  expect(r.status, r.stderr).toBe(0);
  return JSON.parse(r.stdout) as InspectReport;
}

/** bench.mb runs about 5*10^8 instructions, far longer than any wait here, and prints a line as it starts. */
const LONG = 'fixtures/bench.mb';

describe('signals stop long-running commands', () => {
  for (const [sig, status] of [['SIGINT', 130], ['SIGTERM', 143]] as const) {
    it(`record (default sync points, 10^7 instructions apart) stops on ${sig} with ${status}; the log is marked incomplete and inspect reads it`, async () => {
      const log = t.path(`rec-${sig}.vmrr`);
      const r = await interrupt(['record', LONG, '-o', log], sig, () => existsSync(log));
      expect(r.signal, r.stderr).toBeNull();
      expect(r.status, r.stderr).toBe(status);
      expect(r.stopMs).toBeGreaterThan(0);
      expect(r.stopMs).toBeLessThan(3000);
      expect(r.stderr).toMatch(new RegExp(`^vmrr: stopped by ${sig} at icount \\d+, EIP 0x[0-9a-f]{8}; .*marked incomplete`, 'm'));
      expect(r.stderr.trimEnd().split('\n')).toHaveLength(1);
      const rep = inspect(log);
      expect(rep.complete).toBe(false);
      expect(rep.lastIcount).toBeGreaterThan(0);
    }, 60_000);

    it(`run and ft-check stop on ${sig} with ${status} and one line`, async () => {
      for (const args of [['run', LONG], ['ft-check', LONG]]) {
        const r = await interrupt(args, sig);
        expect(r.signal, `${args[0]}: ${r.stderr}`).toBeNull();
        expect(r.status, `${args[0]}: ${r.stderr}`).toBe(status);
        expect(r.stopMs).toBeLessThan(3000);
        expect(r.stderr).toMatch(new RegExp(`^vmrr: stopped by ${sig} at `, 'm'));
        expect(r.stderr.trimEnd().split('\n')).toHaveLength(1);
      }
    }, 60_000);
  }

  it('replay of a finished log stops on SIGINT with 130, saying how far it matched; the log is untouched', async () => {
    const log = t.path('whole.vmrr');
    // A finished log long enough to replay for a second or more even on a fast
    // host (about 1.2 s at 200 MIPS): bench.mb cut by the instruction limit.
    // The signal goes 100 ms after the first output byte, well before the end.
    const rec = vmrr(['record', LONG, '--max-insns', '250000000', '-o', log]);
    expect(rec.status, rec.stderr).toBe(3);
    const before = inspect(log);
    expect(before.complete).toBe(true);
    const r = await interrupt(['replay', '--verify', log], 'SIGINT', () => true, 100);
    expect(r.signal, r.stderr).toBeNull();
    expect(r.status, r.stderr).toBe(130);
    expect(r.stopMs).toBeLessThan(3000);
    expect(r.stderr).toMatch(/^vmrr: stopped by SIGINT at icount \d+, EIP 0x[0-9a-f]{8}: the replay matched .* up to there$/m);
    expect(inspect(log)).toEqual(before);
  }, 120_000);
});

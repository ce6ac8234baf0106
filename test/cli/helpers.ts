// Runs the real CLI (node bin/vmrr.js) as a user would. `npm test` builds
// dist/ first; when run alone, a missing build is made once here.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const BIN = join(ROOT, 'bin', 'vmrr.js');

export function ensureBuilt(): void {
  if (!existsSync(join(ROOT, 'dist', 'cli', 'main.js'))) {
    execFileSync(process.execPath, [join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', ROOT], { stdio: 'inherit' });
  }
}

export interface Result {
  status: number | null;
  stdout: string;
  stderr: string;
  stdoutBytes: Buffer;
  ms: number;
}

/** `timeoutMs`: how long the run may take before it is killed (default 60 s; the real-guest boots take minutes). */
export function vmrr(args: string[], env: Record<string, string> = {}, timeoutMs = 60_000): Result {
  const start = performance.now();
  const r = spawnSync(process.execPath, [BIN, ...args], {
    cwd: ROOT,
    env: { ...process.env, NO_COLOR: '1', ...env },
    timeout: timeoutMs,
    maxBuffer: 16 << 20,
  });
  return {
    status: r.status,
    stdout: r.stdout.toString('utf8'),
    stderr: r.stderr.toString('utf8'),
    stdoutBytes: r.stdout,
    ms: performance.now() - start,
  };
}

/** A fresh temporary directory with the given files. */
export function tempFiles(files: Record<string, Uint8Array | string>): { dir: string; path: (name: string) => string } {
  const dir = mkdtempSync(join(tmpdir(), 'vmrr-cli-'));
  for (const [name, data] of Object.entries(files)) writeFileSync(join(dir, name), data);
  return { dir, path: (name) => join(dir, name) };
}

/** The user-error contract: status 2, one `vmrr: ` line on stderr, no stack trace, nothing on stdout. */
export function expectUsageError(r: Result, pattern: RegExp, expect: typeof import('vitest').expect): void {
  expect(r.status, r.stderr).toBe(2);
  const lines = r.stderr.trimEnd().split('\n');
  expect(lines, r.stderr).toHaveLength(1);
  expect(lines[0]).toMatch(/^vmrr: /);
  expect(lines[0]).toMatch(pattern);
  expect(r.stderr).not.toMatch(/\n\s+at /);
  expect(r.stdout).toBe('');
}

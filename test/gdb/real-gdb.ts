// Drives the real gdb (/usr/bin/gdb, or GDB in the environment) in batch
// mode against a vmrr stub, for the end-to-end tests. Everything is
// asynchronous: the stub may run in this very process.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT } from '../cli/helpers.js';

export const GDB = process.env.GDB ?? '/usr/bin/gdb';
export const haveGdb = existsSync(GDB);
if (!haveGdb) console.warn(`gdb tests skipped: no gdb at ${GDB} (apt-get install gdb)`);

export interface GdbRun {
  out: string;
  status: number | null;
}

/** Run gdb -batch with these commands after connecting to :port; `onOutput` may signal the child (Ctrl-C). */
export function runGdb(port: number, commands: string[], onOutput?: (text: string, child: ChildProcess) => void, file = 'gdb-demo.elf'): Promise<GdbRun> {
  // A command file rather than -ex: gdb's `while ... end` needs lines.
  const script = join(mkdtempSync(join(tmpdir(), 'vmrr-gdb-')), 'commands.gdb');
  writeFileSync(script, ['set architecture i386', 'set confirm off', `file ${join(ROOT, 'fixtures', file)}`, `target remote 127.0.0.1:${port}`, ...commands, ''].join('\n'));
  const args = ['-batch', '-nx', '-x', script];
  return new Promise((resolve, reject) => {
    // One stream for both: gdb prints monitor output and its own messages on different ones.
    const child = spawn('/bin/sh', ['-c', 'exec "$0" "$@" 2>&1', GDB, ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    const take = (b: Buffer) => { out += b.toString('utf8'); onOutput?.(out, child); };
    child.stdout.on('data', take);
    child.stderr.on('data', take);
    child.on('error', reject);
    child.on('close', (status) => { clearTimeout(timer); resolve({ out, status }); });
  });
}

/** Start `node bin/vmrr.js ARGS` and resolve with the port it prints ("waiting for gdb on HOST:PORT"). */
export function startVmrr(args: string[]): Promise<{ port: number; child: ChildProcess; done: Promise<{ status: number | null; stderr: string; stdout: string }> }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(ROOT, 'bin', 'vmrr.js'), ...args], { cwd: ROOT, env: { ...process.env, NO_COLOR: '1' } });
    let stderr = '';
    let stdout = '';
    let found = false;
    const done = new Promise<{ status: number | null; stderr: string; stdout: string }>((res) => child.on('close', (status) => res({ status, stderr, stdout })));
    child.stdout.on('data', (b: Buffer) => { stdout += b.toString('utf8'); });
    child.stderr.on('data', (b: Buffer) => {
      stderr += b.toString('utf8');
      const m = /waiting for gdb on [^\s]+:(\d+)/.exec(stderr);
      if (m && !found) { found = true; resolve({ port: Number(m[1]), child, done }); }
    });
    child.on('error', reject);
    void done.then((r) => { if (!found) reject(new Error(`vmrr ended before listening: ${r.stderr}`)); });
  });
}

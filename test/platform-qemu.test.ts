// The platform fixtures that need input (serial bytes, a disk) under
// qemu-system-i386, following test/fixtures-qemu.test.ts: serial output and
// exit status must equal the committed expected output, and the disk must
// come out with exactly the sectors the manifest says the guest writes.
// Skipped visibly when QEMU is not installed (VMRR_QEMU picks a binary).
import { spawn, spawnSync } from 'node:child_process';
import { closeSync, copyFileSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

interface IoEntry {
  name: string;
  image: string;
  exitStatus: number;
  expected: string;
  serialIn?: string;
  disk?: string;
  diskSectorsWritten?: number[];
  timeoutMs: number;
}
const FIX = fileURLToPath(new URL('../fixtures', import.meta.url));
const manifest = JSON.parse(readFileSync(join(FIX, 'manifest.json'), 'utf8')) as { ioFixtures: IoEntry[] };

const candidate = process.env.VMRR_QEMU ?? 'qemu-system-i386';
const qemu = spawnSync(candidate, ['--version']).status === 0 ? candidate : null;
if (!qemu) console.warn('platform-qemu: qemu-system-i386 not found (set VMRR_QEMU); skipping the QEMU runs');

interface Result {
  status: number | null;
  out: Buffer;
  disk?: Buffer;
  timedOut: boolean;
  stderr: string;
}

// Output goes to a file, not a pipe (see fixtures-qemu.test.ts); stdin is the serial input file.
function runQemu(e: IoEntry): Promise<Result> {
  const dir = mkdtempSync(join(tmpdir(), 'vmrr-platform-'));
  const args = ['-kernel', join(FIX, e.image), '-serial', 'stdio', '-display', 'none',
    '-device', 'isa-debug-exit,iobase=0xf4,iosize=4', '-no-reboot'];
  let diskCopy: string | undefined;
  if (e.disk) {
    diskCopy = join(dir, e.disk);
    copyFileSync(join(FIX, e.disk), diskCopy);
    args.push('-drive', `file=${diskCopy},format=raw,if=ide`);
  }
  const outPath = join(dir, 'serial.out');
  const outFd = openSync(outPath, 'w');
  const inFd = openSync(e.serialIn ? join(FIX, e.serialIn) : '/dev/null', 'r');
  return new Promise((resolve) => {
    const child = spawn(qemu as string, args, { stdio: [inFd, outFd, 'pipe'] });
    closeSync(outFd);
    closeSync(inFd);
    let stderr = '';
    let timedOut = false;
    child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, e.timeoutMs);
    child.on('close', (status) => {
      clearTimeout(timer);
      const r: Result = { status, out: readFileSync(outPath), disk: diskCopy ? readFileSync(diskCopy) : undefined, timedOut, stderr };
      rmSync(dir, { recursive: true, force: true });
      resolve(r);
    });
  });
}

function changedSectors(a: Buffer, b: Buffer): number[] {
  const out: number[] = [];
  for (let s = 0; s * 512 < a.length; s++) if (!a.subarray(s * 512, s * 512 + 512).equals(b.subarray(s * 512, s * 512 + 512))) out.push(s);
  return out;
}

describe('platform fixtures with input under QEMU', () => {
  for (const e of manifest.ioFixtures) {
    (qemu ? it : it.skip)(`${e.name}: serial output and exit status match fixtures/${e.expected}`, async () => {
      const r = await runQemu(e);
      expect(r.timedOut, `QEMU timed out after ${e.timeoutMs} ms`).toBe(false);
      expect(r.out.toString('latin1')).toBe(readFileSync(join(FIX, e.expected), 'latin1'));
      expect(r.status, r.stderr).toBe(e.exitStatus);
      if (e.disk) expect(changedSectors(readFileSync(join(FIX, e.disk)), r.disk!)).toEqual(e.diskSectorsWritten ?? []);
    }, e.timeoutMs + 10_000);
  }
});

// Protected-mode system architecture: the pmode, v86 and errata-286-gate
// fixtures run in Machine and must print their expected serial output.

import { describe, it, expect } from 'vitest';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Machine } from '../../src/machine/machine.js';
import { loadMultiboot } from '../../src/machine/loaders.js';
import { HostInputSource } from '../../src/replay/input-source.js';

const FIXTURES = join(dirname(fileURLToPath(import.meta.url)), '../../fixtures');
const RAM = 32 << 20;

function runFixture(name: string): { out: string; exitValue?: number; reason: string } {
  const bytes = new Uint8Array(readFileSync(join(FIXTURES, `${name}.mb`)));
  let out = '';
  const m = new Machine({ ramBytes: RAM, input: new HostInputSource(), serial: (b) => { out += String.fromCharCode(b); } });
  m.load(loadMultiboot(bytes, RAM, ''));
  const stop = m.run(50_000_000);
  return { out, exitValue: stop.exitValue, reason: stop.reason };
}

// pmode.asm's "ds readable code ok" and "limit 0xFFF: dword at 0xFFC ok"
// leave DS on a code segment / a 4 KiB segment when XF_END runs
// `mov dword [xf_armed], 0`: a CPU that checks data accesses (as vmrr does,
// see errata-seg-checks) takes #GP(0) on that store. QEMU, which skips those
// checks, produced the PASS lines in expected/pmode.txt. Until the fixture
// reloads DS inside its bracket, these two lines are held to the real-CPU result.
const PMODE_REAL_CPU: Record<string, string> = {
  'PASS ds readable code ok':
    'FAIL ds readable code ok got=0000000D/00000000/00000000/00000000/00000000 want=FFFFFFFF/FFFFFFFF/00000000/00000000/00000000',
  'PASS limit 0xFFF: dword at 0xFFC ok':
    'FAIL limit 0xFFF: dword at 0xFFC ok got=0000000D/00000000/00000000/00000000/00000000 want=FFFFFFFF/FFFFFFFF/00000000/00000000/00000000',
  'DONE all passed': 'DONE failures=00000002',
};

describe('protected-mode system fixtures', () => {
  it('v86 prints its expected output and exits with status 1', () => {
    const r = runFixture('v86');
    expect(r.out).toBe(readFileSync(join(FIXTURES, 'expected/v86.txt'), 'latin1'));
    expect(r.exitValue).toBe(1);
  });

  it('errata-286-gate uses only the low offset word of a 286 gate (real-CPU result)', () => {
    const r = runFixture('errata-286-gate');
    expect(r.out).toBe(readFileSync(join(FIXTURES, 'expected/errata-286-gate.txt'), 'latin1'));
    expect(r.exitValue).toBe(1);
  });

  it('pmode matches its expected output except where the expected file records QEMU skipping data-segment checks', () => {
    const r = runFixture('pmode');
    const want = readFileSync(join(FIXTURES, 'expected/pmode.txt'), 'latin1')
      .split('\n').map((l) => PMODE_REAL_CPU[l] ?? l).join('\n');
    expect(r.out).toBe(want);
    expect(r.reason).toBe('exit');
  });
});

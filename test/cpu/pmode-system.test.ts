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

  it('pmode prints its expected output and exits with status 1', () => {
    const r = runFixture('pmode');
    expect(r.out).toBe(readFileSync(join(FIXTURES, 'expected/pmode.txt'), 'latin1'));
    expect(r.exitValue).toBe(1);
  });
});

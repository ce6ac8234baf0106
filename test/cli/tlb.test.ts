// Record with one TLB geometry, replay with another: identical with the
// T-bit tracking, a divergence without it, and diff names the instruction.
import { describe, it, expect, beforeAll } from 'vitest';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ensureBuilt, vmrr } from './helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'vmrr-tlb-'));
const on = join(dir, 'on.vmrr'), off = join(dir, 'off.vmrr');

beforeAll(() => {
  ensureBuilt();
  expect(vmrr(['record', '--tlb-entries', '4096', 'fixtures/tlb.mb', '-o', on]).status).toBe(0);
  expect(vmrr(['record', '--no-tlb-tracking', '--tlb-entries', '4096', 'fixtures/tlb.mb', '-o', off]).status).toBe(0);
});

describe('TLB geometry and replay', () => {
  it('with tracking, a replay with any other geometry is identical', () => {
    for (const args of [['--tlb-entries', '1'], ['--tlb-entries', '64', '--tlb-ways', '4'], ['--tlb-entries', '65536']]) {
      const r = vmrr(['replay', '--verify', '--json', ...args, on]);
      expect(r.status, r.stderr).toBe(0);
      expect(JSON.parse(r.stdout).verdict).toBe('identical');
    }
  });

  it('without tracking, a replay with another geometry diverges (exit 1)', () => {
    const same = vmrr(['replay', '--verify', off]);
    expect(same.status).toBe(0);
    const other = vmrr(['replay', '--verify', '--tlb-entries', '1', off]);
    expect(other.status).toBe(1);
    expect(other.stderr).toMatch(/replay diverged at icount \d+/);
  });

  it('diff LOG --tlb-entries 1 names the load that saw the other page', () => {
    const r = vmrr(['diff', '--json', off, '--tlb-entries', '1']);
    expect(r.status).toBe(1);
    const d = JSON.parse(r.stdout);
    expect(d.instruction).toMatch(/mov\s+eax,ds:0x800000/);
    expect(d.registers).toContainEqual({ name: 'eax', a: '0x41414141', b: '0x42424242' });
  });

  it('ft-check gives both guests the TLB options (one and two threads)', () => {
    for (const threads of ['1', '2']) {
      const stale = vmrr(['ft-check', '--threads', threads, '--no-tlb-tracking', '--tlb-entries', '4096', 'fixtures/tlb.mb']);
      expect(stale.status, stale.stderr).toBe(0);
      expect(stale.stdout).toContain('still maps to page A');
      const evicted = vmrr(['ft-check', '--threads', threads, '--no-tlb-tracking', '--tlb-entries', '1', 'fixtures/tlb.mb']);
      expect(evicted.status, evicted.stderr).toBe(0);
      expect(evicted.stdout).toContain('V maps to page B');
    }
  });

  it('bad TLB values are usage errors', () => {
    const r = vmrr(['run', '--tlb-entries', '100', 'fixtures/tlb.mb']);
    expect(r.status).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    const w = vmrr(['run', '--tlb-entries', '8', '--tlb-ways', '16', 'fixtures/tlb.mb']);
    expect(w.status).toBe(2);
  });
});

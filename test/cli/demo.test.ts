// vmrr demo, the README's main job: every step computed by the real commands.
import { describe, it, expect, beforeAll } from 'vitest';
import { ensureBuilt, vmrr } from './helpers.js';

beforeAll(() => ensureBuilt());

describe('vmrr demo', () => {
  it('--json: replay identical, the second recording parts at an RDTSC, the injected fault is corrected; exit 0', () => {
    const r = vmrr(['demo', '--json']);
    expect(r.status, r.stderr).toBe(0);
    const d = JSON.parse(r.stdout);
    expect(d.ok).toBe(true);
    expect(d.replay.verdict).toBe('identical');
    expect(d.replay.syncsChecked).toBeGreaterThan(0);
    expect(d.outputIdentical).toBe(true);
    expect(d.first.nd.rdtsc).toBeGreaterThan(0);
    expect(d.first.events).toBeGreaterThan(0);
    expect(d.diff.identical).toBe(false);
    expect(d.diff.instruction).toBe('rdtsc');
    expect(d.diff.inputs.some((i: { kind: string; a: string; b: string }) => i.kind === 'rdtsc' && i.a !== i.b)).toBe(true);
    expect(d.ft.ok).toBe(true);
    expect(d.ft.divergences).toBeGreaterThan(0);
    expect(d.ft.resyncs).toBeGreaterThan(0);
  });

  it('human output walks through the five steps on standard output', () => {
    const r = vmrr(['demo']);
    expect(r.status, r.stderr).toBe(0);
    for (const step of ['1. record', '2. replay', '3. record again', '4. diff', '5. ft-check']) expect(r.stdout).toContain(step);
    expect(r.stdout).toMatch(/first difference at icount \d+, EIP 0x[0-9a-f]{8}: rdtsc/);
  });
});

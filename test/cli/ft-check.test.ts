// vmrr ft-check end to end: the released guest output on stdout is `run`'s,
// the report on stderr or as JSON (documented in docs/cli-json.md), exit 0
// when every divergence was corrected, 2 with one line for a bad --inject.

import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { updateManPage } from '../../src/cli/man-options.js';
import { ROOT, ensureBuilt, expectUsageError, tempFiles, vmrr } from './helpers.js';

beforeAll(ensureBuilt, 120_000);

describe('vmrr ft-check', () => {
  it('without faults: stdout is exactly what vmrr run prints, the report says no divergence, exit 0', () => {
    const run = vmrr(['run', '--ram', '4M', 'fixtures/alu.mb']);
    const r = vmrr(['ft-check', '--ram', '4M', 'fixtures/alu.mb']);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdoutBytes.equals(run.stdoutBytes)).toBe(true);
    expect(r.stderr).toMatch(/^divergences: 0$/m);
    expect(r.stderr).toMatch(/^resyncs: 0$/m);
    expect(r.stderr).toMatch(/^verdict: OK/m);
  }, 60_000);

  it('--inject: the divergence and the resync are reported, output still equals run\'s, exit 0; --json and --report give the same schema', () => {
    const t = tempFiles({});
    const run = vmrr(['run', '--ram', '4M', 'fixtures/alu.mb']);
    const r = vmrr(['ft-check', '--ram', '4M', '--slice', '50000', '--inject', 'reg:ebx:0x10@100000', 'fixtures/alu.mb']);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdoutBytes.equals(run.stdoutBytes)).toBe(true);
    expect(r.stderr).toMatch(/inject reg:ebx:0x10@100000: applied at icount 100,000/);
    expect(r.stderr).toMatch(/#1 icount 100,000 EIP 0x[0-9a-f]{8} state: state hash differs/);
    expect(r.stderr).toMatch(/corrected by resync #1/);
    expect(r.stderr).toMatch(/#1 icount 100,000 \(divergence; secondary at 100,000\): \d+ pages, [\d,]+ bytes = [\d.]+% of 4 MiB RAM/);

    const j = vmrr(['ft-check', '--ram', '4M', '--slice', '50000', '--inject', 'reg:ebx:0x10@100000', '--json', '--report', t.path('r.json'), 'fixtures/alu.mb']);
    expect(j.status, j.stderr).toBe(0);
    const report = JSON.parse(j.stdout);
    expect(JSON.parse(readFileSync(t.path('r.json'), 'utf8'))).toEqual(report);
    expect(report.verdict).toEqual({ protectedToEnd: true, corrected: true, releasedEqualsPrimary: true, hashesEqualAfterResyncs: true, finalHashesEqual: true, ok: true });
    expect(report.divergences).toHaveLength(1);
    expect(report.divergences[0]).toMatchObject({ icount: 100000, channel: 'state', offset: null, resync: 0 });
    expect(report.resyncs[0]).toMatchObject({ icount: 100000, reason: 'divergence', ramBytes: 4 << 20, hashEqual: true });
    expect(report.resyncs[0].pages).toBeGreaterThan(0);
    expect(report.primary).toMatchObject({ reason: 'exit', exitValue: 1 });
    expect(report.secondary.hash).toBe(report.primary.hash);
    expect(report.output.released).toBe(run.stdoutBytes.length);
    for (const key of ['image', 'loose', 'injections', 'slice', 'maxLag', 'rounds', 'link', 'wallSeconds', 'timing']) expect(report).toHaveProperty(key);
  }, 60_000);

  it('--threads 2 (the secondary in a worker thread, pipelined): same output, the fault caught and corrected, the same report every time', () => {
    const run = vmrr(['run', '--ram', '4M', 'fixtures/alu.mb']);
    const args = ['ft-check', '--threads', '2', '--ram', '4M', '--slice', '20000', '--inject', 'reg:ebx:0x10@100000', '--json', 'fixtures/alu.mb'];
    const r = vmrr(args);
    expect(r.status, r.stderr).toBe(0);
    const report = JSON.parse(r.stdout);
    expect(report.verdict.ok).toBe(true);
    expect(report.divergences[0]).toMatchObject({ icount: 100000, channel: 'state', resync: 0 });
    // The round ending at 100000 is judged once the primary has run three rounds past it: the resync is there.
    expect(report.resyncs[0]).toMatchObject({ icount: 160000, hashEqual: true });
    expect(report.output.released).toBe(run.stdoutBytes.length);
    // Where rounds are judged does not depend on how fast either thread ran (the hashes do: the host clock).
    const where = (x: { divergences: { icount: number; channel: string }[]; resyncs: { icount: number }[] }): unknown =>
      [x.divergences.map((d) => [d.icount, d.channel]), x.resyncs.map((s) => s.icount)];
    expect(where(JSON.parse(vmrr(args).stdout))).toEqual(where(report));
    const plain = vmrr(['ft-check', '--threads', '2', '--ram', '4M', 'fixtures/alu.mb']);
    expect(plain.status, plain.stderr).toBe(0);
    expect(plain.stdoutBytes.equals(run.stdoutBytes)).toBe(true);
  }, 60_000);

  it('--threads 2 --disk: the secondary\'s disk writes are compared, a dropped completion is corrected with the sectors', () => {
    const run = vmrr(['run', '--ram', '4M', '--disk', 'fixtures/ata-disk.img', 'fixtures/ata.mb']);
    const base = ['ft-check', '--threads', '2', '--ram', '4M', '--disk', 'fixtures/ata-disk.img', '--slice', '20000'];
    const clean = vmrr([...base, 'fixtures/ata.mb']);
    expect(clean.status, clean.stderr).toBe(0);
    expect(clean.stdoutBytes.equals(run.stdoutBytes)).toBe(true);
    const r = vmrr([...base, '--inject', 'drop:disk@3', '--json', 'fixtures/ata.mb']);
    expect(r.status, r.stderr).toBe(0);
    const report = JSON.parse(r.stdout);
    expect(report.verdict.ok).toBe(true);
    expect(report.output.diskWrites).toBeGreaterThan(0);
    expect(report.injections[0].applied).toBe(true);
    expect(report.divergences.length).toBeGreaterThan(0);
    expect(report.resyncs[0].sectors).toBeGreaterThan(0);
    expect(report.resyncs.every((x: { hashEqual: boolean }) => x.hashEqual)).toBe(true);
  }, 60_000);

  it.each([
    [['--threads', '3'], /--threads/],
    [['--inject', 'reg:ebx:0x10'], /--inject: 'reg:ebx:0x10': no '@'/],
    [['--inject', 'mem:0x900000:1@5'], /PHYSADDR 0x900000 is beyond the guest's RAM/],
    [['--loose', 'disk'], /--loose: 'disk' is not one of/],
    [['--max-lag', 'x'], /--max-lag/],
  ])('bad input %j: exit 2 with one line', (args, pattern) => {
    expectUsageError(vmrr(['ft-check', '--ram', '4M', ...args, 'fixtures/alu.mb']), pattern, expect);
  });

  it('a missing image is bad input', () => {
    expectUsageError(vmrr(['ft-check', 'fixtures/nope.mb']), /cannot read image fixtures\/nope.mb/, expect);
  });
});

describe('man/vmrr-ft-check.1', () => {
  const page = (): string => readFileSync(join(ROOT, 'man', 'vmrr-ft-check.1'), 'utf8');

  it('has the standard sections, and its generated machine options match the table', () => {
    const text = page();
    for (const section of ['NAME', 'SYNOPSIS', 'DESCRIPTION', 'OPTIONS', 'EXIT STATUS', 'EXAMPLES', 'SEE ALSO']) {
      expect(text, section).toMatch(new RegExp(`^\\.SH ${section}$`, 'm'));
    }
    expect(updateManPage(text)).toBe(text);
  });

  it('describes every option vmrr help ft-check shows', () => {
    const help = vmrr(['help', 'ft-check']);
    expect(help.status).toBe(0);
    const flags = [...help.stdout.matchAll(/^\s+(?:-\w, )?(--[\w-]+)/gm)].map((m) => m[1]).filter((f) => f !== '--help');
    expect(flags).toContain('--inject');
    const text = page();
    for (const flag of flags) expect(text, flag).toContain(flag.replace(/-/g, '\\-'));
  });
});

describe('ftDemoPart (for vmrr demo)', () => {
  it('injects a fault into the demo guest\'s secondary, detects and corrects it, and says so', async () => {
    const { ftDemoPart } = await import('../../src/cli/ft-check.js');
    const parts: Uint8Array[] = [];
    const r = await ftDemoPart(join(ROOT, 'fixtures', 'demo.mb'), { guestOut: (b) => parts.push(Uint8Array.from(b)) });
    expect(r.ok).toBe(true);
    expect(r.lines.join('\n')).toMatch(/detected at icount 400000/);
    expect(r.lines.join('\n')).toMatch(/verdict OK/);
    expect(Buffer.concat(parts).length).toBe(r.report.output.released);
  }, 60_000);
});

describe('vmrr ft-check --threads 2, random faults', () => {
  it('40 seeded random faults (8 runs of 5) never release output other than run --clock virtual\'s', () => {
    const run = vmrr(['run', '--ram', '4M', '--clock', 'virtual', 'fixtures/muldiv.mb']);
    let seed = 0x7e11;
    const rnd = (n: number): number => {
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
      return (seed >>> 8) % n;
    };
    const regs = ['eax', 'ecx', 'edx', 'ebx', 'esp', 'ebp', 'esi', 'edi', 'eip', 'eflags'];
    for (let k = 0; k < 8; k++) {
      const args = ['ft-check', '--threads', '2', '--ram', '4M', '--clock', 'virtual', '--slice', String(3000 + rnd(20000)), '--json'];
      for (let i = 0; i < 5; i++) {
        const at = rnd(56000);
        const spec = [`reg:${regs[rnd(10)]}:0x${((1 << rnd(32)) >>> 0).toString(16)}@${at}`, `mem:0x${(0x100000 + rnd(0x8000)).toString(16)}:0x${(1 << rnd(8)).toString(16)}@${at}`, `drop:timer@${1 + rnd(30)}`][rnd(3)];
        args.push('--inject', spec);
      }
      const r = vmrr([...args, 'fixtures/muldiv.mb']);
      expect(r.status, `${args.join(' ')}\n${r.stderr}`).toBe(0);
      const report = JSON.parse(r.stdout);
      expect(report.verdict.ok, args.join(' ')).toBe(true);
      expect(report.output.released).toBe(run.stdoutBytes.length);
    }
  }, 120_000);
});

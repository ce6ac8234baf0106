// Record, replay, diff and ft-check on Debian's 686 kernel booting (issue
// 17's acceptance), over the boot's first PREFIX instructions: the xz
// decompression (about 2.3x10^9), the kernel's early set-up, its TSC
// calibration against the PIT and its first 190 or so console lines (the
// serial console starts at about 2.4x10^9). The whole boot is
// linux.test.ts's (run to /init in npm test; record/replay and ft-check
// of all of it with VMRR_REAL_GUESTS_SLOW=1). Skips, saying why on stderr,
// when the guests were not fetched (scripts/fetch-real-guests.sh).
//  - record --clock virtual, then replay --verify: identical; the console
//    is the kernel's, as run prints it (the virtual clock and --seed make
//    it a function of the configuration);
//  - ft-check of the same prefix with a RAM bit flipped in the secondary:
//    detected, resynced, and the output released is exactly that console;
//  - two recordings with the host clock (RDRAND seeded alike, so time is
//    all that differs) differ, and diff names the first differing input:
//    the TSC value the decompressor's KASLR takes.
import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import type { DiffSummary } from '../../src/cli/diff.js';
import { ensureBuilt, tempFiles, vmrr } from '../cli/helpers.js';
import { guest, missing } from './guests.js';

const absent = missing(['vmlinuz', 'initrd.cpio']);
if (absent) console.warn(`linux-prefix.test: ${absent}`);
const run = absent ? it.skip : it;
const LONG = 3_600_000;
/** Instructions of the boot covered: past the decompressor, into the kernel's console output. */
const PREFIX = 2_600_000_000;
const KERNEL = () => [guest('vmlinuz'), '--initrd', guest('initrd.cpio'), '--append', 'console=ttyS0', '--ram', '128M'];
// --seed: the decompressor's KASLR takes RDRAND, so without it each run places the kernel
// elsewhere (the console's "Memory: ...K available" and timestamps differ) even with the virtual clock.
const VIRTUAL = () => ['--clock', 'virtual', '--seed', '1', '--max-insns', String(PREFIX), ...KERNEL()];

beforeAll(() => {
  if (!absent) ensureBuilt();
}, 120_000);

const t = tempFiles({});

describe(`Debian Linux 686, the first ${PREFIX / 1e9}x10^9 instructions of its boot (${absent ? 'skipped: not fetched' : guest('vmlinuz')})`, () => {
  run('record --clock virtual, then replay --verify: identical; the console has the kernel\'s first lines', () => {
    const rec = vmrr(['record', '--json', '--serial', t.path('rec.txt'), '-o', t.path('prefix.vmrr'), ...VIRTUAL()], {}, LONG);
    // --max-insns ends the run as a guest failure (status 3); the log is complete up to there.
    expect(rec.status, rec.stderr).toBe(3);
    expect(JSON.parse(rec.stdout)).toMatchObject({ reason: 'limit', icount: PREFIX });
    const console = readFileSync(t.path('rec.txt'), 'latin1');
    expect(console).toMatch(/Linux version 6\.\d+\.\d+-\d+-686/);
    expect(console).toMatch(/tsc: Detected 999\.\d+ MHz processor/);
    expect(console).toContain('printk: console [ttyS0] enabled');
    const rep = vmrr(['replay', '--verify', '--json', t.path('prefix.vmrr')], {}, LONG);
    expect(rep.status, rep.stderr).toBe(0);
    const s = JSON.parse(rep.stdout);
    expect(s).toMatchObject({ verdict: 'identical', reason: 'limit', icount: PREFIX });
    expect(s.checked.syncPoints).toBeGreaterThan(100);
    expect(s.checked.outputMarks).toBeGreaterThan(0);
  }, 2 * LONG);

  run('ft-check with a memory fault in the secondary: detected, resynced, and the released output is exactly that console', () => {
    // A bit of the EBDA (e820-reserved RAM nobody writes) flipped in the secondary inside the
    // decompressor: the next sync point's state hash differs. (A register fault can land on a
    // dead value and go unseen, rightly.)
    const fault = 'mem:0x9fff0:0x01@1000000000';
    const r = vmrr(['ft-check', '--json', '--threads', '2', '--inject', fault, '--output', t.path('ft-out.txt'), ...VIRTUAL()], {}, 2 * LONG);
    expect(r.status, r.stderr).toBe(0);
    const rep = JSON.parse(r.stdout);
    expect(rep.injections[0]).toMatchObject({ spec: fault, applied: true });
    expect(rep.divergences.length).toBeGreaterThan(0);
    expect(rep.divergences.every((d: { resync: number | null }) => d.resync !== null)).toBe(true);
    expect(rep.resyncs.length).toBeGreaterThan(0);
    expect(rep.resyncs.every((x: { hashEqual: boolean }) => x.hashEqual)).toBe(true);
    expect(rep.verdict).toMatchObject({ ok: true, corrected: true, releasedEqualsPrimary: true, finalHashesEqual: true });
    expect(rep.primary).toMatchObject({ reason: 'limit', icount: PREFIX });
    const want = readFileSync(t.path('rec.txt'));
    expect(want.length).toBeGreaterThan(5000);
    expect(rep.output.released).toBe(want.length);
    expect(readFileSync(t.path('ft-out.txt')).equals(want)).toBe(true);
  }, 2 * LONG);

  run('two recordings with the host clock differ; diff names the first differing input, the TSC value KASLR takes, where replay --to stops', () => {
    for (const side of ['a', 'b']) {
      const rec = vmrr(['record', '--json', '--seed', '1', '--max-insns', '2e7', '-o', t.path(`host-${side}.vmrr`), ...KERNEL()], {}, LONG);
      expect(rec.status, rec.stderr).toBe(3);
    }
    const d = vmrr(['diff', '--json', t.path('host-a.vmrr'), t.path('host-b.vmrr')], {}, LONG);
    expect(d.status, d.stderr).toBe(1);
    const r = JSON.parse(d.stdout) as DiffSummary;
    expect(r).toMatchObject({ identical: false, incomplete: null, instruction: 'rdtsc' });
    expect(r.inputs.length, JSON.stringify(r)).toBeGreaterThan(0);
    const first = r.inputs[0];
    expect(first.kind).toBe('rdtsc');
    expect(first.icount).toBe(r.icount);
    expect(first.a).not.toBe(first.b);
    expect(r.registers.map((g) => g.name)).toContain('eax');
    const at = vmrr(['replay', '--json', '--to', String(r.icount), t.path('host-a.vmrr')], {}, LONG);
    expect(JSON.parse(at.stdout)).toMatchObject({ verdict: 'reached', eip: r.eip });
  }, LONG);
});

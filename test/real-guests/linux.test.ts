// Debian's i386 686 kernel with the initramfs scripts/fetch-real-guests.sh
// builds (issue 17's acceptance). Skips, saying why on stderr, when the
// guests were not fetched.
//
// In `npm test` (and CI, whose .ci/run fetches them) `run` boots to /init,
// whose marker line reaches the console, and ends through isa-debug-exit
// (about 6.7x10^9 instructions, minutes). linux-prefix.test.ts has record,
// replay, diff and ft-check on the boot's first instructions (in parallel
// with this file). With VMRR_REAL_GUESTS_SLOW=1 also the whole boot under
// record and replay --verify, and under ft-check with a fault (tens of
// minutes). The figures are in docs/platform.md.
import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { ensureBuilt, tempFiles, vmrr } from '../cli/helpers.js';
import { guest, missing } from './guests.js';

const absent = missing(['vmlinuz', 'initrd.cpio']);
const slow = process.env.VMRR_REAL_GUESTS_SLOW === '1';
if (absent) console.warn(`linux.test: ${absent}`);
else if (!slow) console.warn('linux.test: the whole-boot record/replay and ft-check run only with VMRR_REAL_GUESTS_SLOW=1 (tens of minutes); skipping those');
const run = absent ? it.skip : it;
const runSlow = absent || !slow ? it.skip : it;
/** A boot takes minutes (docs/platform.md). */
const LONG = 3_600_000;
const MARKER = 'VMRR-INIT: hello from /init';
const KERNEL = () => [guest('vmlinuz'), '--initrd', guest('initrd.cpio'), '--append', 'console=ttyS0', '--ram', '128M'];

beforeAll(() => {
  if (!absent) ensureBuilt();
}, 120_000);

const t = tempFiles({});

describe(`Debian Linux 686 to /init (${absent ? 'skipped: not fetched' : guest('vmlinuz')})`, () => {
  run('vmrr run vmlinuz --initrd initrd.cpio --append console=ttyS0 reaches /init and exits through isa-debug-exit', () => {
    // --seed: KASLR takes RDRAND; seeded, the console is a function of the configuration (the ft-check test below compares with it).
    const r = vmrr(['run', '--json', '--clock', 'virtual', '--seed', '1', '--max-insns', '3e10', '--serial', t.path('console.txt'), ...KERNEL()], {}, LONG);
    const console = readFileSync(t.path('console.txt'), 'latin1');
    expect(console, `the last lines of the console:\n${console.split('\n').slice(-15).join('\n')}\n${r.stderr}`).toContain(MARKER);
    expect(console).toContain('VMRR-INIT: float 3.125');
    expect(console).toContain('VMRR-INIT: done');
    expect(JSON.parse(r.stdout)).toMatchObject({ reason: 'exit', exitValue: 1 });
  }, LONG);

  runSlow('the whole boot: record (host clock) to /init, then replay --verify: identical', () => {
    const rec = vmrr(['record', '--json', '--max-insns', '3e10', '--serial', t.path('rec.txt'), '-o', t.path('linux.vmrr'), ...KERNEL()], {}, 2 * LONG);
    expect(rec.status, rec.stderr).toBe(0);
    expect(readFileSync(t.path('rec.txt'), 'latin1')).toContain(MARKER);
    const rep = vmrr(['replay', '--verify', '--json', t.path('linux.vmrr')], {}, 2 * LONG);
    expect(rep.status, rep.stderr).toBe(0);
    expect(JSON.parse(rep.stdout)).toMatchObject({ verdict: 'identical', reason: 'exit', exitValue: 1 });
  }, 4 * LONG);

  runSlow('the whole boot under ft-check with a memory fault: resynced, and the released output is exactly run\'s console', () => {
    // A bit of the EBDA (e820-reserved RAM nobody writes) flipped in the secondary once the kernel runs.
    const fault = 'mem:0x9fff0:0x01@3000000000';
    const r = vmrr(['ft-check', '--json', '--threads', '2', '--clock', 'virtual', '--seed', '1', '--max-insns', '3e10', '--inject', fault, '--output', t.path('ft-boot.txt'), ...KERNEL()], {}, 4 * LONG);
    expect(r.status, r.stderr).toBe(0);
    const rep = JSON.parse(r.stdout);
    expect(rep.verdict).toMatchObject({ ok: true, corrected: true, releasedEqualsPrimary: true });
    expect(rep.primary).toMatchObject({ reason: 'exit', exitValue: 1 });
    const released = readFileSync(t.path('ft-boot.txt'));
    expect(released.toString('latin1')).toContain(MARKER);
    // The whole-boot run above wrote the console this must equal.
    expect(released.equals(readFileSync(t.path('console.txt')))).toBe(true);
  }, 4 * LONG);
});

// Debian's i386 686 kernel with the initramfs scripts/fetch-real-guests.sh
// builds, under vmrr run: it should reach /init's marker line and end
// through isa-debug-exit, as under qemu-system-i386 -kernel -initrd. A boot
// is billions of instructions (minutes on the interpreter), so this runs
// only with VMRR_REAL_GUESTS_SLOW=1, and skips, saying why, otherwise or
// when the guests were not fetched. Where it stands is in docs/platform.md.
import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { ensureBuilt, tempFiles, vmrr } from '../cli/helpers.js';
import { guest, missing } from './guests.js';

const absent = missing(['vmlinuz', 'initrd.cpio']);
const slow = process.env.VMRR_REAL_GUESTS_SLOW === '1';
const why = absent || (slow ? '' : 'a Linux boot takes minutes: set VMRR_REAL_GUESTS_SLOW=1 to run it; skipping');
if (why) console.warn(`linux.test: ${why}`);
const run = why ? it.skip : it;
/** A boot takes minutes (docs/performance.md: 6 to 9 on a shared 2-core VM). */
const LONG = 3_600_000;

beforeAll(() => {
  if (!why) ensureBuilt();
}, 120_000);

describe(`Debian Linux 686 to /init (${why ? 'skipped' : guest('vmlinuz')})`, () => {
  run('vmrr run vmlinuz --initrd initrd.cpio --append console=ttyS0 reaches /init and exits through isa-debug-exit', () => {
    const t = tempFiles({});
    const r = vmrr([
      'run', '--json', '--clock', 'virtual', '--ram', '128M', '--max-insns', '3e10', '--serial', t.path('console.txt'),
      guest('vmlinuz'), '--initrd', guest('initrd.cpio'), '--append', 'console=ttyS0',
    ], {}, LONG);
    const console = readFileSync(t.path('console.txt'), 'latin1');
    expect(console, `the last lines of the console:\n${console.split('\n').slice(-15).join('\n')}\n${r.stderr}`).toContain('VMRR-INIT: hello from /init');
    expect(JSON.parse(r.stdout)).toMatchObject({ reason: 'exit', exitValue: 1 });
  }, 3_600_000);

  run('record (host clock) of the boot to /init, then replay --verify: identical', () => {
    const t = tempFiles({});
    const rec = vmrr([
      'record', '--json', '--ram', '128M', '--max-insns', '3e10', '--serial', t.path('rec.txt'), '-o', t.path('linux.vmrr'),
      guest('vmlinuz'), '--initrd', guest('initrd.cpio'), '--append', 'console=ttyS0',
    ], {}, LONG);
    expect(rec.status, rec.stderr).toBe(0);
    expect(readFileSync(t.path('rec.txt'), 'latin1')).toContain('VMRR-INIT: hello from /init');
    const rep = vmrr(['replay', '--verify', '--json', t.path('linux.vmrr')], {}, LONG);
    expect(rep.status, rep.stderr).toBe(0);
    expect(JSON.parse(rep.stdout)).toMatchObject({ verdict: 'identical', reason: 'exit', exitValue: 1 });
  }, 7_200_000);
});

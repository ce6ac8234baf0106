// vmrr run with the platform options, end to end: --clock, --mhz,
// --serial-in (file and stdin), --disk and --disk-writable, and their bad values.
import { spawnSync } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { ROOT, ensureBuilt, expectUsageError, tempFiles, vmrr } from './cli/helpers.js';

beforeAll(ensureBuilt, 120_000);
const GUARD = ['--max-insns', '2e9'];
const expected = (name: string): string => readFileSync(join(ROOT, 'fixtures', 'expected', `${name}.txt`), 'latin1');

describe('vmrr run: platform options', () => {
  it('--clock virtual and --clock host both run the timer guest to the QEMU output', () => {
    for (const clock of ['virtual', 'host']) {
      const r = vmrr(['run', ...GUARD, '--clock', clock, 'fixtures/timer.mb']);
      expect(r.status, r.stderr).toBe(0);
      expect(r.stdout).toBe(expected('timer'));
    }
  });

  it('--serial-in FILE feeds COM1', () => {
    const r = vmrr(['run', ...GUARD, '--serial-in', 'fixtures/serial-echo.in', 'fixtures/serial-echo.mb']);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toBe(expected('serial-echo'));
  });

  it('--serial-in - reads standard input', () => {
    const r = spawnSync(process.execPath, [join(ROOT, 'bin', 'vmrr.js'), 'run', ...GUARD, '--serial-in', '-', 'fixtures/serial-echo.mb'], {
      cwd: ROOT,
      input: readFileSync(join(ROOT, 'fixtures', 'serial-echo.in')),
      env: { ...process.env, NO_COLOR: '1' },
      timeout: 60_000,
    });
    expect(r.status, r.stderr.toString()).toBe(0);
    expect(r.stdout.toString('latin1')).toBe(expected('serial-echo'));
  });

  it('--disk: guest writes stay in the overlay; the file is unchanged', () => {
    const t = tempFiles({ 'd.img': readFileSync(join(ROOT, 'fixtures', 'ata-disk.img')) });
    const r = vmrr(['run', ...GUARD, '--disk', t.path('d.img'), 'fixtures/ata.mb']);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toBe(expected('ata'));
    expect(readFileSync(t.path('d.img')).equals(readFileSync(join(ROOT, 'fixtures', 'ata-disk.img')))).toBe(true);
  });

  it('--disk-writable: the written sectors reach the file, and no temporary file is left beside it', () => {
    const t = tempFiles({ 'd.img': readFileSync(join(ROOT, 'fixtures', 'ata-disk.img')) });
    const r = vmrr(['run', ...GUARD, '--disk', t.path('d.img'), '--disk-writable', 'fixtures/ata.mb']);
    expect(r.status, r.stderr).toBe(0);
    const before = readFileSync(join(ROOT, 'fixtures', 'ata-disk.img'));
    const after = readFileSync(t.path('d.img'));
    const changed = [];
    for (let s = 0; s < 128; s++) if (!before.subarray(s * 512, s * 512 + 512).equals(after.subarray(s * 512, s * 512 + 512))) changed.push(s);
    expect(changed).toEqual([10, 11, 30, 31]);
    expect(readdirSync(t.dir)).toEqual(['d.img']);
  });

  it('bad values: exit 2 with one line', () => {
    const t = tempFiles({ 'odd.img': new Uint8Array(1000), 'empty.img': new Uint8Array(0) });
    expectUsageError(vmrr(['run', '--clock', 'wall', 'x.mb']), /--clock: 'wall' is not one of: host, virtual/, expect);
    expectUsageError(vmrr(['run', '--mhz', '0', 'x.mb']), /--mhz: '0'/, expect);
    expectUsageError(vmrr(['run', '--mhz', 'fast', 'x.mb']), /--mhz: 'fast'/, expect);
    expectUsageError(vmrr(['run', '--disk', 'no/such.img', 'fixtures/timer.mb']), /--disk: cannot read no\/such.img/, expect);
    expectUsageError(vmrr(['run', '--disk', t.path('odd.img'), 'fixtures/timer.mb']), /is 1000 bytes, not a whole number of 512-byte sectors/, expect);
    expectUsageError(vmrr(['run', '--disk', t.path('empty.img'), 'fixtures/timer.mb']), /is 0 bytes/, expect);
    expectUsageError(vmrr(['run', '--serial-in', 'no/such.txt', 'fixtures/timer.mb']), /--serial-in: cannot read no\/such.txt/, expect);
    expectUsageError(vmrr(['run', '--serial-in', 'fixtures', 'fixtures/timer.mb']), /--serial-in: cannot read fixtures: is a directory/, expect);
  }, 60_000);
});


import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { OPTIONS } from '../../src/cli/options.js';
import { ROOT, ensureBuilt, expectUsageError, tempFiles, vmrr } from './helpers.js';

beforeAll(ensureBuilt, 120_000);

const version = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')).version as string;

describe('vmrr --version and --help', () => {
  it('--version prints the package version and exits 0', () => {
    const r = vmrr(['--version']);
    expect(r.status).toBe(0);
    expect(r.stdout.trim()).toBe(version);
    expect(r.stderr).toBe('');
  });

  it('--help lists run and inspect and names the commands not yet implemented', () => {
    const r = vmrr(['--help']);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^Usage: vmrr /);
    expect(r.stdout).toMatch(/\n {2}run \[options\] \[image\]/);
    expect(r.stdout).toMatch(/\n {2}inspect \[options\] <log>/);
    expect(r.stdout).not.toMatch(/not yet implemented: .*\binspect\b/);
  });

  it('help run and run --help show every option of the table and the exit statuses', () => {
    for (const args of [['help', 'run'], ['run', '--help']]) {
      const r = vmrr(args);
      expect(r.status).toBe(0);
      for (const spec of OPTIONS) expect(r.stdout, spec.flag).toContain(spec.flag);
      expect(r.stdout).toMatch(/Exit status:/);
    }
  });

  it('no command at all is bad usage', () => {
    const r = vmrr([]);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/Usage: vmrr/);
  });
});

describe('vmrr usage errors: status 2, one line, no stack trace', () => {
  it('unknown option', () => {
    expectUsageError(vmrr(['run', '--frobnicate', 'x.mb']), /unknown option '--frobnicate'/, expect);
  });

  it('unknown option close to a real one suggests it on the same line', () => {
    expectUsageError(vmrr(['run', '--rma', '4M', 'x.mb']), /unknown option '--rma'.*--ram/, expect);
  });

  it('unknown command', () => {
    expectUsageError(vmrr(['frobnicate']), /unknown command 'frobnicate'/, expect);
  });

  it('bad option values', () => {
    expectUsageError(vmrr(['run', '--ram', 'lots', 'x.mb']), /--ram: 'lots' is not a size/, expect);
    expectUsageError(vmrr(['run', '--ram', '1M', 'x.mb']), /--ram: 1M is out of range/, expect);
    expectUsageError(vmrr(['run', '--max-insns', '-5', 'x.mb']), /--max-insns/, expect);
    expectUsageError(vmrr(['run', '--max-insns', '1.5', 'x.mb']), /--max-insns: '1.5'/, expect);
    expectUsageError(vmrr(['run', '--debugcon', 'e9', 'x.mb']), /--debugcon: 'e9' is not PORT:FILE/, expect);
    expectUsageError(vmrr(['run', '--debugcon', '0x10000:f', 'x.mb']), /beyond 0xFFFF/, expect);
    expectUsageError(vmrr(['run', '--exit-code', 'qemu', 'x.mb']), /--exit-code: 'qemu'/, expect);
  });

  it('a missing option value', () => {
    expectUsageError(vmrr(['run', 'x.mb', '--ram']), /--ram <size>' argument missing/, expect);
  });

  it('too many images', () => {
    expectUsageError(vmrr(['run', 'a.mb', 'b.mb']), /too many arguments/, expect);
  });

  it('no image, or both an image and --bios', () => {
    expectUsageError(vmrr(['run']), /needs an IMAGE .* or --bios FILE/, expect);
    const t = tempFiles({ 'rom.bin': new Uint8Array(65536), 'k.mb': new Uint8Array(16) });
    expectUsageError(vmrr(['run', t.path('k.mb'), '--bios', t.path('rom.bin')]), /either IMAGE or --bios/, expect);
  });
});

describe('vmrr run with bad images: status 2, one line, no stack trace', () => {
  it('a missing file, or a directory', () => {
    expectUsageError(vmrr(['run', 'no/such/kernel.mb']), /cannot read image no\/such\/kernel.mb: no such file/, expect);
    expectUsageError(vmrr(['run', 'fixtures']), /cannot read image fixtures: is a directory/, expect);
  });

  it('a zero-length file', () => {
    const t = tempFiles({ 'empty.mb': new Uint8Array(0) });
    expectUsageError(vmrr(['run', t.path('empty.mb')]), /image is empty/, expect);
  });

  it('a file that is not an image', () => {
    const t = tempFiles({ 'notes.txt': 'hello, this is not a kernel\n' });
    expectUsageError(vmrr(['run', t.path('notes.txt')]), /not a Multiboot image/, expect);
  });

  it('an ELF kernel with bogus headers', () => {
    // ELF32 header claiming x86-64, with a valid Multiboot header after it.
    const img = new Uint8Array(0x200);
    const dv = new DataView(img.buffer);
    img.set([0x7f, 0x45, 0x4c, 0x46, 1, 1, 1]);
    dv.setUint16(18, 62, true);
    dv.setUint32(0x40, 0x1badb002, true);
    dv.setUint32(0x48, -0x1badb002 >>> 0, true);
    const t = tempFiles({ 'bad.elf': img });
    expectUsageError(vmrr(['run', t.path('bad.elf')]), /bad ELF image: 64-bit kernel/, expect);
  });

  it('an image larger than RAM', () => {
    const img = new Uint8Array(0x40);
    const dv = new DataView(img.buffer);
    const flags = 0x10000;
    dv.setUint32(0, 0x1badb002, true);
    dv.setUint32(4, flags, true);
    dv.setUint32(8, -(0x1badb002 + flags) >>> 0, true);
    dv.setUint32(12, 0x100000, true);
    dv.setUint32(16, 0x100000, true);
    dv.setUint32(24, 0x100000 + 8 * 1024 * 1024, true);
    dv.setUint32(28, 0x100000, true);
    const t = tempFiles({ 'big.mb': img });
    expectUsageError(vmrr(['run', '--ram', '4M', t.path('big.mb')]), /outside RAM/, expect);
  });

  it('a ROM whose size is not a multiple of 64K', () => {
    const t = tempFiles({ 'rom.bin': new Uint8Array(100_000) });
    expectUsageError(vmrr(['run', '--bios', t.path('rom.bin')]), /multiple of 64 KiB/, expect);
  });

  it('a --debugcon port that a built-in device already has', () => {
    const t = tempFiles({});
    expectUsageError(vmrr(['run', '--debugcon', `0xf4:${t.path('x')}`, 'fixtures/alu.mb']), /--debugcon: port 0xf4 claimed by both/, expect);
  });

  it('a --serial file that cannot be created', () => {
    expectUsageError(vmrr(['run', '--serial', 'no/such/dir/out.txt', 'fixtures/alu.mb']), /cannot open serial output file/, expect);
  });
});

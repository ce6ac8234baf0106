import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { ensureBuilt, tempFiles, vmrr } from './helpers.js';

beforeAll(ensureBuilt, 120_000);

/** A flat Multiboot a.out-kludge kernel at 1 MiB: the header, then `code` at 0x100020, then `data` at 0x100040. */
function kernel(code: number[], data: number[] = []): Uint8Array {
  const img = new Uint8Array(0x40 + data.length);
  const dv = new DataView(img.buffer);
  const flags = 0x10000;
  dv.setUint32(0, 0x1badb002, true);
  dv.setUint32(4, flags, true);
  dv.setUint32(8, -(0x1badb002 + flags) >>> 0, true);
  dv.setUint32(12, 0x100000, true); // header_addr
  dv.setUint32(16, 0x100000, true); // load_addr
  dv.setUint32(28, 0x100020, true); // entry_addr
  img.set(code, 0x20);
  img.set(data, 0x40);
  return img;
}

const images = tempFiles({
  // mov al,'A'; out 0xE9,al; mov al,'B'; out 0x80,al; cli; hlt
  'ports.mb': kernel([0xb0, 0x41, 0xe6, 0xe9, 0xb0, 0x42, 0xe6, 0x80, 0xfa, 0xf4]),
  // mov al,0x2A; out 0xF4,al; hlt
  'exit42.mb': kernel([0xb0, 0x2a, 0xe6, 0xf4, 0xf4]),
  // lidt [0x100040] (an empty IDT); ud2: #UD -> #GP -> #DF -> triple fault
  'triple.mb': kernel([0x0f, 0x01, 0x1d, 0x40, 0x00, 0x10, 0x00, 0x0f, 0x0b], [0, 0, 0, 0, 0, 0]),
  // jmp $
  'spin.mb': kernel([0xeb, 0xfe]),
  // At the reset vector F000:FFF0: mov al,'R'; out 0xE9,al; mov al,3; out 0xF4,al
  'rom.bin': rom(0x20000, [0xb0, 0x52, 0xe6, 0xe9, 0xb0, 0x03, 0xe6, 0xf4]),
});

/** A ROM image of `size` bytes with `reset` at its last 16 bytes, where the reset vector lands. */
function rom(size: number, reset: number[]): Uint8Array {
  const img = new Uint8Array(size).fill(0xf4);
  img.set(reset, size - 16);
  return img;
}

const FIXTURE = 'fixtures/alu.mb';
/** Far more than the fixture needs: a broken CPU fails the test instead of running away. */
const GUARD = ['--max-insns', '2e8'];

describe('vmrr run on a fixture', () => {
  it('prints the guest serial output on stdout and exits 0', () => {
    const r = vmrr(['run', ...GUARD, FIXTURE]);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^PASS /);
    expect(r.stdout).not.toMatch(/^FAIL/m);
    expect(r.stdout.endsWith('DONE all passed\n')).toBe(true);
    expect(r.stderr).toBe('');
  });

  const reference = tryRead('fixtures/expected/alu.txt');
  it.skipIf(reference === null)('prints the same bytes as QEMU recorded in fixtures/expected/alu.txt', () => {
    expect(vmrr(['run', ...GUARD, FIXTURE]).stdoutBytes.equals(reference!)).toBe(true);
  });

  it('--exit-code guest passes the isa-debug-exit status through: 0 written -> 1', () => {
    expect(vmrr(['run', ...GUARD, '--exit-code', 'guest', FIXTURE]).status).toBe(1);
  });

  it('--json prints only the summary object on stdout, and --serial keeps the guest output', () => {
    const t = tempFiles({});
    const plain = vmrr(['run', ...GUARD, FIXTURE]);
    const r = vmrr(['run', ...GUARD, '--json', '--serial', t.path('serial.txt'), FIXTURE]);
    expect(r.status, r.stderr).toBe(0);
    const lines = r.stdout.split('\n');
    expect(lines).toHaveLength(2);
    expect(lines[1]).toBe('');
    const s = JSON.parse(lines[0]);
    expect(s).toEqual({
      image: FIXTURE,
      kind: 'multiboot',
      ramBytes: 32 * 1024 * 1024,
      reason: 'exit',
      icount: expect.any(Number),
      eip: expect.any(Number),
      exitValue: 1,
      faults: [],
      halt: null,
      resetBy: null,
      wallSeconds: expect.any(Number),
      mips: expect.any(Number),
      unclaimedPorts: [],
      jit: {
        enabled: true, threshold: 16, regions: expect.any(Number), blocks: expect.any(Number), invalidations: expect.any(Number),
        compiledInsns: expect.any(Number), compiledShare: expect.any(Number),
      },
    });
    expect(s.icount).toBeGreaterThan(1000);
    expect(s.jit.compiledShare).toBeCloseTo(s.jit.compiledInsns / s.icount, 4);
    // Both are rounded (wallSeconds to 1 ms, mips to 0.01): the gap is at most what those roundings allow.
    const slack = 0.005 + ((s.icount / 1e6) * 0.0005) / s.wallSeconds ** 2 + 1e-9;
    expect(Math.abs(s.mips - s.icount / s.wallSeconds / 1e6)).toBeLessThanOrEqual(slack);
    expect(readFileSync(t.path('serial.txt'))).toEqual(plain.stdoutBytes);
  });

  it('--json without --serial discards the guest output', () => {
    const r = vmrr(['run', ...GUARD, '--json', FIXTURE]);
    expect(JSON.parse(r.stdout).reason).toBe('exit');
  });

  it('--max-insns stops the guest: exit 3, reason limit, icount exactly N', () => {
    const r = vmrr(['run', '--max-insns', '1000', FIXTURE]);
    expect(r.status).toBe(3);
    expect(r.stderr).toMatch(/^vmrr: guest reached the instruction limit \(icount 1000, EIP 0x[0-9a-f]{8}\)\n$/);
    const j = vmrr(['run', '--json', '--max-insns', '1_000', FIXTURE]);
    expect(j.status).toBe(3);
    expect(JSON.parse(j.stdout)).toMatchObject({ reason: 'limit', icount: 1000, exitValue: null });
  });
});

describe('vmrr run on small synthetic kernels', () => {
  it('port 0xE9 goes to stdout, --debugcon ports to their file, HLT with IF=0 ends with status 4 and says so', () => {
    const t = tempFiles({});
    const r = vmrr(['run', '--debugcon', `0x80:${t.path('post.log')}`, images.path('ports.mb')]);
    expect(r.status, r.stderr).toBe(4);
    expect(r.stderr).toMatch(/^vmrr: guest halted with interrupts disabled \(HLT with IF=0 at icount 6, EIP 0x[0-9a-f]{8}\): nothing can wake it\n$/);
    expect(r.stdout).toBe('A');
    expect(readFileSync(t.path('post.log'), 'latin1')).toBe('B');
    const j = vmrr(['run', '--json', images.path('ports.mb')]);
    expect(j.status).toBe(4);
    expect(JSON.parse(j.stdout)).toMatchObject({ reason: 'halt', halt: 'interrupts-off', icount: 6, exitValue: null });
    // --exit-code guest passes isa-debug-exit through only; a halt keeps its status.
    expect(vmrr(['run', '--exit-code', 'guest', images.path('ports.mb')]).status).toBe(4);
  });

  it('ports no device models are counted: --json unclaimedPorts, and one note on stderr', () => {
    const t = tempFiles({
      // in al,0xc0 (twice); out 0xc4,al (the second DMA controller, not modelled); mov al,0; out 0xf4,al
      'dma.mb': kernel([0xe4, 0xc0, 0xe4, 0xc0, 0xe6, 0xc4, 0xb0, 0x00, 0xe6, 0xf4]),
    });
    const j = vmrr(['run', '--json', t.path('dma.mb')]);
    expect(JSON.parse(j.stdout).unclaimedPorts).toEqual([{ port: 0xc0, reads: 2, writes: 0 }, { port: 0xc4, reads: 0, writes: 1 }]);
    const r = vmrr(['run', t.path('dma.mb')]);
    expect(r.status).toBe(0);
    expect(r.stderr).toBe('vmrr: note: the guest touched 2 I/O ports no device models (reads gave 0xFF): 0xc0 (2 in), 0xc4 (1 out)\n');
  });

  it('HLT with IF=1 and every IRQ masked ends with status 4, halt no-wake-source', () => {
    const t = tempFiles({
      // mov al,0xff; out 0x21,al; out 0xa1,al; sti; hlt
      'masked.mb': kernel([0xb0, 0xff, 0xe6, 0x21, 0xe6, 0xa1, 0xfb, 0xf4]),
    });
    const j = vmrr(['run', '--json', t.path('masked.mb')]);
    expect(j.status).toBe(4);
    expect(JSON.parse(j.stdout)).toMatchObject({ reason: 'halt', halt: 'no-wake-source' });
  });

  it('--debugcon 0xe9:FILE takes port 0xE9 off stdout', () => {
    const t = tempFiles({});
    const r = vmrr(['run', '--debugcon', `0xe9:${t.path('e9.log')}`, images.path('ports.mb')]);
    expect(r.stdout).toBe('');
    expect(readFileSync(t.path('e9.log'), 'latin1')).toBe('A');
  });

  it('isa-debug-exit: 0 by default, (V<<1)|1 with --exit-code guest', () => {
    expect(vmrr(['run', images.path('exit42.mb')]).status).toBe(0);
    expect(vmrr(['run', '--exit-code', 'guest', images.path('exit42.mb')]).status).toBe(85);
    expect(JSON.parse(vmrr(['run', '--json', images.path('exit42.mb')]).stdout)).toMatchObject({ reason: 'exit', exitValue: 85, icount: 2 });
  });

  it('a triple fault is reported with icount, EIP and the exception chain, exit 3', () => {
    const r = vmrr(['run', images.path('triple.mb')]);
    expect(r.status).toBe(3);
    expect(r.stderr).toMatch(/^vmrr: guest triple fault at icount 1, EIP 0x00100027: .*#UD/);
    expect(r.stderr.trimEnd().split('\n')).toHaveLength(1);
    const j = JSON.parse(vmrr(['run', '--json', images.path('triple.mb')]).stdout);
    expect(j).toMatchObject({ reason: 'triple-fault', icount: 1, eip: 0x100027 });
    expect(j.faults.length).toBeGreaterThanOrEqual(2);
  });

  it('--bios starts a ROM at the reset vector in real mode', () => {
    const r = vmrr(['run', '--exit-code', 'guest', '--bios', images.path('rom.bin')]);
    expect(r.stdout).toBe('R');
    expect(r.status).toBe(7);
    expect(JSON.parse(vmrr(['run', '--json', '--bios', images.path('rom.bin')]).stdout)).toMatchObject({
      kind: 'bios',
      reason: 'exit',
      exitValue: 7,
      icount: 4,
      image: images.path('rom.bin'),
    });
  });

  it('a guest spinning forever stops at --max-insns 5e6 with status 3', () => {
    const r = vmrr(['run', '--json', '--max-insns', '5e6', images.path('spin.mb')]);
    expect(r.status).toBe(3);
    expect(JSON.parse(r.stdout)).toMatchObject({ reason: 'limit', icount: 5_000_000 });
  });
});

function tryRead(path: string): Buffer | null {
  try {
    return readFileSync(path);
  } catch {
    return null;
  }
}

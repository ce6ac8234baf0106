// RDMSR/WRMSR of the MSRs a family-6 kernel probes (src/cpu/msr.ts): modelled
// ones read their reset value and keep the writable bits; any other index
// raises #GP(0), as on QEMU. The MSRs are CPU state (saveCpu/loadCpu).
import { describe, expect, it } from 'vitest';
import { Machine } from '../../src/machine/machine.js';
import { loadMultiboot } from '../../src/machine/loaders.js';
import { loadCpu, saveCpu } from '../../src/cpu/cpu-state.js';
import { fixedInput } from '../machine/helpers.js';

const RAM = 16 << 20;

function boot(code: number[]): Machine {
  const img = new Uint8Array(0x100);
  const dv = new DataView(img.buffer);
  dv.setUint32(0, 0x1badb002, true);
  dv.setUint32(4, 0x10000, true);
  dv.setUint32(8, -(0x1badb002 + 0x10000) >>> 0, true);
  dv.setUint32(12, 0x100000, true);
  dv.setUint32(16, 0x100000, true);
  dv.setUint32(28, 0x100020, true);
  img.set(code, 0x20);
  const m = new Machine({ ramBytes: RAM, input: fixedInput(), clock: 'virtual' });
  m.load(loadMultiboot(img, RAM, ''));
  return m;
}

const movEcx = (v: number): number[] => [0xb9, v & 0xff, (v >> 8) & 0xff, (v >> 16) & 0xff, v >>> 24];
const RDMSR = [0x0f, 0x32];
const WRMSR = [0x0f, 0x30];

describe('MSRs', () => {
  it('MISC_ENABLE reads 1; IA32_APIC_BASE reports a disabled APIC at 0xFEE00000; BIOS_SIGN_ID takes a write and reads 0', () => {
    const m = boot([...movEcx(0x1a0), ...RDMSR]);
    m.run(2);
    expect([m.cpu.regs[0], m.cpu.regs[2]]).toEqual([1, 0]);
    const a = boot([...movEcx(0x1b), ...RDMSR]);
    a.run(2);
    expect(a.cpu.regs[0] >>> 0).toBe(0xfee00100);
    // xor eax,eax; xor edx,edx; mov ecx,0x8b; wrmsr; mov eax,-1; rdmsr
    const b = boot([0x31, 0xc0, 0x31, 0xd2, ...movEcx(0x8b), ...WRMSR, 0xb8, 0xff, 0xff, 0xff, 0xff, ...RDMSR]);
    const stop = b.run(6);
    expect(stop.reason).toBe('limit');
    expect([b.cpu.regs[0], b.cpu.regs[2]]).toEqual([0, 0]);
  });

  it('SYSENTER_CS keeps its low 16 bits; PAT its type bits; the values travel in the CPU state', () => {
    // mov ecx,0x174; mov eax,0x12345678; xor edx,edx; wrmsr
    const m = boot([...movEcx(0x174), 0xb8, 0x78, 0x56, 0x34, 0x12, 0x31, 0xd2, ...WRMSR]);
    m.run(4);
    expect(m.cpu.msrs.read(0x174)).toEqual([0x5678, 0]);
    expect(m.cpu.msrs.read(0x277)).toEqual([0x00070406, 0x00070406]);
    const n = boot([]);
    loadCpu(n.cpu, saveCpu(m.cpu));
    expect(n.cpu.msrs.read(0x174)).toEqual([0x5678, 0]);
  });

  it('an unknown MSR raises #GP: with no IDT the guest triple-faults on its first RDMSR / WRMSR', () => {
    // lidt [zero limit]: any exception then escalates to a triple fault.
    const lidt = [0x0f, 0x01, 0x1d, 0x80, 0x00, 0x10, 0x00];
    for (const op of [RDMSR, WRMSR]) {
      const m = boot([...lidt, ...movEcx(0x12345), ...op]);
      const stop = m.run(100);
      expect(stop.reason).toBe('triple-fault');
      expect(stop.faults?.startsWith('#GP')).toBe(true);
      expect(stop.icount).toBe(2);
    }
  });
});

describe('cache control', () => {
  it('INVD and WBINVD run at CPL 0 (no caches to flush)', () => {
    const m = boot([0x0f, 0x08, 0x0f, 0x09, 0x90]);
    expect(m.run(3)).toMatchObject({ reason: 'limit', icount: 3 });
  });
});

// Registers as gdb reads them from a Cpu: x87 ST(i) as 80-bit extended
// values relative to TOP, the x87 control registers, and linear memory read
// through paging without side effects.
import { describe, it, expect } from 'vitest';
import { Machine } from '../../src/machine/machine.js';
import { HostInputSource } from '../../src/replay/input-source.js';
import { readRegister, readLinear } from '../../src/gdb/cpu-view.js';
import { REG_ST0, REG_X87_CTRL0 } from '../../src/gdb/registers.js';

const hex = (b: Uint8Array | undefined) => Buffer.from(b!).toString('hex');

describe('cpu-view', () => {
  it('reads ST(0) as an 80-bit value and FCTRL as the control word', () => {
    const m = new Machine({ ramBytes: 4 << 20, input: new HostInputSource() });
    const f = m.cpu.fpu;
    f.top = 7;
    f.set(0, 1.5);
    // 1.5 = 1.1b x 2^0: mantissa c000000000000000, exponent 0x3fff.
    expect(hex(readRegister(m.cpu, REG_ST0))).toBe('00000000000000c0ff3f');
    expect(hex(readRegister(m.cpu, REG_X87_CTRL0))).toBe('7f030000');
  });

  it('reads linear memory with paging off as physical, and stops at the end of what is mapped', () => {
    const m = new Machine({ ramBytes: 4 << 20, input: new HostInputSource() });
    m.mem.ram.set([1, 2, 3, 4], 0x1000);
    expect([...readLinear(m.cpu, 0x1000, 4)!]).toEqual([1, 2, 3, 4]);
  });
});

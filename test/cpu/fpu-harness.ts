// A tiny flat 32-bit machine for x87 unit tests: code at CODE, data at DATA,
// a GDT and an IDT whose gate v runs `mov byte [VEC], v; hlt`, so a test
// sees which exception (if any) ended the code.

import { Machine } from '../../src/machine/machine.js';
import { HostInputSource } from '../../src/replay/input-source.js';
import type { LoadPlan } from '../../src/machine/loaders.js';

export const CODE = 0x10000, DATA = 0x20000, VEC = 0x1ff00;
const GDT = 0x500, IDT = 0x1000, STUBS = 0x3000, RAM = 4 << 20;

const fixedInput = (): HostInputSource => Object.assign(new HostInputSource(), { wallClockMs: () => 0, rdrand: () => 0 });

function tables(): { addr: number; data: Uint8Array }[] {
  const gdt = new Uint8Array([0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 0, 0, 0, 0x9a, 0xcf, 0, 0xff, 0xff, 0, 0, 0, 0x92, 0xcf, 0]);
  const idt = new Uint8Array(32 * 8);
  const stubs = new Uint8Array(32 * 16);
  for (let v = 0; v < 32; v++) {
    const h = STUBS + v * 16;
    idt.set([h & 0xff, (h >> 8) & 0xff, 0x08, 0, 0, 0x8e, (h >> 16) & 0xff, h >>> 24], v * 8);
    stubs.set([0xc6, 0x05, VEC & 0xff, (VEC >> 8) & 0xff, VEC >> 16, 0, v, 0xf4], v * 16);
  }
  return [{ addr: GDT, data: gdt }, { addr: IDT, data: idt }, { addr: STUBS, data: stubs }];
}

export interface Run {
  m: Machine;
  /** Vector of the exception that ended the code, or -1 (it reached its HLT). */
  vector: number;
  f64(off: number): number;
  u16(off: number): number;
  u32(off: number): number;
  bytes(off: number, n: number): number[];
}

/** Run `code` (then HLT) with `data` at DATA; `cr0` adds bits (EM, TS, NE, MP). */
export function runCode(code: number[], opts: { data?: number[]; cr0?: number; fpu?: boolean; before?: (m: Machine) => void } = {}): Run {
  const m = new Machine({ ramBytes: RAM, clock: 'virtual', input: fixedInput(), fpu: opts.fpu });
  m.mem.ram[VEC] = 0xff;
  const plan: LoadPlan = {
    kind: 'bios',
    segments: [...tables(), { addr: CODE, data: new Uint8Array([...code, 0xf4]) }, { addr: DATA, data: new Uint8Array(opts.data ?? []) }],
    entry: {
      mode: 'flat32', eip: CODE, eax: 0, ebx: 0, esp: 0x9000, eflags: 2, cr0: 0x11 | (opts.cr0 ?? 0), cs: 0x08, ds: 0x10,
      gdtr: { base: GDT, limit: 23 }, idtr: { base: IDT, limit: 32 * 8 - 1 },
    },
    warnings: [],
  };
  m.load(plan);
  opts.before?.(m);
  m.run(100_000);
  const ram = m.mem.ram;
  const dv = new DataView(ram.buffer, ram.byteOffset, ram.byteLength);
  const v = ram[VEC];
  return {
    m,
    vector: v === 0xff ? -1 : v,
    f64: (off) => dv.getFloat64(DATA + off, true),
    u16: (off) => dv.getUint16(DATA + off, true),
    u32: (off) => dv.getUint32(DATA + off, true),
    bytes: (off, n) => Array.from(ram.subarray(DATA + off, DATA + off + n)),
  };
}

/** ModRM + disp32 for [DATA + off] with ModRM.reg = `reg`. */
export function mem(reg: number, off: number): number[] {
  const a = DATA + off;
  return [(reg << 3) | 5, a & 0xff, (a >> 8) & 0xff, (a >> 16) & 0xff, a >>> 24];
}

/** The little-endian bytes of a double. */
export function f64Bytes(x: number): number[] {
  const b = new Uint8Array(8);
  new DataView(b.buffer).setFloat64(0, x, true);
  return Array.from(b);
}

// Instruction decoder: prefixes, opcode, ModRM/SIB, displacement and
// immediates, into a reusable Inst with its handler and effective-address
// function chosen once. Operand layout, LOCK-ability and the handler come
// from the opcode rows (op-rows.ts, dispatch.ts).

import { type Cpu, FAULT } from './cpu.js';
import { Inst, type EaFn } from './inst.js';
import { lookup, undefinedOpcode } from './dispatch.js';
import { gp } from './faults.js';
import { F_LOCK } from './op-facts.js';
import { ROWS } from './op-rows.js';

// Immediate kinds.
const I_NONE = 0, I_B = 1, I_W = 2, I_Z = 3, I_AP = 4, I_O = 5;

const MODRM = new Uint8Array(512);
const IMM1 = new Uint8Array(512 * 8);
const IMM2 = new Uint8Array(512 * 8);
const LOCKABLE = new Uint8Array(512 * 8);

function immKind(code: string): number {
  switch (code) {
    case 'Ib': case 'Jb': return I_B;
    case 'Iw': return I_W;
    case 'Iz': case 'Iv': case 'Jz': return I_Z;
    case 'Ap': return I_AP;
    case 'Ob': case 'Ov': return I_O;
    default: return I_NONE;
  }
}

for (const row of ROWS) {
  const k = (row.op << 3) | row.reg;
  MODRM[row.op] = row.modrm ? 1 : 0;
  const kinds = row.form.o.map(immKind).filter((kind) => kind !== I_NONE);
  IMM1[k] = kinds[0] ?? I_NONE;
  IMM2[k] = kinds[1] ?? I_NONE;
  LOCKABLE[k] = row.facts & F_LOCK ? 1 : 0;
}

// ---- effective-address functions (offset in segment, unsigned) ----

const eaDisp: EaFn = (_c, i) => i.disp >>> 0;
const eaBase: EaFn = (c, i) => (c.regs[i.base] + i.disp) >>> 0;
const eaBaseIndex: EaFn = (c, i) => (c.regs[i.base] + (c.regs[i.index] << i.scale) + i.disp) >>> 0;
const eaIndex: EaFn = (c, i) => ((c.regs[i.index] << i.scale) + i.disp) >>> 0;
const ea16Disp: EaFn = (_c, i) => i.disp & 0xffff;
const ea16Base: EaFn = (c, i) => (c.regs16[i.base] + i.disp) & 0xffff;
const ea16BaseIndex: EaFn = (c, i) => (c.regs16[i.base] + c.regs16[i.index] + i.disp) & 0xffff;
const eaNone: EaFn = () => 0;

// 16-bit r/m -> [base, index] as regs16 indices (register * 2), -1 for none.
const RM16: readonly (readonly [number, number])[] = [
  [3 * 2, 6 * 2], [3 * 2, 7 * 2], [5 * 2, 6 * 2], [5 * 2, 7 * 2], [6 * 2, -1], [7 * 2, -1], [5 * 2, -1], [3 * 2, -1],
];

/** Reads instruction bytes; counts them to enforce the 15-byte limit. */
class ByteReader {
  cpu!: Cpu;
  lin = 0;
  n = 0;
  next(): number {
    if (this.n >= 15) gp(this.cpu, 0);
    const b = fetchCodeByte(this.cpu, (this.lin + this.n) | 0);
    this.n++;
    return b;
  }
  s8(): number { return (this.next() << 24) >> 24; }
  u16(): number { return this.next() | (this.next() << 8); }
  s32(): number { return this.next() | (this.next() << 8) | (this.next() << 16) | (this.next() << 24); }
}

let fetchCodeByte: (cpu: Cpu, lin: number) => number = () => { throw FAULT; };

/** The machine-independent fetch hook (set by exec.ts to the CPU's code read). */
export function setCodeFetch(f: (cpu: Cpu, lin: number) => number): void {
  fetchCodeByte = f;
}

const rd = new ByteReader();

/**
 * Decode the instruction at linear address `lin` for the current code size
 * into a new Inst. May raise #PF/#GP while fetching.
 */
export function decode(cpu: Cpu, lin: number): Inst {
  rd.cpu = cpu;
  rd.lin = lin;
  rd.n = 0;
  const mode32 = cpu.csD;
  const inst = new Inst(lookup(0, 0, false), eaNone);
  inst.mode = mode32 ? 1 : 0;
  let o32 = mode32, a32 = mode32;
  let seg = -1;
  let b: number;
  for (;;) {
    b = rd.next();
    switch (b) {
      case 0x26: seg = 0; continue;
      case 0x2e: seg = 1; continue;
      case 0x36: seg = 2; continue;
      case 0x3e: seg = 3; continue;
      case 0x64: seg = 4; continue;
      case 0x65: seg = 5; continue;
      case 0x66: o32 = !mode32; continue;
      case 0x67: a32 = !mode32; continue;
      case 0xf0: inst.lock = true; continue;
      case 0xf2: inst.rep = 2; continue;
      case 0xf3: inst.rep = 1; continue;
    }
    break;
  }
  let op = b;
  if (b === 0x0f) op = 0x100 | rd.next();
  inst.op = op;
  inst.o32 = o32;
  inst.a32 = a32;
  let defSeg = 3;
  if (MODRM[op]) {
    const m = rd.next();
    const mod = m >> 6;
    const rm = m & 7;
    inst.mod = mod;
    inst.reg = (m >> 3) & 7;
    inst.rm = rm;
    if (mod !== 3) {
      if (a32) {
        let base = rm, index = -1, scale = 0;
        if (rm === 4) {
          const sib = rd.next();
          scale = sib >> 6;
          index = (sib >> 3) & 7;
          if (index === 4) index = -1;
          base = sib & 7;
        }
        if (base === 5 && mod === 0) {
          base = -1;
          inst.disp = rd.s32();
        } else {
          if (mod === 1) inst.disp = rd.s8();
          else if (mod === 2) inst.disp = rd.s32();
          if (base === 4 || base === 5) defSeg = 2;
        }
        inst.base = base;
        inst.index = index;
        inst.scale = scale;
        inst.ea = base < 0 ? (index < 0 ? eaDisp : eaIndex) : index < 0 ? eaBase : eaBaseIndex;
      } else {
        if (mod === 0 && rm === 6) {
          inst.disp = rd.u16();
          inst.ea = ea16Disp;
        } else {
          const [base, index] = RM16[rm];
          inst.base = base;
          inst.index = index;
          if (mod === 1) inst.disp = rd.s8();
          else if (mod === 2) inst.disp = rd.u16();
          if (rm === 2 || rm === 3 || rm === 6) defSeg = 2;
          inst.ea = index < 0 ? ea16Base : ea16BaseIndex;
        }
      }
    }
  }
  inst.seg = seg >= 0 ? seg : defSeg;
  inst.segOverride = seg >= 0 ? 1 : 0;
  const k = op * 8 + inst.reg;
  const k1 = IMM1[k];
  inst.imm = readImm(k1, o32, a32);
  inst.imm2 = k1 === I_AP ? rd.u16() : readImm(IMM2[k], o32, a32);
  inst.len = rd.n;
  inst.fn = inst.lock && (inst.mod === 3 || LOCKABLE[k] === 0) ? undefinedOpcode : lookup(op, inst.reg, o32, MODRM[op] ? inst.mod : -1);
  return inst;
}

function readImm(kind: number, o32: boolean, a32: boolean): number {
  switch (kind) {
    case I_B: return rd.s8();
    case I_W: return rd.u16();
    case I_Z: return o32 ? rd.s32() : (rd.u16() << 16) >> 16;
    case I_AP: return o32 ? rd.s32() >>> 0 : rd.u16(); // offset; the selector follows
    case I_O: return a32 ? rd.s32() >>> 0 : rd.u16();
    default: return 0;
  }
}

// x87 escapes D9, DB, DD, DF: loads and stores (FLD/FST/FSTP real, FILD/
// FIST/FISTP integer, FBLD/FBSTP), the control instructions (FLDCW/FNSTCW,
// FNSTSW, FNINIT, FNCLEX, FLDENV/FNSTENV, FRSTOR/FNSAVE) and the register
// forms of DB, DD and DF (FCMOVNcc, FUCOMI/FCOMI(P), FFREE, FST(P) ST(i),
// FUCOM(P)). D9's register forms are in fpu-misc-ops.ts.

import type { Cpu } from '../cpu.js';
import type { Inst } from '../inst.js';
import { HandlerTable } from '../handler-table.js';
import { ud } from '../faults.js';
import { materialize, ARITH, CF, PF, ZF } from '../flags.js';
import { rd16, wr16 } from '../mem-access.js';
import { fpuEnter, noteInst, underflow, push, push80, SKIP } from '../fpu/fpu-core.js';
import { loadReal32, loadReal64, loadReal80, loadInt, loadBcd, storeReal, storeReal80, storeInt, storeBcd } from '../fpu/fpu-mem.js';
import { compare, ext } from '../fpu/fpu-arith.js';
import { storeEnv, loadEnv } from '../fpu/fpu-env.js';
import { C1, INDEFINITE, EXC_MASK, type Fpu, type Operand } from '../fpu/fpu.js';
import { compareTo, fcmov, noInst } from './fpu-arith-ops.js';
import { d9Reg, fstReg, fxch } from './fpu-misc-ops.js';

/** x87 handlers of this file (group 'fpu', assembled by dispatch.ts). */
export const FPU_LOAD_HANDLERS = new HandlerTable('fpu');
const { def } = FPU_LOAD_HANDLERS;

/** FLD/FILD/FBLD from memory. */
function loadOp(read: (cpu: Cpu, seg: number, off: number) => Operand | typeof SKIP) {
  return (cpu: Cpu, i: Inst): void => {
    const f = fpuEnter(cpu, true);
    const off = i.ea(cpu, i);
    const v = read(cpu, i.seg, off);
    noteInst(cpu, i, off);
    if (typeof v === 'number') push(f, v);
    else if (v !== SKIP) push80(f, v);
  };
}

/** FST/FSTP/FIST/FISTP/FBSTP to memory; `pop` after a completed store. */
function storeOp(write: (cpu: Cpu, seg: number, off: number, v: Operand) => boolean, pop: boolean) {
  return (cpu: Cpu, i: Inst): void => {
    const f = fpuEnter(cpu, true);
    const off = i.ea(cpu, i);
    noteInst(cpu, i, off);
    let v: Operand;
    if (f.isEmpty(0)) {
      if (!underflow(f)) return;
      v = INDEFINITE;
    } else v = f.opnd(0);
    if (write(cpu, i.seg, off, v) && pop) f.pop();
  };
}

const real32 = (cpu: Cpu, seg: number, off: number, v: Operand): boolean => storeReal(cpu, seg, off, v, 4);
const real64 = (cpu: Cpu, seg: number, off: number, v: Operand): boolean => storeReal(cpu, seg, off, v, 8);
const real80 = (cpu: Cpu, seg: number, off: number, v: Operand): boolean => { storeReal80(cpu, seg, off, ext(v)); return true; };
const int = (bytes: 2 | 4 | 8) => (cpu: Cpu, seg: number, off: number, v: Operand): boolean => storeInt(cpu, seg, off, v, bytes);

type MemHandler = ((cpu: Cpu, i: Inst) => void) | null;

function control(cpu: Cpu, i: Inst, run: (f: Fpu, off: number) => void): void {
  const f = fpuEnter(cpu, false);
  run(f, i.ea(cpu, i));
}

const fldenv = (cpu: Cpu, i: Inst): void => { fpuEnter(cpu, true); loadEnv(cpu, i.seg, i.ea(cpu, i), i.o32, false); };
const frstor = (cpu: Cpu, i: Inst): void => { fpuEnter(cpu, true); loadEnv(cpu, i.seg, i.ea(cpu, i), i.o32, true); };
const fnstenv = (cpu: Cpu, i: Inst): void => control(cpu, i, (f, off) => {
  storeEnv(cpu, i.seg, off, i.o32, false);
  f.cw |= EXC_MASK;
  f.updateSummary();
});
const fnsave = (cpu: Cpu, i: Inst): void => control(cpu, i, (f, off) => { storeEnv(cpu, i.seg, off, i.o32, true); f.init(); });
const fldcw = (cpu: Cpu, i: Inst): void => {
  const f = fpuEnter(cpu, true);
  f.cw = rd16(cpu, i.seg, i.ea(cpu, i));
  f.updateSummary();
};
const fnstcw = (cpu: Cpu, i: Inst): void => control(cpu, i, (f, off) => wr16(cpu, i.seg, off, f.cw));
const fnstswMem = (cpu: Cpu, i: Inst): void => control(cpu, i, (f, off) => wr16(cpu, i.seg, off, f.statusWord()));

const MEM: Record<number, MemHandler[]> = {
  0xd9: [loadOp(loadReal32), null, storeOp(real32, false), storeOp(real32, true), fldenv, fldcw, fnstenv, fnstcw],
  0xdb: [loadOp((c, s, o) => loadInt(c, s, o, 4)), null, storeOp(int(4), false), storeOp(int(4), true),
    null, loadOp(loadReal80), null, storeOp(real80, true)],
  0xdd: [loadOp(loadReal64), null, storeOp(real64, false), storeOp(real64, true), frstor, null, fnsave, fnstswMem],
  0xdf: [loadOp((c, s, o) => loadInt(c, s, o, 2)), null, storeOp(int(2), false), storeOp(int(2), true),
    loadOp(loadBcd), loadOp((c, s, o) => loadInt(c, s, o, 8)), storeOp(storeBcd, true), storeOp(int(8), true)],
};

/** FCOMI/FUCOMI (and the P forms): the comparison in ZF, PF, CF; OF, SF, AF cleared. */
function fcomi(cpu: Cpu, i: Inst, unordered: boolean, pop: boolean): void {
  const f = fpuEnter(cpu, true);
  noteInst(cpu, i, -1);
  let o: number;
  if (f.isEmpty(0) || f.isEmpty(i.rm)) o = underflow(f) ? 3 : -1;
  else o = compare(f, f.opnd(0), f.opnd(i.rm), unordered);
  if (o < 0) return;
  f.sw &= ~C1;
  materialize(cpu);
  cpu.lazy = 0;
  cpu.flags = (cpu.flags & ~ARITH) | (o === 1 ? CF : o === 2 ? ZF : o === 3 ? ZF | PF | CF : 0);
  if (pop) f.pop();
}

function dbReg(cpu: Cpu, i: Inst): void {
  if (i.reg < 4) return fcmov(cpu, i, true);
  if (i.reg === 4) {
    const f = fpuEnter(cpu, false);
    if (i.rm === 2) { f.sw &= ~0x80ff; return; } // FNCLEX: exception flags, SF, ES, B
    if (i.rm === 3) { f.init(); return; } // FNINIT
    if (i.rm <= 1 || i.rm === 4) return; // FNENI, FNDISI, FNSETPM: no-ops after the 8087/287
    return ud(cpu);
  }
  if (i.reg === 5) return fcomi(cpu, i, true, false);
  if (i.reg === 6) return fcomi(cpu, i, false, false);
  noInst(cpu);
}

function ddReg(cpu: Cpu, i: Inst): void {
  const f = fpuEnter(cpu, true);
  switch (i.reg) {
    case 0: noteInst(cpu, i, -1); f.free(i.rm); return; // FFREE
    case 1: return fxch(cpu, i);
    case 2: return fstReg(cpu, i, false);
    case 3: return fstReg(cpu, i, true);
    case 4: case 5: { // FUCOM, FUCOMP
      noteInst(cpu, i, -1);
      if (compareTo(f, f.isEmpty(i.rm) ? null : f.opnd(i.rm), true) && i.reg === 5) f.pop();
      return;
    }
    default: ud(cpu);
  }
}

function dfReg(cpu: Cpu, i: Inst): void {
  switch (i.reg) {
    case 0: { const f = fpuEnter(cpu, true); noteInst(cpu, i, -1); f.free(i.rm); f.pop(); return; } // FFREEP
    case 1: return fxch(cpu, i);
    case 2: case 3: return fstReg(cpu, i, true); // FSTP aliases
    case 4:
      if (i.rm !== 0) return noInst(cpu);
      cpu.regs16[0] = fpuEnter(cpu, false).statusWord(); // FNSTSW AX
      return;
    case 5: return fcomi(cpu, i, true, true);
    case 6: return fcomi(cpu, i, false, true);
    default: noInst(cpu);
  }
}

const REG: Record<number, (cpu: Cpu, i: Inst) => void> = { 0xd9: d9Reg, 0xdb: dbReg, 0xdd: ddReg, 0xdf: dfReg };

for (const op of [0xd9, 0xdb, 0xdd, 0xdf]) {
  def(op, (cpu, i) => {
    if (i.mod === 3) return REG[op](cpu, i);
    const h = MEM[op][i.reg];
    if (h === null) {
      fpuEnter(cpu, false);
      return ud(cpu); // FISTTP (SSE3, not announced) and the reserved rows
    }
    h(cpu, i);
  });
}

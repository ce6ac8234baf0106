// A seeded random-instruction generator for engine-diff testing (issue 16,
// docs/jit-design.md "Engine-diff testing"): short random blocks of real
// IA-32 instructions in a small flat protected-mode guest with paging, run
// once on the interpreter and once with the block compiler, compared in
// lockstep after chunks of random length (so stops fall inside compiled
// blocks). No nasm: the guest is encoded here, straight into a LoadPlan.
//
// Guest layout (physical = linear, all below 64 KiB except the code):
//   0x1000 GDT (null, flat code 0x08, flat data 0x10, GS data base 0x8000 limit 0x3FFF at 0x18)
//   0x1800 IDT: 32 interrupt gates to the stubs
//   0x2000 stubs, 32 bytes apart: [lea esp,[esp+4] for an error code] lea esp,[esp+12];
//          mov [LASTVEC], v; jmp [RESUME] (no flag changes)
//   0x3000 page directory, 0x4000 page table (identity map of 4 MiB; 0xC000 not
//          present, 0xD000 read-only with CR0.WP)
//   0x5000-0x67FF stack (top 0x6800); 0x7000 variables (RESUME, ITER, IRQS, LASTVEC)
//   0x8000-0xBFFF data; 0xC000 #PF; 0xD000 read-only
//   0x10000 code: prologue, then the body run ITERS times, then OUT 0xF4 (exit)

import { Machine, type StopInfo } from '../../../src/machine/machine.js';
import type { LoadPlan } from '../../../src/machine/loaders.js';
import { HostInputSource } from '../../../src/replay/input-source.js';
import { disassemble } from '../../../src/cpu/disasm.js';
import { setEngine } from './engine.js';

/** Where a fault handler resumes: offset (dword) and code selector (word at +4), for a far jump. */
export const RESUME = 0x7000;
export const ITER = 0x7008;
export const LASTVEC = 0x7010;
/** IRQ 0s taken (the timer handler counts them). */
export const IRQS = 0x700c;
/** The timer's vector (the PIC reprogrammed from the host) and the IDT's size. */
const IRQ0_VECTOR = 0x20;
const VECTORS = IRQ0_VECTOR + 1;
const GDT = 0x1000;
const IDT = 0x1800;
const STUBS = 0x2000;
const PD = 0x3000;
const PT = 0x4000;
// Below the variables with room to spare: a PUSH r/m that faults is skipped but its POP is not, so ESP can creep up.
const STACK_TOP = 0x6800;
const DATA = 0x8000;
const DATA_END = 0xc000;
const NOT_PRESENT = 0xc000;
const READ_ONLY = 0xd000;
const GS_BASE = 0x8000;
const GS_LIMIT = 0x3fff;
export const CODE = 0x10000;
/** The 16-bit code segment: base CODE, limit 0xFFFF. */
const CODE16_SEL = 0x20;
/** A 16-bit data segment (limit 0xFFFF) loaded before dropping to real mode. */
const DATA16_SEL = 0x28;
/** Real mode's CS: base 0x10030, inside the code's first page and not page-aligned (its fetch base is negative). */
const REAL_CS = 0x1003;
/** Real-mode interrupt stubs (the IVT at 0 points there). */
const REAL_STUBS = 0x2800;
/** A pseudo-descriptor for LIDT: the IVT (base 0, limit 0x3FF). */
const REAL_IDTR = 0x7020;
const RAM = 2 << 20;
const ERROR_CODE_VECTORS = new Set([8, 10, 11, 12, 13, 14, 17]);

type Rng = () => number;
const int = (r: Rng, n: number): number => Math.floor(r() * n);
const pick = <T>(r: Rng, xs: readonly T[]): T => xs[int(r, xs.length)];
const le = (v: number, n: number): number[] => Array.from({ length: n }, (_, i) => (v >>> (8 * i)) & 0xff);

/** Registers a generated instruction may write at 16/32 bits: all but ESP. */
const GPR = [0, 1, 2, 3, 5, 6, 7];
/** Instructions that touch neither ECX nor ESP nor memory, for inner loops and subroutines (the same length in 16- and 32-bit code). */
const SIMPLE: readonly number[][] = [
  [0x01, 0xd8], // add eax, ebx
  [0x31, 0xf7], // xor edi, esi
  [0xd1, 0xe2], // shl edx, 1
  [0x0f, 0xaf, 0xc3], // imul eax, ebx
  [0x8d, 0x40, 0x05], // lea eax, [eax+5] (16-bit code: lea ax, [bx+si+5])
  [0x11, 0xee], // adc esi, ebp
  [0xf7, 0xda], // neg edx
  [0x0f, 0x45, 0xc7], // cmovnz eax, edi
];

/** The code being built. */
class Code {
  bytes: number[] = [];
  /** Emitting 16-bit code (the 16-bit segment, selector 0x20, or real mode): default operand and address size 16. */
  m16 = false;
  /** Real mode: CS is REAL_CS (base not page-aligned), a resume point is a segment:offset pair. */
  real = false;
  /** Linear base of the code segment the next byte runs in. */
  csBase = 0;
  /** Linear address of the next byte. */
  get here(): number {
    return CODE + this.bytes.length;
  }
  /** The next byte as an EIP value: its offset in the current code segment. */
  get off(): number {
    return this.here - this.csBase;
  }
  emit(...b: number[]): void {
    for (const x of b) this.bytes.push(x & 0xff);
  }
}

/** The operand-size prefix a 16- or 32-bit operation needs in the current code segment. */
const osz = (c: Code, size: number): number[] => (size !== 8 && (size === 16) !== c.m16 ? [0x66] : []);
/** mov r32, imm32 */
const movRegImm = (c: Code, reg: number, v: number): void => c.emit(...osz(c, 32), 0xb8 + reg, ...le(v, 4));
/** mov dword [abs], imm32: its bytes (16-bit code: disp16 below 64 KiB, else 0x67 and disp32). */
function movMemBytes(c: Code, addr: number, v: number): number[] {
  if (!c.m16) return [0xc7, 0x05, ...le(addr, 4), ...le(v, 4)];
  return addr < 0x10000 ? [0x66, 0xc7, 0x06, ...le(addr, 2), ...le(v, 4)] : [0x66, 0x67, 0xc7, 0x05, ...le(addr, 4), ...le(v, 4)];
}
const movMemImm = (c: Code, addr: number, v: number): void => c.emit(...movMemBytes(c, addr, v));
/** Before an instruction of `len` bytes that may fault: the handler resumes after it. */
const setResume = (c: Code, len: number): void => {
  const off = c.off + movMemBytes(c, RESUME, 0).length + len;
  movMemImm(c, RESUME, c.real ? ((REAL_CS << 16) | off) >>> 0 : off);
};

/** A memory operand: its ModRM/SIB/displacement bytes, the registers to load first, and whether it is 16-bit addressing. */
interface Mem {
  /** ModRM without the reg field, then SIB and displacement. */
  modrm: number;
  tail: number[];
  setup: [number, number][];
  a16: boolean;
}

/** An operand that lands at `ea` (in the segment used), with a random addressing form (mostly the code segment's default size). */
function memOperand(r: Rng, ea: number, avoid: number, m16: boolean): Mem {
  if (m16 ? int(r, 4) !== 0 : int(r, 5) === 0) return mem16(r, ea & 0xffff);
  const form = int(r, 4);
  if (form === 0) return { modrm: 0x05, tail: le(ea, 4), setup: [], a16: false }; // [disp32]
  const regs = GPR.filter((x) => x !== avoid);
  const base = pick(r, regs);
  const mod = pick(r, [0, 1, 2]);
  const disp = mod === 0 ? 0 : mod === 1 ? int(r, 256) - 128 : int(r, 0x2000) - 0x1000;
  const dispBytes = mod === 0 ? [] : mod === 1 ? le(disp, 1) : le(disp, 4);
  if (form === 1 && !(mod === 0 && base === 5)) {
    // [base + disp], no SIB (base 5 with mod 0 would be disp32).
    return { modrm: (mod << 6) | base, tail: dispBytes, setup: [[base, (ea - disp) >>> 0]], a16: false };
  }
  // SIB: base (not ESP; 5 with mod 0 means disp32, no base), index (4: none), scale.
  const scale = int(r, 4);
  const noBase = mod === 0 && int(r, 4) === 0;
  const b = base === 5 && mod === 0 ? 3 : base;
  const index = int(r, 5) === 0 ? 4 : pick(r, regs.filter((x) => x !== b));
  const iv = index === 4 ? 0 : int(r, 0x100);
  const setup: [number, number][] = [];
  if (index !== 4) setup.push([index, iv]);
  if (noBase) {
    const d = (ea - (iv << scale)) >>> 0;
    return { modrm: 0x04, tail: [(scale << 6) | (index << 3) | 5, ...le(d, 4)], setup, a16: false };
  }
  setup.push([b, (ea - disp - (iv << scale)) >>> 0]);
  return { modrm: (mod << 6) | 0x04, tail: [(scale << 6) | (index << 3) | b, ...dispBytes], setup, a16: false };
}

/** 16-bit addressing (0x67): [bx+si], [bx+di], [bp+si], [bp+di], [si], [di], [bp]/disp16, [bx], with disp8/16. */
function mem16(r: Rng, ea: number): Mem {
  const rm = int(r, 8);
  const mod = rm === 6 && int(r, 2) === 0 ? 0 : pick(r, [0, 1, 2]);
  if (rm === 6 && mod === 0) return { modrm: 0x06, tail: le(ea, 2), setup: [], a16: true };
  const disp = mod === 0 ? 0 : mod === 1 ? int(r, 256) - 128 : int(r, 0x10000);
  const dispBytes = mod === 0 ? [] : mod === 1 ? le(disp, 1) : le(disp, 2);
  // Registers of each form: BX=3, SI=6, DI=7, BP=5.
  const pairs: number[][] = [[3, 6], [3, 7], [5, 6], [5, 7], [6], [7], [5], [3]];
  const regs = pairs[rm];
  const setup: [number, number][] = [];
  let rest = (ea - disp) & 0xffff;
  if (regs.length === 2) {
    const second = int(r, 0x100);
    setup.push([regs[1], second | (int(r, 0x10000) << 16)]);
    rest = (rest - second) & 0xffff;
  }
  // High halves are ignored by 16-bit addressing: random there.
  setup.unshift([regs[0], rest | (int(r, 0x10000) << 16)]);
  return { modrm: (mod << 6) | rm, tail: dispBytes, setup, a16: true };
}

/** Where a memory access goes: mostly the data area (page-crossing now and then), sometimes a faulting page. */
function target(r: Rng, size: number, write: boolean): { ea: number; gs: boolean; faults: boolean } {
  const k = int(r, 40);
  if (k === 0) return { ea: NOT_PRESENT + int(r, 0x1000) - (int(r, 2) ? 0 : 2), gs: false, faults: true }; // #PF (not present; sometimes crossing into it)
  if (k === 1 && write) return { ea: READ_ONLY + int(r, 0x1000 - size), gs: false, faults: true }; // #PF (read-only)
  if (k === 2) return { ea: GS_LIMIT - int(r, size + 2) + 1, gs: true, faults: true }; // #GP or fine at the limit
  if (k === 3) return { ea: int(r, GS_LIMIT + 1 - size), gs: true, faults: false };
  if (k === 4) return { ea: DATA + 0x1000 * (1 + int(r, 3)) - 1 - int(r, size), gs: false, faults: false }; // page-crossing
  return { ea: DATA + int(r, DATA_END - DATA - 16), gs: false, faults: false };
}

/** Operand sizes: 8, 16 (0x66) or 32 bits. */
type Size = 8 | 16 | 32;

/** One random instruction (with its register set-up and fault resume point). */
function instruction(r: Rng, c: Code, smcTargets: number[] | null): void {
  const size: Size = pick(r, [8, 16, 32, 32] as const);
  const reg = size === 8 ? int(r, 8) : pick(r, GPR);
  const rmReg = size === 8 ? int(r, 8) : pick(r, GPR);
  const useMem = int(r, 2) === 0;
  const kind = int(r, 34);

  /** Emit [prefixes] opcode modrm... with a register or memory r/m; `write`: the r/m is written. */
  const withRm = (opcode: number[], regField: number, imm: number[], write: boolean, allowLock = false, forceMem = false): void => {
    const pre: number[] = osz(c, size);
    if (!useMem && !forceMem) {
      c.emit(...pre, ...opcode, 0xc0 | (regField << 3) | rmReg, ...imm);
      return;
    }
    const t = target(r, size / 8, write);
    const m = memOperand(r, t.ea, size === 8 ? -1 : regField, c.m16);
    if (t.gs && m.a16 && t.ea > 0xffff) return;
    for (const [rr, v] of m.setup) movRegImm(c, rr, v);
    if (m.a16 !== c.m16) pre.push(0x67);
    if (t.gs) pre.push(0x65);
    else if (int(r, 8) === 0) pre.push(pick(r, [0x3e, 0x26, 0x64, 0x36]));
    if (allowLock && write && int(r, 6) === 0) pre.unshift(0xf0);
    // The fault handler resumes after the instruction.
    const body = [...pre, ...opcode, m.modrm | (regField << 3), ...m.tail, ...imm];
    setResume(c, body.length);
    c.emit(...body);
  };
  const immOf = (s: Size): number[] => le(Math.floor(r() * 2 ** 32), s / 8);
  const w = size === 8 ? 0 : 1;

  // Register set-up so values vary: sometimes a random constant in a register.
  if (int(r, 4) === 0) movRegImm(c, pick(r, GPR), Math.floor(r() * 2 ** 32));

  switch (kind) {
    case 0: case 1: case 2: case 3: { // ALU r/m,reg / reg,r/m
      const op = int(r, 8);
      const dir = int(r, 2);
      withRm([(op << 3) | (dir << 1) | w], reg, [], dir === 0 && op !== 7, true);
      break;
    }
    case 4: case 5: { // group 1 with an immediate
      const op = int(r, 8);
      const short = size !== 8 && int(r, 2) === 0;
      withRm([size === 8 ? 0x80 : short ? 0x83 : 0x81], op, immOf(size === 8 || short ? 8 : size), op !== 7, true);
      break;
    }
    case 6: { // accumulator with an immediate
      const op = int(r, 8);
      c.emit(...osz(c, size), (op << 3) | 4 | w, ...immOf(size));
      break;
    }
    case 7: { // shifts and rotates: by 1, by imm8, by CL
      const op = pick(r, [0, 1, 2, 3, 4, 5, 7]);
      const form = int(r, 3);
      if (form === 2 && int(r, 2) === 0) movRegImm(c, 1, int(r, 40));
      withRm([form === 0 ? 0xd0 | w : form === 1 ? 0xc0 | w : 0xd2 | w], op, form === 1 ? [int(r, 40)] : [], true);
      break;
    }
    case 8: { // group 3: test, not, neg, mul, imul, div, idiv (div and idiv fault: #DE)
      const op = pick(r, [0, 2, 3, 4, 5, 6, 7]);
      if (op >= 6) {
        // Usually a divisor that does not overflow.
        if (int(r, 3) !== 0) movRegImm(c, 2, 0);
        const body = [...osz(c, size), 0xf6 | w, 0xc0 | (op << 3) | rmReg];
        setResume(c, body.length);
        c.emit(...body);
        break;
      }
      withRm([0xf6 | w], op, op === 0 ? immOf(size) : [], op === 2 || op === 3);
      break;
    }
    case 9: // inc/dec r/m (with LOCK on memory now and then)
      withRm([0xfe | w], int(r, 2), [], true, true);
      break;
    case 10: // mov forms
      withRm([0x88 | (int(r, 2) << 1) | w], reg, [], true);
      break;
    case 11: // mov r/m, imm
      withRm([0xc6 | w], 0, immOf(size), true);
      break;
    case 12: // test / xchg
      withRm([int(r, 2) ? 0x84 | w : 0x86 | w], reg, [], true, true);
      break;
    case 13: { // two-byte ALU-ish: imul r,r/m; bsf/bsr; movzx/movsx; cmovcc; xadd; cmpxchg
      if (size === 8) break;
      const op = pick(r, [0xaf, 0xbc, 0xbd, 0xb6, 0xb7, 0xbe, 0xbf, 0x40 + int(r, 16), 0xc1, 0xb1]);
      withRm([0x0f, op], reg, [], op === 0xc1 || op === 0xb1, op === 0xc1 || op === 0xb1);
      break;
    }
    case 14: // setcc r/m8
      withRm([0x0f, 0x90 + int(r, 16)], 0, [], true);
      break;
    case 15: { // imul r, r/m, imm
      if (size === 8) break;
      const short = int(r, 2) === 0;
      withRm([short ? 0x6b : 0x69], reg, immOf(short ? 8 : size), false);
      break;
    }
    case 16: { // bt/bts/btr/btc with an immediate; register bit offsets on registers only
      if (size === 8) break;
      if (int(r, 2)) withRm([0x0f, 0xba], 4 + int(r, 4), [int(r, 256)], true, true);
      else c.emit(...osz(c, size), 0x0f, pick(r, [0xa3, 0xab, 0xb3, 0xbb]), 0xc0 | (reg << 3) | rmReg);
      break;
    }
    case 17: { // shld/shrd by imm8 or CL
      if (size === 8) break;
      const cl = int(r, 2);
      withRm([0x0f, (int(r, 2) ? 0xa4 : 0xac) | cl], reg, cl ? [] : [int(r, 40)], true);
      break;
    }
    case 18: // lea
      if (size !== 8) withRm([0x8d], reg, [], false, false, true);
      break;
    case 19: // flags: clc stc cmc cld std lahf sahf cbw/cwde cwd/cdq, pushf + pop
      if (int(r, 3) === 0) c.emit(0x9c, 0x58 + pick(r, GPR)); // pushfd; pop r
      else c.emit(...(int(r, 3) === 0 ? [0x66] : []), pick(r, [0xf8, 0xf9, 0xf5, 0xfc, 0xfd, 0x9f, 0x9e, 0x98, 0x99]));
      break;
    case 20: { // push/pop pairs (reg, imm, memory)
      const a = pick(r, GPR);
      const form = int(r, 3);
      if (form === 0) c.emit(0x50 + a);
      else if (form === 1) c.emit(0x68, ...immOf(c.m16 ? 16 : 32));
      else c.emit(0x6a, int(r, 256));
      c.emit(0x58 + pick(r, GPR));
      break;
    }
    case 21: { // string instructions with a small count, maybe REP
      const op = pick(r, [0xa4, 0xa5, 0xaa, 0xab, 0xac, 0xad, 0xa6, 0xa7, 0xae, 0xaf]);
      movRegImm(c, 6, DATA + 0x800 + int(r, 0x2000));
      movRegImm(c, 7, DATA + 0x2800 + int(r, 0x1000));
      movRegImm(c, 1, int(r, 9));
      const rep = int(r, 3) === 0 ? [] : [op === 0xa6 || op === 0xa7 || op === 0xae || op === 0xaf ? pick(r, [0xf3, 0xf2]) : 0xf3];
      c.emit(...rep, ...(int(r, 4) === 0 ? [0x66] : []), op);
      break;
    }
    case 22: { // a short forward branch over the next instruction(s): a side exit
      const cc = int(r, 16);
      const start = c.bytes.length;
      c.emit(0x70 + cc, 0);
      instruction(r, c, smcTargets);
      const len = c.bytes.length - start - 2;
      if (len > 127) {
        c.bytes.length = start;
        break;
      }
      c.bytes[start + 1] = len;
      break;
    }
    case 23: { // self-modifying code: a store into an earlier instruction's immediate, or the next one's (same block)
      if (smcTargets === null) break;
      if (smcTargets.length > 0 && int(r, 2)) movMemImm(c, pick(r, smcTargets), Math.floor(r() * 2 ** 32));
      // The store, then the mov's prefix and opcode: its immediate.
      else movMemImm(c, c.here + movMemBytes(c, c.here, 0).length + (c.m16 ? 2 : 1), Math.floor(r() * 2 ** 32));
      movRegImm(c, pick(r, GPR), Math.floor(r() * 2 ** 32));
      smcTargets.push(c.here - 4);
      break;
    }
    case 24: // faults: ud2, int3, LOCK on a register operand (#UD), an undefined group encoding (#UD), a store to the read-only page
      {
        const f = int(r, 5);
        const ro = READ_ONLY + int(r, 4096);
        const store = c.m16 ? [0xc6, 0x06, ...le(ro, 2), int(r, 256)] : [0xc6, 0x05, ...le(ro, 4), int(r, 256)];
        // Group encodings with an undefined ModRM reg field: C6/C7 /1-/7, 8F /1-/7, FE /2-/7, FF /7 (register forms).
        const bad = [...pick(r, [[0xc6, 1 + int(r, 7)], [0xc7, 1 + int(r, 7)], [0x8f, 1 + int(r, 7)], [0xfe, 2 + int(r, 6)], [0xff, 7]])];
        const undef = [bad[0], 0xc0 | (bad[1] << 3) | pick(r, GPR), ...(bad[0] === 0xc6 ? [int(r, 256)] : bad[0] === 0xc7 ? le(int(r, 65536), c.m16 ? 2 : 4) : [])];
        const body = f === 0 ? [0x0f, 0x0b] : f === 1 ? [0xcc] : f === 2 ? [0xf0, 0x01, 0xc0 | (pick(r, GPR) << 3) | pick(r, GPR)] : f === 3 ? undef : store;
        setResume(c, body.length);
        c.emit(...body);
      }
      break;
    case 25: // bswap, nop, xchg eax
      c.emit(...pick(r, [[0x0f, 0xc8 + pick(r, GPR)], [0x90], [0x90 + pick(r, [1, 2, 3, 5, 6, 7])]]));
      break;
    case 26: { // CALL to a subroutine right after a short JMP over it, which RETs (taken inside a block)
      const body = pick(r, SIMPLE);
      // call sub (rel32, rel16 in 16-bit code); jmp short over; sub: body; ret; over:
      c.emit(0xe8, ...le(2, c.m16 ? 2 : 4));
      c.emit(0xeb, body.length + 1, ...body, 0xc3);
      break;
    }
    case 27: { // an inner LOOP (ECX, or CX in 16-bit code) of 1 to 5 rounds around a simple instruction
      movRegImm(c, 1, 1 + int(r, 5));
      const body = pick(r, SIMPLE);
      c.emit(...body, 0xe2, (-(body.length + 2)) & 0xff);
      break;
    }
    case 28: // ENTER n, 0 ... LEAVE, or PUSH r/m (memory) then POP r
      if (int(r, 2)) {
        // 16-bit ENTER sets BP only and LEAVE (32-bit stack) loads ESP from all of EBP: clear its top half first.
        if (c.m16) movRegImm(c, 5, 0);
        c.emit(0xc8, 4 * int(r, 8), 0, 0, ...pick(r, SIMPLE), 0xc9);
      }
      else if (size !== 8) {
        const before = c.bytes.length;
        withRm([0xff], 6, [], false, false, true);
        if (c.bytes.length !== before) c.emit(...osz(c, size), 0x58 + pick(r, GPR));
      }
      break;
    case 29: // XLAT from the data area, or JECXZ/JCXZ over a simple instruction
      if (int(r, 2)) {
        movRegImm(c, 3, DATA + int(r, 0x3f00));
        c.emit(0xd7);
      } else {
        if (int(r, 2)) movRegImm(c, 1, int(r, 2));
        const body = pick(r, SIMPLE);
        c.emit(0xe3, body.length, ...body);
      }
      break;
    default: // more plain ALU traffic
      withRm([(int(r, 8) << 3) | w], reg, [], true, true);
  }
}

export interface GenCase {
  plan: LoadPlan;
  /** Where the body runs: 32-bit protected mode, the 16-bit code segment, or real mode. */
  mode: CodeMode;
  /** With interrupts: the PIT channel 0 count (IRQ 0 about every count/1.19 instructions at 1 MHz, virtual clock); 0: IF stays 0. */
  pitCount: number;
  /** The code bytes (from CODE), for reports. */
  code: Uint8Array;
  iterations: number;
}

/** A guest with `n` random instructions run `iterations` times. */
/** A case whose loop body is `body` (hand-written instruction bytes), run `iterations` times: for regression tests. A fault in the body resumes after it. */
export function caseOf(body: number[], iterations = 8, pitCount = 0, m16: boolean | CodeMode = false): GenCase {
  const c = new Code();
  const mode: CodeMode = m16 === true ? 'pm16' : m16 === false ? 'pm32' : m16;
  prologue(c, iterations, () => 0x12345678, pitCount !== 0, mode);
  const loop = c.here;
  // A fault anywhere in the body resumes at its end.
  setResume(c, body.length);
  c.emit(...body);
  epilogue(c, loop);
  return { plan: planFor(Uint8Array.from(c.bytes), pitCount !== 0), code: Uint8Array.from(c.bytes), iterations, pitCount, mode };
}

export type CodeMode = 'pm32' | 'pm16' | 'real';

function prologue(c: Code, iterations: number, value: () => number, irqs: boolean, mode: CodeMode): void {
  const m16 = mode !== 'pm32';
  // Paging on (CR3, CR0.PG|WP) but for real mode, GS to its small segment, the iteration count.
  if (mode !== 'real') {
    movRegImm(c, 0, PD);
    c.emit(0x0f, 0x22, 0xd8); // mov cr3, eax
    c.emit(0x0f, 0x20, 0xc0); // mov eax, cr0
    c.emit(0x0d, ...le(0x80010000, 4)); // or eax, PG|WP
    c.emit(0x0f, 0x22, 0xc0); // mov cr0, eax
  }
  c.emit(0x66, 0xb8, 0x18, 0x00, 0x8e, 0xe8); // mov ax, 0x18; mov gs, ax
  movMemImm(c, ITER, iterations);
  for (const g of GPR) movRegImm(c, g, value());
  movMemImm(c, RESUME + 4, m16 ? CODE16_SEL : 0x08);
  if (irqs && mode !== 'real') c.emit(0xfb); // sti
  if (m16) {
    // jmp far 0x20:next, into the 16-bit code segment (base CODE).
    c.emit(0xea, ...le(c.bytes.length + 7, 4), ...le(CODE16_SEL, 2));
    c.m16 = true;
    c.csBase = CODE;
  }
  if (mode === 'real') {
    // 16-bit data segments (limit 0xFFFF) but GS, PE off, a far jump to REAL_CS, then real-mode segments 0.
    c.emit(0xb8, ...le(DATA16_SEL, 2), 0x8e, 0xd8, 0x8e, 0xc0, 0x8e, 0xd0, 0x8e, 0xe0);
    c.emit(0x0f, 0x01, 0x1e, ...le(REAL_IDTR, 2)); // lidt [REAL_IDTR]: real mode's interrupts go through IDTR too (the IVT at 0)
    c.emit(0x0f, 0x20, 0xc0, 0x66, 0x25, ...le(0xfffffffe, 4), 0x0f, 0x22, 0xc0); // mov eax, cr0; and eax, ~PE; mov cr0, eax
    c.emit(0xea, ...le(c.here + 5 - REAL_CS * 16, 2), ...le(REAL_CS, 2));
    c.real = true;
    c.csBase = REAL_CS * 16;
    c.emit(0x31, 0xc0, 0x8e, 0xd8, 0x8e, 0xc0, 0x8e, 0xd0, 0x8e, 0xe0); // xor ax, ax; ds = es = ss = fs = 0
    if (irqs) c.emit(0xfb);
  }
}

function epilogue(c: Code, loop: number): void {
  // dec dword [ITER]; jnz loop (rel32, or rel16 in 16-bit code)
  if (c.m16) {
    c.emit(0x66, 0xff, 0x0e, ...le(ITER, 2));
    c.emit(0x0f, 0x85, ...le(loop - (c.here + 4), 2));
  } else {
    c.emit(0xff, 0x0d, ...le(ITER, 4));
    c.emit(0x0f, 0x85, ...le(loop - (c.here + 6), 4));
  }
  // out 0xF4, al: isa-debug-exit
  c.emit(0xb0, 0x00, 0xe6, 0xf4);
}

export function generateCase(r: Rng, n = 20 + int(r, 40), iterations = 4 + int(r, 12)): GenCase {
  const c = new Code();
  // Timer interrupts in half the cases, every 35 to 300 instructions or so.
  const pitCount = int(r, 2) ? 40 + int(r, 300) : 0;
  // The body in 32-bit protected mode in half the cases, a 16-bit code segment or real mode in a quarter each.
  const mode: CodeMode = int(r, 2) ? 'pm32' : int(r, 2) ? 'pm16' : 'real';
  prologue(c, iterations, () => Math.floor(r() * 2 ** 32), pitCount !== 0, mode);
  const loop = c.here;
  // Self-modifying code in a quarter of the cases: a store into the code page drops its compiled code (every iteration).
  // (Not in real mode: the code lies above DS's 64 KiB.)
  const smcTargets: number[] | null = int(r, 4) === 0 && mode !== 'real' ? [] : null;
  for (let i = 0; i < n; i++) instruction(r, c, smcTargets);
  epilogue(c, loop);
  return { plan: planFor(Uint8Array.from(c.bytes), pitCount !== 0), code: Uint8Array.from(c.bytes), iterations, pitCount, mode };
}

function planFor(code: Uint8Array, irqs: boolean): LoadPlan {
  const low = new Uint8Array(0x8000);
  const dv = new DataView(low.buffer);
  // GDT
  const desc = (i: number, base: number, limit: number, access: number, flags: number): void => {
    const o = GDT + i * 8;
    dv.setUint16(o, limit & 0xffff, true);
    dv.setUint16(o + 2, base & 0xffff, true);
    low[o + 4] = (base >>> 16) & 0xff;
    low[o + 5] = access;
    low[o + 6] = ((limit >>> 16) & 0x0f) | flags;
    low[o + 7] = base >>> 24;
  };
  desc(1, 0, 0xfffff, 0x9b, 0xc0);
  desc(2, 0, 0xfffff, 0x93, 0xc0);
  desc(3, GS_BASE, GS_LIMIT, 0x93, 0x40);
  desc(4, CODE, 0xffff, 0x9b, 0x00);
  desc(5, 0, 0xffff, 0x93, 0x00);
  // IDT and stubs
  for (let v = 0; v < VECTORS; v++) {
    const stub = STUBS + v * 32;
    const o = IDT + v * 8;
    dv.setUint16(o, stub & 0xffff, true);
    dv.setUint16(o + 2, 0x08, true);
    low[o + 5] = 0x8e;
    dv.setUint16(o + 6, stub >>> 16, true);
    const s: number[] = [];
    if (v === IRQ0_VECTOR) {
      // push eax; mov al, 0x20; out 0x20, al (EOI); pop eax; inc dword [IRQS]; iret (restores the flags inc changed)
      s.push(0x50, 0xb0, 0x20, 0xe6, 0x20, 0x58, 0xff, 0x05, ...le(IRQS, 4), 0xcf);
    } else {
      if (ERROR_CODE_VECTORS.has(v)) s.push(0x8d, 0x64, 0x24, 0x04); // lea esp,[esp+4]
      s.push(0x8d, 0x64, 0x24, 0x0c); // lea esp,[esp+12]
      s.push(0xc7, 0x05, ...le(LASTVEC, 4), ...le(v, 4)); // mov dword [LASTVEC], v
      // The gate cleared IF and the frame is dropped: set it again (interrupts were on).
      if (irqs) s.push(0xfb); // sti
      s.push(0xff, 0x2d, ...le(RESUME, 4)); // jmp far [RESUME]
    }
    low.set(s, stub);
    // Real mode: the IVT entry and a 16-bit stub (no error codes; the frame is IP, CS, FLAGS).
    const rstub = REAL_STUBS + v * 32;
    dv.setUint16(v * 4, rstub, true);
    dv.setUint16(v * 4 + 2, 0, true);
    const t: number[] = v === IRQ0_VECTOR
      ? [0x50, 0xb0, 0x20, 0xe6, 0x20, 0x58, 0x66, 0xff, 0x06, ...le(IRQS, 2), 0xcf] // push ax; EOI; pop ax; inc dword [IRQS]; iret
      : [0x67, 0x8d, 0x64, 0x24, 0x06, 0xc7, 0x06, ...le(LASTVEC, 2), ...le(v, 2), ...(irqs ? [0xfb] : []), 0xff, 0x2e, ...le(RESUME, 2)];
    low.set(t, rstub);
  }
  dv.setUint16(REAL_IDTR, 0x3ff, true);
  // Paging: identity map of 4 MiB, one page not present, one read-only.
  dv.setUint32(PD, PT | 0x3, true);
  for (let p = 0; p < 1024; p++) {
    const a = p << 12;
    const flags = a === NOT_PRESENT ? 0 : a === READ_ONLY ? 0x1 : 0x3;
    dv.setUint32(PT + p * 4, a | flags, true);
  }
  // Data: a recognisable pattern.
  const data = new Uint8Array(0x6000);
  for (let i = 0; i < data.length; i++) data[i] = (i * 167 + 13) & 0xff;
  return {
    kind: 'multiboot',
    segments: [{ addr: 0, data: low }, { addr: DATA, data }, { addr: CODE, data: code }],
    entry: {
      mode: 'flat32', eip: CODE, eax: 0, ebx: 0, esp: STACK_TOP, eflags: 0x2, cr0: 0x11, cs: 0x08, ds: 0x10,
      gdtr: { base: GDT, limit: 6 * 8 - 1 }, idtr: { base: IDT, limit: VECTORS * 8 - 1 },
    },
    warnings: [],
  };
}

/** Changes the compiled side's machine after loading (a planted difference, to test the comparison itself). */
export type Tamper = (m: Machine) => void;

function boot(g: GenCase, compiled: boolean, threshold: number, tamper?: Tamper): Machine {
  // Nothing from the host: virtual clock (RDTSC too), seeded RDRAND, a fixed RTC (code gone astray can reach any of them).
  const m = new Machine({ ramBytes: RAM, input: new HostInputSource(1, { seed: 1, rtcBase: 946_684_800_000 }), clock: 'virtual', mhz: 1, serial: () => {} });
  setEngine(m.cpu, compiled ? 'compiled' : 'interp', threshold);
  m.load(g.plan);
  // The PIC's master at vector 0x20 with only IRQ 0 unmasked, and the PIT's period (the firmware state's is 55 ms).
  const b = m.bus;
  b.out8(0x20, 0x11); b.out8(0x21, IRQ0_VECTOR); b.out8(0x21, 0x04); b.out8(0x21, 0x01); b.out8(0x21, 0xfe);
  b.out8(0xa1, 0xff);
  if (g.pitCount !== 0) {
    b.out8(0x43, 0x34); b.out8(0x40, g.pitCount & 0xff); b.out8(0x40, g.pitCount >> 8);
  }
  if (compiled) tamper?.(m);
  return m;
}

/** A run to `icount`, or what it threw (an engine's internal error is a difference too). */
function runTo(m: Machine, icount: number): StopInfo | string {
  try {
    return m.run(icount);
  } catch (e) {
    return `threw ${e instanceof Error ? `${e.name}: ${e.message}` : String(e)}`;
  }
}

/** What is compared after each chunk. */
function snapshot(m: Machine, stop: StopInfo | string | null): string {
  if (typeof stop === 'string') return stop;
  const c = m.cpu;
  const ram = m.mem.ram;
  return JSON.stringify({
    // EIP as stored, not >>> 0: an EIP of 2^32 + x (not normalised) is a difference too.
    regs: [...c.regs], eip: c.eip, eflags: c.getEflags() >>> 0, icount: c.icount, sreg: [...c.sreg], cr2: c.cr2 >>> 0,
    lastVec: ram[LASTVEC] | (ram[LASTVEC + 1] << 8), irqs: ram[IRQS] | (ram[IRQS + 1] << 8), halted: c.halted, shutdown: c.shutdown,
    stop: stop ? { reason: stop.reason, icount: stop.icount, eip: stop.eip, faults: stop.faults ?? null } : null,
  });
}

/** The guest's RAM that can change: low tables, stack, variables, data, code. */
function ramDiffers(a: Machine, b: Machine): string | null {
  const ra = a.mem.ram, rb = b.mem.ram;
  for (const [lo, hi] of [[0, 0x10000], [CODE, CODE + 0x10000]]) {
    const x = Buffer.from(ra.buffer, ra.byteOffset + lo, hi - lo);
    const y = Buffer.from(rb.buffer, rb.byteOffset + lo, hi - lo);
    if (!x.equals(y)) {
      for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) return `RAM differs first at 0x${(lo + i).toString(16)}: interpreter 0x${y[i].toString(16)}, compiled 0x${x[i].toString(16)}`;
    }
  }
  return null;
}

export interface EngineDiff {
  /** First instruction count at which the engines' states differ. */
  icount: number;
  /** The instruction the interpreter runs from icount-1 to icount (its address and bytes, disassembled). */
  insn: string;
  interp: string;
  compiled: string;
}

/** Both engines to `icount` from power-on, in one go; null when equal there, else the two states (compiled, interpreter). */
export function compareAt(g: GenCase, threshold: number, icount: number, tamper?: Tamper): { a: string; b: string } | null {
  const a = boot(g, true, threshold, tamper), b = boot(g, false, threshold);
  const sa = runTo(a, icount), sb = runTo(b, icount);
  const xa = snapshot(a, sa), xb = snapshot(b, sb);
  const rd = ramDiffers(a, b);
  if (xa === xb && rd === null) return null;
  return { a: xa + (rd ? ` ${rd}` : ''), b: xb };
}

const MAX_INSNS = 200_000;

/**
 * Run a case on both engines in lockstep (chunks of random length) and compare
 * after each chunk; on a difference, find the first differing icount by
 * bisection over fresh runs and name the instruction there.
 */
export function diffCase(g: GenCase, r: Rng, threshold = 1 + int(r, 2), stats?: FuzzStats, tamper?: Tamper): EngineDiff | null {
  const a = boot(g, true, threshold, tamper), b = boot(g, false, threshold);
  let target = 0;
  let lo = 0;
  const count = (): void => {
    if (!stats) return;
    stats.cases++;
    stats.insns += a.cpu.icount;
    stats.compiledInsns += a.cpu.jitStats.compiledInsns;
    stats.invalidations += a.cpu.jitStats.invalidations;
    const ram = a.mem.ram;
    stats.irqs += ram[IRQS] | (ram[IRQS + 1] << 8) | (ram[IRQS + 2] << 16);
    if (a.cpu.icount >= MAX_INSNS) stats.capped++;
  };
  for (;;) {
    target += 1 + (int(r, 4) === 0 ? int(r, 2000) : int(r, 60));
    if (target > MAX_INSNS) {
      count();
      return null;
    }
    const sa = runTo(a, target), sb = runTo(b, target);
    if (typeof sa === 'string' || typeof sb === 'string' || snapshot(a, sa) !== snapshot(b, sb) || ramDiffers(a, b) !== null) break;
    lo = a.cpu.icount;
    if (sa.reason !== 'limit' && sb.reason !== 'limit') {
      count();
      return null;
    }
  }
  count();
  // Bisection: states equal at lo, different at target.
  let hi = target;
  while (hi - lo > 1) {
    const mid = Math.floor((lo + hi) / 2);
    if (compareAt(g, threshold, mid, tamper) === null) lo = mid;
    else hi = mid;
  }
  const d = compareAt(g, threshold, hi, tamper)!;
  const m = boot(g, false, threshold);
  m.run(lo);
  // The bytes as they are then (self-modifying code may have changed them).
  const eip = m.cpu.eip >>> 0;
  const ram = m.mem.ram;
  // CS (index 1): its base, and 16-bit code when the D bit (0x4000 of the attributes) is clear.
  const csBase = m.cpu.segBase[1];
  const in16 = (m.cpu.segAttr[1] & 0x4000) === 0;
  const one = (off: number): { text: string; len: number } => {
    const at = (csBase + off) >>> 0;
    const dis = disassemble(ram, at, off, !in16);
    const bytes = [...ram.subarray(at, at + dis.len)].map((x) => x.toString(16).padStart(2, '0')).join(' ');
    return { text: `${m.cpu.sreg[1].toString(16)}:0x${off.toString(16)}: ${bytes}  ${dis.text}`, len: dis.len };
  };
  let insn = `EIP ${one(eip).text}`;
  // The compiled side threw on entering a block: the culprit is somewhere in it, so list what follows.
  if (d.a.startsWith('threw')) {
    const next: string[] = [];
    for (let at = eip, k = 0; k < 12; k++) {
      const x = one(at);
      next.push(x.text);
      at += x.len;
    }
    insn += ` (the block entered there: ${next.join('; ')})`;
  }
  return { icount: hi, insn, interp: d.b, compiled: d.a };
}

/** What a fuzz run covered: cases, instructions (compiled side), of them retired in compiled code, code pages invalidated, cases cut at the cap. */
export interface FuzzStats {
  cases: number;
  insns: number;
  compiledInsns: number;
  invalidations: number;
  /** Timer interrupts taken (compiled side). */
  irqs: number;
  capped: number;
}

export interface FuzzFinding {
  seed: number;
  index: number;
  diff: EngineDiff;
}

/** The rng of case `index` of a run with `seed` (so one case can be rerun alone). */
export const caseSeed = (seed: number, index: number): number => (seed * 1_000_003 + index) >>> 0;

/** `cases` seeded cases; the differences found (empty: the engines agreed on every one). */
export function engineFuzz(cases: number, seed: number, rngOf: (seed: number) => Rng, onCase?: (i: number) => void, first = 0): { found: FuzzFinding[]; stats: FuzzStats } {
  const found: FuzzFinding[] = [];
  const stats: FuzzStats = { cases: 0, insns: 0, compiledInsns: 0, invalidations: 0, irqs: 0, capped: 0 };
  for (let i = first; i < first + cases; i++) {
    const r = rngOf(caseSeed(seed, i));
    const g = generateCase(r);
    const d = diffCase(g, r, undefined, stats);
    if (d) found.push({ seed, index: i, diff: d });
    onCase?.(i);
  }
  return { found, stats };
}

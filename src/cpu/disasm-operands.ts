// Operand text in objdump's Intel syntax for the SDM appendix-A operand codes
// of the shared opcode table ('Ev', 'Gb', 'Iz', 'Jb', 'eAX', ...).

import type { DisasmState } from './disasm-reader.js';

const R8 = ['al', 'cl', 'dl', 'bl', 'ah', 'ch', 'dh', 'bh'];
const R16 = ['ax', 'cx', 'dx', 'bx', 'sp', 'bp', 'si', 'di'];
const R32 = ['eax', 'ecx', 'edx', 'ebx', 'esp', 'ebp', 'esi', 'edi'];
// objdump prints '?' for the two selector encodings that name no segment register.
export const SREG = ['es', 'cs', 'ss', 'ds', 'fs', 'gs', '?', '?'];
const RM16 = ['bx+si', 'bx+di', 'bp+si', 'bp+di', 'si', 'di', 'bp', 'bx'];

export const hex = (n: number): string => '0x' + (n >>> 0).toString(16);

export function reg8(n: number): string {
  return R8[n];
}
export function reg16(n: number): string {
  return R16[n];
}
export function reg32(n: number): string {
  return R32[n];
}

/** A register of the current operand size (marks the data prefix used). */
export function regV(st: DisasmState, n: number): string {
  st.usedData = true;
  return st.o32 ? R32[n] : R16[n];
}

/** Size keyword for a memory operand of size letter `sz`, or '' for none. */
export function sizeKeyword(st: DisasmState, sz: string): string {
  switch (sz) {
    case 'b': return 'BYTE PTR ';
    case 'w': return 'WORD PTR ';
    case 'd': return 'DWORD PTR ';
    case 'q': return 'QWORD PTR ';
    case 't': return 'TBYTE PTR ';
    case 'x': return 'XMMWORD PTR ';
    case 'v': st.usedData = true; return st.o32 ? 'DWORD PTR ' : 'WORD PTR ';
    case 'p': st.usedData = true; return st.o32 ? 'FWORD PTR ' : 'DWORD PTR ';
    case 'a': st.usedData = true; return st.o32 ? 'QWORD PTR ' : 'DWORD PTR ';
    default: return '';
  }
}

/** Text of a segment override on a memory operand ('fs:'), consuming it. */
function segText(st: DisasmState): string {
  if (st.seg < 0) return '';
  st.usedSeg = true;
  return SREG[st.seg] + ':';
}

/** '+0x10' / '-0x10' after a base or index, as objdump writes displacements. */
function signedDisp(d: number): string {
  if (d >= 0) return '+' + hex(d);
  return '-' + hex(-d); // -0x80000000 stays spelled as such
}

/** The memory operand of the ModRM byte already read (address only, no size). */
export function memAddress(st: DisasmState): string {
  return st.a32 ? mem32(st) : mem16(st);
}

function mem16(st: DisasmState): string {
  st.usedAddr = true;
  let disp = 0;
  if (st.mod === 0 && st.rm === 6) {
    disp = st.u16();
    return (st.seg < 0 ? 'ds:' : segText(st)) + hex(disp);
  }
  if (st.mod === 1) disp = st.s8();
  else if (st.mod === 2) disp = st.s16();
  const seg = segText(st);
  const tail = disp !== 0 || st.mod !== 0 ? signedDisp(disp) : '';
  return `${seg}[${RM16[st.rm]}${tail}]`;
}

function mem32(st: DisasmState): string {
  let base = st.rm;
  let index = 4;
  let scale = 0;
  let haveSib = false;
  let haveBase = true;
  if (base === 4) {
    haveSib = true;
    const sib = st.u8();
    scale = sib >> 6;
    index = (sib >> 3) & 7;
    base = sib & 7;
  }
  let disp = 0;
  if (st.mod === 0) {
    if (base === 5) {
      haveBase = false;
      disp = st.s32();
    }
  } else if (st.mod === 1) disp = st.s8();
  else disp = st.s32();
  const haveIndex = haveSib && index !== 4;
  // objdump writes eiz to tell [eiz*1+disp] (a SIB byte) from a plain [disp].
  const needIndex = haveSib && !haveBase && !haveIndex;
  const haveDisp = haveBase || needIndex || (haveSib && (haveIndex || scale !== 0));
  if (haveBase || haveIndex || needIndex) st.usedAddr = true;
  const seg = segText(st);
  if (!haveDisp) return (seg || 'ds:') + hex(disp);
  let s = haveBase ? R32[base] : '';
  if (haveSib && (scale !== 0 || needIndex || haveIndex || (haveBase && base !== 4))) {
    if (haveBase) s += '+';
    s += (haveIndex ? R32[index] : 'eiz') + '*' + (1 << scale);
  }
  if (disp !== 0 || st.mod !== 0 || base === 5) s += signedDisp(disp);
  return `${seg}[${s}]`;
}

/** Register operand from ModRM.rm for an E operand of size letter `sz`. */
export function regOperand(st: DisasmState, sz: string, n: number): string {
  switch (sz) {
    case 'b': return R8[n];
    case 'w': return R16[n];
    case 'd': return R32[n];
    default: return regV(st, n);
  }
}

/** Branch target of a relative displacement read now (the J operand is always last). */
export function branchTarget(st: DisasmState, wide: boolean): string {
  if (!wide) {
    const d = st.s8();
    return hex(st.addr + st.len + d);
  }
  st.usedData = true;
  if (st.o32) {
    const d = st.s32();
    return hex(st.addr + st.len + d);
  }
  // A 16-bit displacement wraps within the 64 KiB segment; with a data16
  // prefix objdump also drops the segment part of the address.
  const d = st.s16();
  const next = st.addr + st.len;
  const segment = st.dataPrefix ? 0 : next & ~0xffff;
  return hex(((next + d) & 0xffff) | segment);
}

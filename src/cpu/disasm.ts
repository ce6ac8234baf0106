// Disassembler in Intel syntax, spelled as `objdump -Mintel` spells it so
// listings can be checked against binutils. Mnemonics and operand layouts
// come from the decoder's own opcode rows (op-rows.ts); this file only
// adds the printing rules: which prefixes count as used, size keywords,
// objdump's names for the invalid and the size-dependent forms.

import { DisasmState, TRUNCATED } from './disasm-reader.js';
import { branchTarget, hex, memAddress, reg32, reg8, regOperand, regV, sizeKeyword, SREG } from './disasm-operands.js';
import { finish, prefixName, renameHintPrefixes, SEG_PREFIX } from './disasm-prefixes.js';
import { spellMnemonic, stringForm, xlatOperand } from './disasm-spell.js';
import { group15Text, hintText } from './disasm-hints.js';
import { sseText } from './disasm-sse.js';
import { x87Text } from './disasm-x87.js';
import type { OpEntry } from './opcode-table.js';
import { opRow } from './op-rows.js';

export interface Disassembly {
  /** Bytes the instruction occupies (as objdump counts them for invalid ones). */
  len: number;
  /** Intel syntax, e.g. 'add    eax,DWORD PTR [ebx+0x10]'. */
  text: string;
}

const FWAIT = 0x9b;
// Sign-extended imm8 forms: objdump prints the value at the operand size.
const SIGNED_IB = new Set([0x83, 0x6a, 0x6b]);
// Ew operands that are register-sized (and take the data prefix) in the register form.
const EW_AS_EV = new Set([0x8c, 0x8e, 0x102, 0x103]);

/** Disassemble one instruction at bytes[offset], located at address `addr`. */
export function disassemble(bytes: Uint8Array, offset: number, addr: number, mode32: boolean): Disassembly {
  const st = new DisasmState();
  st.bytes = bytes;
  st.start = st.pos = offset;
  st.addr = addr;
  st.mode32 = mode32;
  const pfx: number[] = [];
  try {
    return decodeInto(st, pfx);
  } catch (e) {
    if (e !== TRUNCATED) throw e;
    // objdump shows an instruction cut off by the end of the bytes as its
    // first byte alone: a prefix by name, anything else as data.
    if (offset >= bytes.length) return { len: 0, text: '' };
    const b = bytes[offset];
    if (b === FWAIT) return { len: 1, text: 'fwait' };
    if (b in SEG_PREFIX || [0x66, 0x67, 0xf0, 0xf2, 0xf3].includes(b)) return { len: 1, text: prefixName(st, b) };
    return { len: 1, text: `.byte ${hex(b)}` };
  }
}

/** Source of guest-physical bytes (a Machine). */
export interface PhysReader {
  readPhys(addr: number, len: number): Uint8Array;
}

/** Disassemble the instruction at guest-physical `phys`, shown at address `addr` (e.g. EIP). */
export function disassembleAt(mem: PhysReader, phys: number, addr: number, mode32: boolean): Disassembly {
  return disassemble(mem.readPhys(phys, 15), 0, addr, mode32);
}

function decodeInto(st: DisasmState, pfx: number[]): Disassembly {
  let fwait = false;
  let fwaitAt = 0;
  scan: for (;;) {
    const b = st.u8();
    if (b in SEG_PREFIX) {
      st.seg = SEG_PREFIX[b];
      st.lastSeg = pfx.length;
    } else if (b === 0x66) {
      st.dataPrefix = true;
      st.lastData = pfx.length;
    } else if (b === 0x67) {
      st.lastAddr = pfx.length;
    } else if (b === 0xf3) {
      st.lastRepz = pfx.length;
    } else if (b === 0xf2) {
      st.lastRepnz = pfx.length;
    } else if (b === 0xf0) {
      st.lastLock = pfx.length;
    } else if (b === FWAIT) {
      // FWAIT is an instruction objdump folds into a following x87 one;
      // after other prefixes it ends the prefix run.
      const stop = fwait || pfx.length > 0;
      fwait = true;
      fwaitAt = pfx.length;
      if (stop) break scan;
      continue;
    } else {
      st.pos--;
      break;
    }
    pfx.push(b);
  }
  st.o32 = st.mode32 !== st.dataPrefix;
  st.a32 = st.mode32 !== st.lastAddr >= 0;
  const opAt = st.pos;
  if (fwait) {
    const next = st.pos < st.bytes.length ? st.bytes[st.pos] : -1;
    if (next < 0xd8 || next > 0xdf) {
      const names = pfx.slice(0, fwaitAt).map((p) => prefixName(st, p));
      return { len: fwaitAt + 1, text: [...names, 'fwait'].join(' ') };
    }
  }

  let op = st.u8();
  const two = op === 0x0f;
  if (two) op = st.u8();
  const opBytes = two ? 2 : 1;
  const done = (mn: string, ops: string): Disassembly => ({ len: st.len, text: finish(st, pfx, mn, ops) });
  const bad = (len: number): Disassembly => ({ len, text: finish(st, pfx, '(bad)', '') });

  if (!two && op >= 0xd8 && op <= 0xdf) {
    readModrm(st);
    const t = x87Text(st, op, fwait);
    // objdump still decodes the memory operand of an undefined x87 form.
    if (!t) return st.mod === 3 ? bad(st.len) : done('(bad)', memAddress(st));
    return done(t.mn, t.ops);
  }

  const code = two ? 0x100 | op : op;
  const base = opRow(code, 0).mapEntry;
  const badOpcode = (): Disassembly => bad(opAt - st.start + opBytes);
  // objdump reads 0F 0F as the 3DNow! escape (ModRM, then a suffix byte naming
  // the operation); with no 3DNow! here, it is shown as objdump shows an
  // invalid suffix: one byte of (bad).
  if (two && op === 0x0f) return bad(opAt - st.start + 1);
  // '#sse' and '#fxsave' rows carry no mnemonics in the shared table.
  if (two && (base.m === '#sse' || base.m === '#fxsave')) {
    readModrm(st);
    const t = base.m === '#sse' ? sseText(st, op) : group15Text(st);
    return t ? done(t.mn, t.ops) : badOpcode();
  }
  if (base.m === '') return badOpcode();
  // objdump reads D6 (SALC) as undefined.
  if (!two && op === 0xd6) return badOpcode();
  if (opRow(code, 0).modrm) readModrm(st);
  const ent = opRow(code, st.reg).form;
  if (ent.m === '') return badOpcode();
  if (st.mod === 3 && ent.o.some((o) => o[0] === 'M')) return badOpcode();
  if (st.mod !== 3 && ent.o.some((o) => o === 'Rv')) return badOpcode();

  // NOP is XCHG eAX,eAX; F3 makes it PAUSE, a data prefix makes objdump show the XCHG.
  if (code === 0x90) {
    if (st.lastRepz >= 0) {
      st.rename(st.lastRepz, '');
      return done('pause', '');
    }
    if (st.dataPrefix) {
      const r = regV(st, 0);
      return done('xchg', `${r},${r}`);
    }
  }
  const hint = hintText(st, code);
  if (hint) return hint.len1 ? { len: opAt - st.start + 1, text: finish(st, pfx, hint.mn, '(bad)') } : done(hint.mn, hint.ops);

  const str = stringForm(st, ent.m);
  if (str) {
    if (['movs', 'lods', 'stos', 'ins', 'outs'].includes(str.mn)) st.rename(st.lastRepz, 'rep');
    return done(str.mn, str.ops);
  }
  let mn = spellMnemonic(st, ent);
  // F3 BSF/BSR are TZCNT/LZCNT (BSF/BSR on CPUs without them).
  if ((code === 0x1bc || code === 0x1bd) && st.lastRepz >= 0) {
    st.rename(st.lastRepz, '');
    mn = code === 0x1bc ? 'tzcnt' : 'lzcnt';
  }
  renameHintPrefixes(st, code, ent);
  const ops = ent.m === 'xlat' ? xlatOperand(st) : ent.o.map((o) => operandText(st, o, code, ent)).join(',');
  return done(mn, ops);
}

function readModrm(st: DisasmState): void {
  const m = st.u8();
  st.mod = m >> 6;
  st.reg = (m >> 3) & 7;
  st.rm = m & 7;
}

function operandText(st: DisasmState, o: string, code: number, ent: OpEntry): string {
  if (FIXED.has(o)) return fixedOperand(st, o);
  const sz = o.slice(1);
  switch (o[0]) {
    case 'E':
      if (st.mod === 3) {
        if (sz === 'w' && (EW_AS_EV.has(code) || (code === 0x100 && st.reg < 2) || ent.m === 'smsw')) return regV(st, st.rm);
        return regOperand(st, sz, st.rm);
      }
      return sizeKeyword(st, sz) + memAddress(st);
    case 'M':
      return sizeKeyword(st, sz) + memAddress(st);
    case 'G':
      return regOperand(st, sz, st.reg);
    case 'R':
      return sz === 'd' ? reg32(st.rm) : regV(st, st.rm);
    case 'S':
      return SREG[st.reg];
    case 'C':
      // AMD's alternate encoding of CR8: LOCK MOV CRn.
      if (st.lastLock >= 0) {
        st.usedLock = true;
        return `cr${st.reg + 8}`;
      }
      return `cr${st.reg}`;
    case 'D':
      return `dr${st.reg}`;
    case 'I':
      return immediate(st, sz, code);
    case 'J':
      return branchTarget(st, sz !== 'b');
    case 'O':
      return moffs(st);
    case 'A': {
      st.usedData = true;
      const off = st.o32 ? st.s32() : st.u16();
      return `${hex(st.u16())}:${hex(off)}`;
    }
    default:
      return fixedOperand(st, o);
  }
}

function immediate(st: DisasmState, sz: string, code: number): string {
  switch (sz) {
    case 'b':
      if (SIGNED_IB.has(code)) {
        const v = st.s8();
        st.usedData = true;
        return hex(st.o32 ? v : v & 0xffff);
      }
      return hex(st.u8());
    case 'w':
      return hex(st.u16());
    default:
      st.usedData = true;
      return hex(st.o32 ? st.s32() : st.u16());
  }
}

/** A moffs operand; objdump does not count it as using the address-size prefix. */
function moffs(st: DisasmState): string {
  const off = st.a32 ? st.s32() : st.u16();
  let seg = 'ds:';
  if (st.seg >= 0) {
    st.usedSeg = true;
    seg = SREG[st.seg] + ':';
  }
  return seg + hex(off);
}

const R8_NAMES = ['AL', 'CL', 'DL', 'BL', 'AH', 'CH', 'DH', 'BH'];
const R32_NAMES = ['eAX', 'eCX', 'eDX', 'eBX', 'eSP', 'eBP', 'eSI', 'eDI'];
const SEG_NAMES = ['ES', 'CS', 'SS', 'DS', 'FS', 'GS'];
const FIXED = new Set([...R8_NAMES, ...R32_NAMES, ...SEG_NAMES, 'DX', '1']);

/** Operands that name a register or constant: 'AL', 'eAX', 'DX', 'CL', '1', 'ES'. */
function fixedOperand(st: DisasmState, o: string): string {
  if (o === '1') return '1';
  if (o === 'DX') return 'dx';
  let n = R8_NAMES.indexOf(o);
  if (n >= 0) return reg8(n);
  n = R32_NAMES.indexOf(o);
  if (n >= 0) return regV(st, n);
  n = SEG_NAMES.indexOf(o);
  if (n >= 0) return SREG[n];
  return o.toLowerCase();
}

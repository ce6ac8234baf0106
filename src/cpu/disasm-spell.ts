// objdump's spelling of the shared table's mnemonics where it depends on the
// operand or address size (cwde/cbw, pushaw, lgdtd, jecxz, ...) and of the
// string instructions, which objdump writes with explicit memory operands.

import type { DisasmState } from './disasm-reader.js';
import type { OpEntry } from './opcode-table.js';
import { SREG } from './disasm-operands.js';

// Mnemonics objdump suffixes with the new size when a data-size prefix is present.
const SIZE_SUFFIXED = new Set(['pusha', 'popa', 'pushf', 'popf', 'iret', 'ret', 'retf', 'leave', 'enter']);
// Same, but only for these operand forms (near relative branch, push of an immediate or segment register).
const SIZE_SUFFIXED_FORMS = new Set(['call Jz', 'jmp Jz', 'push Ib', 'push Iz', 'push ES', 'push CS', 'push SS', 'push DS', 'push FS', 'push GS', 'pop ES', 'pop SS', 'pop DS', 'pop FS', 'pop GS']);
const DESCRIPTOR_TABLE = new Set(['sgdt', 'sidt', 'lgdt', 'lidt']);

/** The mnemonic as objdump writes it. */
export function spellMnemonic(st: DisasmState, ent: OpEntry): string {
  const m = ent.m;
  const sizeLetter = (): string => {
    st.usedData = true;
    return st.o32 ? 'd' : 'w';
  };
  if (SIZE_SUFFIXED.has(m) || SIZE_SUFFIXED_FORMS.has(`${m} ${ent.o[0]}`)) return st.dataPrefix ? m + sizeLetter() : m;
  if (DESCRIPTOR_TABLE.has(m)) return m + sizeLetter();
  switch (m) {
    case 'cbw': st.usedData = true; return st.o32 ? 'cwde' : 'cbw';
    case 'cwd': st.usedData = true; return st.o32 ? 'cdq' : 'cwd';
    case 'jcxz': st.usedAddr = true; return st.a32 ? 'jecxz' : 'jcxz';
    case 'callf': return 'call';
    case 'jmpf': return 'jmp';
    case 'sal': return 'shl'; // /6 of group 2 is an alias objdump names after /4
    default: return m;
  }
}

/** String instructions (table names like 'movsb', 'stosv'): mnemonic and operands. */
export function stringForm(st: DisasmState, m: string): { mn: string; ops: string } | null {
  const base = m.slice(0, -1);
  if (!m.endsWith('b') && !m.endsWith('v')) return null;
  if (!['movs', 'cmps', 'stos', 'lods', 'scas', 'ins', 'outs'].includes(base)) return null;
  const wide = m.endsWith('v');
  if (wide) st.usedData = true;
  st.usedAddr = true;
  const kw = !wide ? 'BYTE PTR ' : st.o32 ? 'DWORD PTR ' : 'WORD PTR ';
  const acc = !wide ? 'al' : st.o32 ? 'eax' : 'ax';
  let srcSeg = 'ds:';
  if (st.seg >= 0) {
    st.usedSeg = true;
    srcSeg = SREG[st.seg] + ':';
  }
  const src = `${kw}${srcSeg}[${st.a32 ? 'esi' : 'si'}]`;
  const dst = `${kw}es:[${st.a32 ? 'edi' : 'di'}]`;
  switch (base) {
    case 'movs': return { mn: base, ops: `${dst},${src}` };
    case 'cmps': return { mn: base, ops: `${src},${dst}` };
    case 'stos': st.usedSeg = false; return { mn: base, ops: `${dst},${acc}` };
    case 'lods': return { mn: base, ops: `${acc},${src}` };
    case 'scas': st.usedSeg = false; return { mn: base, ops: `${acc},${dst}` };
    case 'ins': st.usedSeg = false; return { mn: base, ops: `${dst},dx` };
    default: return { mn: base, ops: `dx,${src}` };
  }
}

/** XLAT reads [eBX] in the data segment (or the override). */
export function xlatOperand(st: DisasmState): string {
  st.usedAddr = true;
  let seg = 'ds:';
  if (st.seg >= 0) {
    st.usedSeg = true;
    seg = SREG[st.seg] + ':';
  }
  return `BYTE PTR ${seg}[${st.a32 ? 'ebx' : 'bx'}]`;
}

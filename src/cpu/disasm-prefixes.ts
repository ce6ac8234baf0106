// Prefix bytes as objdump prints them: every prefix no operand consumed is
// shown by name before the mnemonic, and F2/F3 get hint names (rep, bnd,
// xacquire, xrelease) on the instructions that give them that meaning.

import type { DisasmState } from './disasm-reader.js';
import { SREG } from './disasm-operands.js';
import type { OpEntry } from './opcode-table.js';
import { F_LOCK } from './op-facts.js';
import { opRow } from './op-rows.js';

export const SEG_PREFIX: Readonly<Record<number, number>> = { 0x26: 0, 0x2e: 1, 0x36: 2, 0x3e: 3, 0x64: 4, 0x65: 5 };

const BND_BRANCH = new Set([0xe8, 0xe9, 0xeb, 0xc2, 0xc3]);
const HLE_ANY = new Set([0x86, 0x87]);
const HLE_RELEASE = new Set([0x88, 0x89, 0xc6, 0xc7]);

/** objdump's names for F2/F3 as MPX and HLE hints: bnd, xacquire, xrelease. */
export function renameHintPrefixes(st: DisasmState, code: number, ent: OpEntry): void {
  const jcc = (code >= 0x70 && code <= 0x7f) || (code >= 0x180 && code <= 0x18f);
  if (jcc || BND_BRANCH.has(code) || (code === 0xff && (st.reg === 2 || st.reg === 4))) {
    st.rename(st.lastRepnz, 'bnd');
    return;
  }
  if (st.mod === 3) return;
  if (HLE_ANY.has(code) || (st.lastLock >= 0 && (opRow(code, st.reg).facts & F_LOCK) !== 0)) {
    st.rename(st.lastRepnz, 'xacquire');
    st.rename(st.lastRepz, 'xrelease');
  } else if (HLE_RELEASE.has(code) && ent.m === 'mov') {
    st.rename(st.lastRepz, 'xrelease');
  }
}

/** objdump's name for a prefix byte it did not fold into the instruction. */
export function prefixName(st: DisasmState, p: number): string {
  switch (p) {
    case 0x66: return st.mode32 ? 'data16' : 'data32';
    case 0x67: return st.mode32 ? 'addr16' : 'addr32';
    case 0xf0: return 'lock';
    case 0xf2: return 'repnz';
    case 0xf3: return 'repz';
    default: return SREG[SEG_PREFIX[p]];
  }
}

/** Unused prefixes, mnemonic, operands, laid out as objdump does. */
export function finish(st: DisasmState, pfx: number[], mn: string, ops: string): string {
  const shown = pfx.slice();
  if (st.usedSeg && st.lastSeg >= 0) shown[st.lastSeg] = 0;
  if (st.usedData && st.lastData >= 0) shown[st.lastData] = 0;
  if (st.usedAddr && st.lastAddr >= 0) shown[st.lastAddr] = 0;
  if (st.usedLock && st.lastLock >= 0) shown[st.lastLock] = 0;
  let head = '';
  shown.forEach((p, i) => {
    const name = p ? st.names.get(i) ?? prefixName(st, p) : '';
    if (name) head += name + ' ';
  });
  head += mn;
  return ops ? head.padEnd(6) + ' ' + ops : head;
}

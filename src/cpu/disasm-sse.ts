// The few SSE forms of the '#sse' rows of the shared opcode table that the
// disassembler names (no mandatory prefix only). The emulator executes no
// SSE, so the table keeps those rows as bare escapes; everything not listed
// here prints as (bad).

import type { DisasmState } from './disasm-reader.js';
import { memAddress } from './disasm-operands.js';

// 0F opcode -> [mnemonic, operand order]: 'GE' = xmm(reg), xmm/m128; 'EG' the reverse.
const NAMES: Readonly<Record<number, readonly [string, 'GE' | 'EG']>> = {
  0x10: ['movups', 'GE'],
  0x11: ['movups', 'EG'],
  0x28: ['movaps', 'GE'],
  0x29: ['movaps', 'EG'],
  0x54: ['andps', 'GE'],
  0x55: ['andnps', 'GE'],
  0x56: ['orps', 'GE'],
  0x57: ['xorps', 'GE'],
  0x58: ['addps', 'GE'],
  0x59: ['mulps', 'GE'],
  0x5c: ['subps', 'GE'],
  0x5e: ['divps', 'GE'],
};

/** Mnemonic and operands for 0F `op` with its ModRM read into st, or null. */
export function sseText(st: DisasmState, op: number): { mn: string; ops: string } | null {
  // With a mandatory prefix these are other instructions (movupd, movss, ...).
  if (st.dataPrefix || st.lastRepz >= 0 || st.lastRepnz >= 0) return null;
  const ent = NAMES[op];
  if (!ent) return null;
  const g = `xmm${st.reg}`;
  const e = st.mod === 3 ? `xmm${st.rm}` : 'XMMWORD PTR ' + memAddress(st);
  return { mn: ent[0], ops: ent[1] === 'GE' ? `${g},${e}` : `${e},${g}` };
}

// objdump's names for 0F opcodes the shared table keeps generic: the hint
// NOPs (0F 0D, 0F 18-1F: prefetches, cldemote) and group 15 (0F AE: fxsave,
// the fences, ...), which the emulator never needs to tell apart.

import type { DisasmState } from './disasm-reader.js';
import { memAddress, sizeKeyword } from './disasm-operands.js';

const PREFETCH_0D = ['prefetch', 'prefetchw', 'prefetchwt1', 'prefetch', 'prefetch', 'prefetch', 'prefetch', 'prefetch'];
const PREFETCH_18 = ['prefetchnta', 'prefetcht0', 'prefetcht1', 'prefetcht2'];
// 0F AE: memory forms 'mnemonic size' ('-' no size keyword), register forms by reg.
const GROUP15_MEM = ['fxsave -', 'fxrstor -', 'ldmxcsr d', 'stmxcsr d', 'xsave -', 'xrstor -', 'xsaveopt -', 'clflush b'];
const GROUP15_REG = ['', '', '', '', '', 'lfence', 'mfence', 'sfence'];

/**
 * A hint-NOP opcode objdump names differently from 'nop', or null for the
 * table's own spelling. `len1` asks for objdump's one-byte '<name> (bad)'.
 */
export function hintText(st: DisasmState, code: number): { mn: string; ops: string; len1?: boolean } | null {
  if (code === 0x10d) {
    if (st.mod === 3) return { mn: PREFETCH_0D[st.reg], ops: '', len1: true };
    return { mn: PREFETCH_0D[st.reg], ops: 'BYTE PTR ' + memAddress(st) };
  }
  if (st.mod === 3) return null;
  if (code === 0x118 && st.reg < 4) return { mn: PREFETCH_18[st.reg], ops: 'BYTE PTR ' + memAddress(st) };
  if (code === 0x11c && st.reg === 0 && !st.dataPrefix) return { mn: 'cldemote', ops: 'BYTE PTR ' + memAddress(st) };
  return null;
}

/** 0F AE with its ModRM read into st, or null if undefined. */
export function group15Text(st: DisasmState): { mn: string; ops: string } | null {
  if (st.mod === 3) {
    // The fences are defined with ModRM.rm = 0 only, as objdump reads them.
    const mn = st.rm === 0 ? GROUP15_REG[st.reg] : '';
    return mn ? { mn, ops: '' } : null;
  }
  const [mn, sz] = GROUP15_MEM[st.reg].split(' ');
  return { mn, ops: (sz === '-' ? '' : sizeKeyword(st, sz)) + memAddress(st) };
}

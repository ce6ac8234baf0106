// The x87 escape map (SDM appendix A.4). The shared opcode table keeps D8-DF
// as one '#fpu' row because the emulator has no FPU and its decoder needs
// only "ModRM follows"; the mnemonics matter only to the disassembler, so
// they live here rather than in that table.
//
// Names with 'N' drop the 'n' when an FWAIT precedes (fnstcw -> fstcw), as
// objdump spells them.

import type { DisasmState } from './disasm-reader.js';
import { memAddress, sizeKeyword } from './disasm-operands.js';

// Memory forms, [opcode - 0xD8][reg] = 'mnemonic size' (size letter or '-' for none).
const MEM: readonly (readonly string[])[] = [
  ['fadd d', 'fmul d', 'fcom d', 'fcomp d', 'fsub d', 'fsubr d', 'fdiv d', 'fdivr d'],
  ['fld d', '', 'fst d', 'fstp d', 'fldenv -', 'fldcw w', 'fNstenv -', 'fNstcw w'],
  ['fiadd d', 'fimul d', 'ficom d', 'ficomp d', 'fisub d', 'fisubr d', 'fidiv d', 'fidivr d'],
  ['fild d', 'fisttp d', 'fist d', 'fistp d', '', 'fld t', '', 'fstp t'],
  ['fadd q', 'fmul q', 'fcom q', 'fcomp q', 'fsub q', 'fsubr q', 'fdiv q', 'fdivr q'],
  ['fld q', 'fisttp q', 'fst q', 'fstp q', 'frstor -', '', 'fNsave -', 'fNstsw w'],
  ['fiadd w', 'fimul w', 'ficom w', 'ficomp w', 'fisub w', 'fisubr w', 'fidiv w', 'fidivr w'],
  ['fild w', 'fisttp w', 'fist w', 'fistp w', 'fbld t', 'fild q', 'fbstp t', 'fistp q'],
];

// Register forms, [opcode - 0xD8][reg]: 'mnemonic form' where form is
// 'a' = st,st(i), 'b' = st(i),st, 'i' = st(i); or eight names by ModRM.rm.
type RegRow = string | readonly string[];
const REG: readonly (readonly RegRow[])[] = [
  ['fadd a', 'fmul a', 'fcom i', 'fcomp i', 'fsub a', 'fsubr a', 'fdiv a', 'fdivr a'],
  [
    'fld i', 'fxch i', ['fnop', '', '', '', '', '', '', ''], '',
    ['fchs', 'fabs', '', '', 'ftst', 'fxam', '', ''],
    ['fld1', 'fldl2t', 'fldl2e', 'fldpi', 'fldlg2', 'fldln2', 'fldz', ''],
    ['f2xm1', 'fyl2x', 'fptan', 'fpatan', 'fxtract', 'fprem1', 'fdecstp', 'fincstp'],
    ['fprem', 'fyl2xp1', 'fsqrt', 'fsincos', 'frndint', 'fscale', 'fsin', 'fcos'],
  ],
  ['fcmovb a', 'fcmove a', 'fcmovbe a', 'fcmovu a', '', ['', 'fucompp', '', '', '', '', '', ''], '', ''],
  [
    'fcmovnb a', 'fcmovne a', 'fcmovnbe a', 'fcmovnu a',
    ['fNeni(8087 only)', 'fNdisi(8087 only)', 'fNclex', 'fNinit', 'fNsetpm(287 only)', 'frstpm(287 only)', '', ''],
    'fucomi a', 'fcomi a', '',
  ],
  ['fadd b', 'fmul b', '', '', 'fsubr b', 'fsub b', 'fdivr b', 'fdiv b'],
  ['ffree i', '', 'fst i', 'fstp i', 'fucom i', 'fucomp i', '', ''],
  ['faddp b', 'fmulp b', '', ['', 'fcompp', '', '', '', '', '', ''], 'fsubrp b', 'fsubp b', 'fdivrp b', 'fdivp b'],
  ['ffreep i', '', '', '', ['fNstsw|ax', '', '', '', '', '', '', ''], 'fucomip a', 'fcomip a', ''],
];

function spell(name: string, fwait: boolean): string {
  return name.replace('N', fwait ? '' : 'n');
}

// The environment and state images change layout with the operand size; objdump marks a data prefix with a suffix.
const ENV_STATE = new Set(['fldenv', 'fNstenv', 'frstor', 'fNsave']);

/**
 * Mnemonic and operands of the x87 instruction with escape `op` (0xD8-0xDF);
 * the ModRM byte has been read into st. Null for an undefined encoding.
 */
export function x87Text(st: DisasmState, op: number, fwait: boolean): { mn: string; ops: string } | null {
  const row = op - 0xd8;
  if (st.mod !== 3) {
    const ent = MEM[row][st.reg];
    if (!ent) return null;
    const [mn, sz] = ent.split(' ');
    const kw = sz === '-' ? '' : sizeKeyword(st, sz);
    let name = spell(mn, fwait);
    if (ENV_STATE.has(mn) && st.dataPrefix) {
      st.usedData = true;
      name += st.o32 ? 'd' : 'w';
    }
    return { mn: name, ops: kw + memAddress(st) };
  }
  const ent = REG[row][st.reg];
  if (typeof ent !== 'string') {
    const name = ent[st.rm];
    if (!name) return null;
    const [mn, ops] = name.split('|');
    return { mn: spell(mn, fwait), ops: ops ?? '' };
  }
  if (!ent) return null;
  const [mn, form] = ent.split(' ');
  const sti = `st(${st.rm})`;
  return { mn, ops: form === 'a' ? `st,${sti}` : form === 'b' ? `${sti},st` : sti };
}

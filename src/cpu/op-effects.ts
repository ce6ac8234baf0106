// What each instruction does besides its result, by mnemonic: the handler
// group that implements it, the EFLAGS bits it reads and writes, how it
// treats its ModRM operand, and its memory and control effects. op-rows.ts
// joins this with the operand forms (opcode-table.ts) and the per-opcode
// facts (op-facts.ts) into one row per (opcode, ModRM.reg).
//
// Flag sets describe this emulator's handlers; test/cpu/op-rows.test.ts
// runs the register forms of the alu, shift, muldiv, move, bit, bcd and flag
// groups on random inputs to check them. `fr` = flags whose incoming value
// can show in anything the instruction produces, including flags it leaves
// unchanged only sometimes (a shift by a count that may be 0); `fw` = flags
// it may change; `fu` = the flags the SDM leaves undefined after it
// (difftests mask them; where these handlers leave such a flag as it was,
// it is not in `fw`). A flag in `fw` and not in `fr` is dead before the
// instruction: a JIT need not compute it.

import type { HandlerGroup } from './handler-table.js';
import { AC, AF, ARITH, CF, DF, ID, IF, IOPL, NT, OF, PF, RF, SF, TF, VIF, VIP, VM, ZF } from './flags.js';

/** Every EFLAGS bit an instruction can read or write. */
export const EFLAGS_ALL = ARITH | TF | IF | DF | IOPL | NT | RF | VM | AC | VIF | VIP | ID;

/**
 * Control effect. 'branch': near transfer inside CS (may end a block);
 * 'far': CS changes (and through a task gate, all state); 'int': software
 * interrupt; 'system': changes state the run loop or the MMU watches (IF,
 * segments, control registers, descriptor tables, MSRs); 'io': port I/O;
 * 'nd': a buffered non-deterministic input; 'halt': HLT.
 */
export type Control = 'none' | 'branch' | 'far' | 'int' | 'system' | 'io' | 'nd' | 'halt';

/** Access to the ModRM memory operand (mod != 3) when it is the first operand; as a later operand it is read. */
export type EAccess = 'r' | 'w' | 'rw' | 'addr' | '-';

/** Implicit memory accesses (besides the ModRM operand). */
export const MEM_STACK = 1;
/** DS:ESI / ES:EDI string operands. */
export const MEM_STRING = 2;
/** Descriptor tables, the TSS, the IDT. */
export const MEM_SYSTEM = 4;
/** Other implicit data: XLAT's DS:[EBX + AL], MOV's moffs. */
export const MEM_DATA = 8;

export interface Effects {
  readonly group: HandlerGroup;
  readonly control: Control;
  readonly fr: number;
  readonly fw: number;
  readonly fu: number;
  readonly e: EAccess;
  readonly mem: number;
}

const fx = (group: HandlerGroup, o: Partial<Omit<Effects, 'group'>> = {}): Effects => ({
  group, control: o.control ?? 'none', fr: o.fr ?? 0, fw: o.fw ?? 0, fu: o.fu ?? 0, e: o.e ?? 'r', mem: o.mem ?? 0,
});

const NONE = fx('ud', { e: '-' });
const OSZP = OF | SF | ZF | PF;

/** Flags a condition code reads (the CC order of opcode-table.ts). */
export const CC_READS: readonly number[] = [
  OF, OF, CF, CF, ZF, ZF, CF | ZF, CF | ZF, SF, SF, PF, PF, SF | OF, SF | OF, ZF | SF | OF, ZF | SF | OF,
];
const CC_SUFFIX = ['o', 'no', 'b', 'ae', 'e', 'ne', 'be', 'a', 's', 'ns', 'p', 'np', 'l', 'ge', 'le', 'g'];

const arith = fx('alu', { fw: ARITH, e: 'rw' });
const logic = fx('alu', { fw: ARITH, fu: AF, e: 'rw' });
const shift = fx('shift', { fw: ARITH, fu: AF | OF, e: 'rw' });
const rot = fx('shift', { fw: CF | OF, fu: OF, e: 'rw' });
const rotc = fx('shift', { fr: CF, fw: CF | OF, fu: OF, e: 'rw' });
const mul = fx('muldiv', { fw: ARITH, fu: SF | ZF | AF | PF });
const div = fx('muldiv', { fu: ARITH }); // leaves the flags as they were
const bts = fx('bit', { fw: CF, fu: (OSZP & ~ZF) | AF, e: 'rw' });
const bsx = fx('bit', { fw: ZF, fu: ARITH & ~ZF });
const farT = fx('far', { control: 'far', fr: EFLAGS_ALL, fw: EFLAGS_ALL, mem: MEM_STACK | MEM_SYSTEM });
const intT = fx('control', { control: 'int', fr: EFLAGS_ALL, fw: EFLAGS_ALL, mem: MEM_STACK | MEM_SYSTEM, e: '-' });
const branch = fx('control', { control: 'branch' });
const segLoad = fx('move', { control: 'system', mem: MEM_SYSTEM });
const tableLoad = fx('descriptors', { control: 'system', mem: MEM_SYSTEM });
const tableStore = fx('descriptors', { e: 'w' });
const io = fx('system', { control: 'io', e: '-' });
const ioStr = fx('system', { control: 'io', fr: DF, mem: MEM_STRING, e: '-' });
const str = (w: boolean): Effects => fx('string', { fr: DF, fw: w ? ARITH : 0, mem: MEM_STRING, e: '-' });
const ud = fx('ud', { e: '-' });

const TABLE: Record<string, Effects> = {
  add: arith, sub: arith, neg: arith, cmp: fx('alu', { fw: ARITH, e: 'r' }),
  adc: fx('alu', { fr: CF, fw: ARITH, e: 'rw' }), sbb: fx('alu', { fr: CF, fw: ARITH, e: 'rw' }),
  and: logic, or: logic, xor: logic, test: fx('alu', { fw: ARITH, fu: AF, e: 'r' }),
  inc: fx('alu', { fw: ARITH & ~CF, e: 'rw' }), dec: fx('alu', { fw: ARITH & ~CF, e: 'rw' }), not: fx('alu', { e: 'rw' }),
  shl: shift, sal: shift, shr: shift, sar: shift, shld: shift, shrd: shift, rol: rot, ror: rot, rcl: rotc, rcr: rotc,
  mul, imul: mul, div, idiv: div,
  bt: fx('bit', { fw: CF, fu: (OSZP & ~ZF) | AF }), bts, btr: bts, btc: bts, bsf: bsx, bsr: bsx,
  daa: fx('bcd', { fr: CF | AF, fw: ARITH, fu: OF }), das: fx('bcd', { fr: CF | AF, fw: ARITH, fu: OF }),
  aaa: fx('bcd', { fr: AF, fw: AF | CF, fu: OSZP }), aas: fx('bcd', { fr: AF, fw: AF | CF, fu: OSZP }),
  aam: fx('bcd', { fw: ARITH, fu: OF | AF | CF }), aad: fx('bcd', { fw: ARITH, fu: OF | AF | CF }),
  clc: fx('flag', { fw: CF }), stc: fx('flag', { fw: CF }), cmc: fx('flag', { fr: CF, fw: CF }),
  cld: fx('flag', { fw: DF }), std: fx('flag', { fw: DF }),
  cli: fx('system', { control: 'system', fw: IF }), sti: fx('system', { control: 'system', fw: IF }),
  mov: fx('move', { e: 'w' }), movzx: fx('move'), movsx: fx('move'), lea: fx('move', { e: 'addr' }),
  xchg: fx('move', { e: 'rw' }), xadd: fx('move', { fw: ARITH, e: 'rw' }),
  cmpxchg: fx('move', { fw: ARITH, e: 'rw' }), cmpxchg8b: fx('move', { fw: ZF, e: 'rw' }),
  bswap: fx('move'), cbw: fx('move'), cwd: fx('move'), nop: fx('move', { e: '-' }), xlat: fx('move', { mem: MEM_DATA }),
  lahf: fx('move', { fr: ARITH & ~OF }), sahf: fx('move', { fw: ARITH & ~OF }), salc: fx('move', { fr: CF }),
  lds: segLoad, les: segLoad, lfs: segLoad, lgs: segLoad, lss: segLoad,
  push: fx('stack', { mem: MEM_STACK }), pop: fx('stack', { mem: MEM_STACK, e: 'w' }),
  pusha: fx('stack', { mem: MEM_STACK }), popa: fx('stack', { mem: MEM_STACK }),
  pushf: fx('stack', { fr: EFLAGS_ALL, mem: MEM_STACK }),
  popf: fx('stack', { control: 'system', fr: EFLAGS_ALL, fw: EFLAGS_ALL, mem: MEM_STACK }),
  enter: fx('stack', { mem: MEM_STACK }), leave: fx('stack', { mem: MEM_STACK }),
  movsb: str(false), movsv: str(false), stosb: str(false), stosv: str(false), lodsb: str(false), lodsv: str(false),
  cmpsb: str(true), cmpsv: str(true), scasb: str(true), scasv: str(true),
  jmp: branch, call: fx('control', { control: 'branch', mem: MEM_STACK }), ret: fx('control', { control: 'branch', mem: MEM_STACK, e: '-' }),
  loop: branch, jcxz: branch, loope: fx('control', { control: 'branch', fr: ZF, e: '-' }),
  loopne: fx('control', { control: 'branch', fr: ZF, e: '-' }),
  int: intT, int3: intT, int1: intT, into: intT, bound: fx('control'),
  callf: farT, jmpf: farT, retf: { ...farT, e: '-' }, iret: { ...farT, e: '-' },
  in: io, out: io, insb: ioStr, insv: ioStr, outsb: ioStr, outsv: ioStr,
  hlt: fx('system', { control: 'halt', e: '-' }), cpuid: fx('system', { e: '-' }), rdmsr: fx('system', { e: '-' }),
  wrmsr: fx('system', { control: 'system', e: '-' }),
  rdtsc: fx('system', { control: 'nd', e: '-' }), rdrand: fx('system', { control: 'nd', fw: ARITH, e: 'w' }),
  rdseed: fx('system', { control: 'nd', fw: ARITH, e: 'w' }),
  sgdt: tableStore, sidt: tableStore, smsw: tableStore, lgdt: tableLoad, lidt: tableLoad,
  lmsw: fx('descriptors', { control: 'system' }), clts: fx('descriptors', { control: 'system', e: '-' }),
  invd: fx('descriptors', { control: 'system', e: '-' }), wbinvd: fx('descriptors', { control: 'system', e: '-' }),
  invlpg: fx('descriptors', { control: 'system', e: 'addr' }),
  sldt: fx('system-segments', { e: 'w' }), str: fx('system-segments', { e: 'w' }),
  lldt: fx('system-segments', { control: 'system', mem: MEM_SYSTEM }), ltr: fx('system-segments', { control: 'system', mem: MEM_SYSTEM }),
  lar: fx('selector-checks', { fw: ZF, mem: MEM_SYSTEM }), lsl: fx('selector-checks', { fw: ZF, mem: MEM_SYSTEM }),
  verr: fx('selector-checks', { fw: ZF, mem: MEM_SYSTEM }), verw: fx('selector-checks', { fw: ZF, mem: MEM_SYSTEM }),
  arpl: fx('selector-checks', { fw: ZF, e: 'rw' }),
  // x87 rows, one per ModRM.reg for the whole escape (register and memory forms share a row): FCMOVcc
  // read CF/ZF/PF, FCOMI/FUCOMI write ZF/PF/CF and clear OF/SF/AF, so every D8-DF row reads and may write them.
  '#fpu': fx('fpu', { fr: ARITH, fw: ARITH, e: 'rw' }), fwait: fx('fpu', { e: '-' }),
  '#sse': ud, '#fxsave': ud, ud0: ud, ud1: ud, ud2: ud, rdpmc: ud,
  '#prefix': fx('prefix', { e: '-' }), '#0f': fx('prefix', { e: '-' }),
};
CC_SUFFIX.forEach((cc, n) => {
  TABLE[`j${cc}`] = fx('control', { control: 'branch', fr: CC_READS[n], e: '-' });
  TABLE[`set${cc}`] = fx('move', { fr: CC_READS[n], e: 'w' });
  TABLE[`cmov${cc}`] = fx('move', { fr: CC_READS[n] });
});

/** The effects of a mnemonic ('' and unknown names: an undefined opcode). */
export function effectsOf(mnemonic: string): Effects {
  return TABLE[mnemonic] ?? NONE;
}

/** Every mnemonic with effects, for the tests. */
export function knownMnemonics(): string[] {
  return Object.keys(TABLE);
}

/** Per-opcode departures from the mnemonic's effects (same mnemonic, other group or control). */
export function opcodeOverride(op: number, reg: number): Partial<Effects> | undefined {
  switch (op) {
    case 0x120: case 0x121: case 0x122: case 0x123: return { group: 'descriptors', control: 'system', e: '-' };
    case 0x8e: return { control: 'system', mem: MEM_SYSTEM }; // MOV Sreg, Ew
    case 0x8c: return { e: 'w' };
    case 0x07: case 0x17: case 0x1f: case 0x1a1: case 0x1a9: return { control: 'system', mem: MEM_STACK | MEM_SYSTEM }; // POP Sreg
    case 0xa0: case 0xa1: case 0xa2: case 0xa3: return { mem: MEM_DATA }; // MOV acc, moffs
    case 0x8f: return reg === 0 ? { e: 'w' } : undefined;
    default: return undefined;
  }
}

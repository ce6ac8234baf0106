// The IA-32 opcode maps, in the notation of the Intel SDM volume 2 appendix A:
// the operand forms of the opcode rows (op-rows.ts), from which the decoder
// learns which operands need a ModRM byte and how many immediate bytes
// follow, and the disassembler the mnemonics and operand order.
//
// Operand codes: E = ModRM r/m, G = ModRM reg, M = ModRM memory only,
// R = ModRM r/m register only, S = segment register in reg, C/D = control/
// debug register in reg, I = immediate, J = relative branch, O = moffs,
// A = far pointer. Sizes: b byte, w word, d dword, v 16/32 by operand size,
// z immediate of 16/32, p far pointer, a BOUND pair, q 64-bit memory.
// Fixed operands name a register: AL, eAX, DX, CL, 1, ES, ...

export interface OpEntry {
  /** Mnemonic, or '#name' for a group decoded by ModRM.reg, or '' if undefined. */
  readonly m: string;
  readonly o: readonly string[];
}

const U: OpEntry = { m: '', o: [] };
const e = (spec: string): OpEntry => {
  if (spec === '') return U;
  const sp = spec.indexOf(' ');
  if (sp < 0) return { m: spec, o: [] };
  return { m: spec.slice(0, sp), o: spec.slice(sp + 1).split(',') };
};

const ALU = ['add', 'or', 'adc', 'sbb', 'and', 'sub', 'xor', 'cmp'];
const CC = ['o', 'no', 'b', 'ae', 'e', 'ne', 'be', 'a', 's', 'ns', 'p', 'np', 'l', 'ge', 'le', 'g'];
const R32 = ['eAX', 'eCX', 'eDX', 'eBX', 'eSP', 'eBP', 'eSI', 'eDI'];
const R8 = ['AL', 'CL', 'DL', 'BL', 'AH', 'CH', 'DH', 'BH'];

function buildOne(): OpEntry[] {
  const t: OpEntry[] = new Array(256).fill(U);
  for (let i = 0; i < 8; i++) {
    const b = i << 3;
    t[b] = e(`${ALU[i]} Eb,Gb`);
    t[b + 1] = e(`${ALU[i]} Ev,Gv`);
    t[b + 2] = e(`${ALU[i]} Gb,Eb`);
    t[b + 3] = e(`${ALU[i]} Gv,Ev`);
    t[b + 4] = e(`${ALU[i]} AL,Ib`);
    t[b + 5] = e(`${ALU[i]} eAX,Iz`);
  }
  t[0x06] = e('push ES'); t[0x07] = e('pop ES');
  t[0x0e] = e('push CS'); t[0x0f] = e('#0f');
  t[0x16] = e('push SS'); t[0x17] = e('pop SS');
  t[0x1e] = e('push DS'); t[0x1f] = e('pop DS');
  t[0x26] = e('#prefix'); t[0x27] = e('daa');
  t[0x2e] = e('#prefix'); t[0x2f] = e('das');
  t[0x36] = e('#prefix'); t[0x37] = e('aaa');
  t[0x3e] = e('#prefix'); t[0x3f] = e('aas');
  for (let i = 0; i < 8; i++) {
    t[0x40 + i] = e(`inc ${R32[i]}`);
    t[0x48 + i] = e(`dec ${R32[i]}`);
    t[0x50 + i] = e(`push ${R32[i]}`);
    t[0x58 + i] = e(`pop ${R32[i]}`);
    t[0x70 + i * 2] = e(`j${CC[i * 2]} Jb`);
    t[0x71 + i * 2] = e(`j${CC[i * 2 + 1]} Jb`);
    t[0x90 + i] = i === 0 ? e('nop') : e(`xchg ${R32[i]},eAX`);
    t[0xb0 + i] = e(`mov ${R8[i]},Ib`);
    t[0xb8 + i] = e(`mov ${R32[i]},Iv`);
  }
  t[0x60] = e('pusha'); t[0x61] = e('popa');
  t[0x62] = e('bound Gv,Ma'); t[0x63] = e('arpl Ew,Gw');
  t[0x64] = e('#prefix'); t[0x65] = e('#prefix'); t[0x66] = e('#prefix'); t[0x67] = e('#prefix');
  t[0x68] = e('push Iz'); t[0x69] = e('imul Gv,Ev,Iz');
  t[0x6a] = e('push Ib'); t[0x6b] = e('imul Gv,Ev,Ib');
  t[0x6c] = e('insb'); t[0x6d] = e('insv'); t[0x6e] = e('outsb'); t[0x6f] = e('outsv');
  t[0x80] = e('#grp1 Eb,Ib'); t[0x81] = e('#grp1 Ev,Iz');
  t[0x82] = e('#grp1 Eb,Ib'); t[0x83] = e('#grp1 Ev,Ib');
  t[0x84] = e('test Eb,Gb'); t[0x85] = e('test Ev,Gv');
  t[0x86] = e('xchg Eb,Gb'); t[0x87] = e('xchg Ev,Gv');
  t[0x88] = e('mov Eb,Gb'); t[0x89] = e('mov Ev,Gv');
  t[0x8a] = e('mov Gb,Eb'); t[0x8b] = e('mov Gv,Ev');
  t[0x8c] = e('mov Ew,Sw'); t[0x8d] = e('lea Gv,M');
  t[0x8e] = e('mov Sw,Ew'); t[0x8f] = e('#grp1a Ev');
  t[0x98] = e('cbw'); t[0x99] = e('cwd');
  t[0x9a] = e('callf Ap'); t[0x9b] = e('fwait');
  t[0x9c] = e('pushf'); t[0x9d] = e('popf'); t[0x9e] = e('sahf'); t[0x9f] = e('lahf');
  t[0xa0] = e('mov AL,Ob'); t[0xa1] = e('mov eAX,Ov');
  t[0xa2] = e('mov Ob,AL'); t[0xa3] = e('mov Ov,eAX');
  t[0xa4] = e('movsb'); t[0xa5] = e('movsv'); t[0xa6] = e('cmpsb'); t[0xa7] = e('cmpsv');
  t[0xa8] = e('test AL,Ib'); t[0xa9] = e('test eAX,Iz');
  t[0xaa] = e('stosb'); t[0xab] = e('stosv'); t[0xac] = e('lodsb'); t[0xad] = e('lodsv');
  t[0xae] = e('scasb'); t[0xaf] = e('scasv');
  t[0xc0] = e('#grp2 Eb,Ib'); t[0xc1] = e('#grp2 Ev,Ib');
  t[0xc2] = e('ret Iw'); t[0xc3] = e('ret');
  t[0xc4] = e('les Gv,Mp'); t[0xc5] = e('lds Gv,Mp');
  t[0xc6] = e('#grp11 Eb,Ib'); t[0xc7] = e('#grp11 Ev,Iz');
  t[0xc8] = e('enter Iw,Ib'); t[0xc9] = e('leave');
  t[0xca] = e('retf Iw'); t[0xcb] = e('retf');
  t[0xcc] = e('int3'); t[0xcd] = e('int Ib'); t[0xce] = e('into'); t[0xcf] = e('iret');
  t[0xd0] = e('#grp2 Eb,1'); t[0xd1] = e('#grp2 Ev,1');
  t[0xd2] = e('#grp2 Eb,CL'); t[0xd3] = e('#grp2 Ev,CL');
  t[0xd4] = e('aam Ib'); t[0xd5] = e('aad Ib'); t[0xd6] = e('salc'); t[0xd7] = e('xlat');
  for (let i = 0xd8; i <= 0xdf; i++) t[i] = e('#fpu Ex');
  t[0xe0] = e('loopne Jb'); t[0xe1] = e('loope Jb'); t[0xe2] = e('loop Jb'); t[0xe3] = e('jcxz Jb');
  t[0xe4] = e('in AL,Ib'); t[0xe5] = e('in eAX,Ib'); t[0xe6] = e('out Ib,AL'); t[0xe7] = e('out Ib,eAX');
  t[0xe8] = e('call Jz'); t[0xe9] = e('jmp Jz'); t[0xea] = e('jmpf Ap'); t[0xeb] = e('jmp Jb');
  t[0xec] = e('in AL,DX'); t[0xed] = e('in eAX,DX'); t[0xee] = e('out DX,AL'); t[0xef] = e('out DX,eAX');
  t[0xf0] = e('#prefix'); t[0xf1] = e('int1'); t[0xf2] = e('#prefix'); t[0xf3] = e('#prefix');
  t[0xf4] = e('hlt'); t[0xf5] = e('cmc'); t[0xf6] = e('#grp3 Eb'); t[0xf7] = e('#grp3 Ev');
  t[0xf8] = e('clc'); t[0xf9] = e('stc'); t[0xfa] = e('cli'); t[0xfb] = e('sti');
  t[0xfc] = e('cld'); t[0xfd] = e('std'); t[0xfe] = e('#grp4 Eb'); t[0xff] = e('#grp5 Ev');
  return t;
}

function buildTwo(): OpEntry[] {
  const t: OpEntry[] = new Array(256).fill(U);
  t[0x00] = e('#grp6 Ew'); t[0x01] = e('#grp7 M');
  t[0x02] = e('lar Gv,Ew'); t[0x03] = e('lsl Gv,Ew');
  t[0x06] = e('clts'); t[0x08] = e('invd'); t[0x09] = e('wbinvd'); t[0x0b] = e('ud2');
  t[0x0d] = e('nop Ev');
  for (let i = 0x10; i <= 0x17; i++) t[i] = e('#sse Ex');
  for (let i = 0x18; i <= 0x1f; i++) t[i] = e('nop Ev');
  t[0x20] = e('mov Rd,Cd'); t[0x21] = e('mov Rd,Dd'); t[0x22] = e('mov Cd,Rd'); t[0x23] = e('mov Dd,Rd');
  for (let i = 0x28; i <= 0x2f; i++) t[i] = e('#sse Ex');
  t[0x30] = e('wrmsr'); t[0x31] = e('rdtsc'); t[0x32] = e('rdmsr'); t[0x33] = e('rdpmc');
  for (let i = 0; i < 16; i++) {
    t[0x40 + i] = e(`cmov${CC[i]} Gv,Ev`);
    t[0x80 + i] = e(`j${CC[i]} Jz`);
    t[0x90 + i] = e(`set${CC[i]} Eb`);
  }
  for (let i = 0x50; i <= 0x7f; i++) t[i] = e('#sse Ex');
  t[0xa0] = e('push FS'); t[0xa1] = e('pop FS'); t[0xa2] = e('cpuid'); t[0xa3] = e('bt Ev,Gv');
  t[0xa4] = e('shld Ev,Gv,Ib'); t[0xa5] = e('shld Ev,Gv,CL');
  t[0xa8] = e('push GS'); t[0xa9] = e('pop GS'); t[0xab] = e('bts Ev,Gv');
  t[0xac] = e('shrd Ev,Gv,Ib'); t[0xad] = e('shrd Ev,Gv,CL'); t[0xae] = e('#fxsave Ex');
  t[0xaf] = e('imul Gv,Ev');
  t[0xb0] = e('cmpxchg Eb,Gb'); t[0xb1] = e('cmpxchg Ev,Gv');
  t[0xb2] = e('lss Gv,Mp'); t[0xb3] = e('btr Ev,Gv');
  t[0xb4] = e('lfs Gv,Mp'); t[0xb5] = e('lgs Gv,Mp');
  t[0xb6] = e('movzx Gv,Eb'); t[0xb7] = e('movzx Gv,Ew');
  t[0xb9] = e('ud1 Gv,Ev'); t[0xba] = e('#grp8 Ev,Ib'); t[0xbb] = e('btc Ev,Gv');
  t[0xbc] = e('bsf Gv,Ev'); t[0xbd] = e('bsr Gv,Ev');
  t[0xbe] = e('movsx Gv,Eb'); t[0xbf] = e('movsx Gv,Ew');
  t[0xc0] = e('xadd Eb,Gb'); t[0xc1] = e('xadd Ev,Gv');
  for (let i = 0xc2; i <= 0xc6; i++) t[i] = e('#sse Ex');
  t[0xc7] = e('#grp9 M');
  for (let i = 0; i < 8; i++) t[0xc8 + i] = e(`bswap ${R32[i]}`);
  for (let i = 0xd0; i <= 0xff; i++) t[i] = e('#sse Ex');
  t[0xff] = e('ud0 Gv,Ev');
  return t;
}

/** Groups indexed by ModRM.reg. Operands of the group row apply unless the entry has its own. */
export const GROUPS: Readonly<Record<string, readonly OpEntry[]>> = {
  grp1: ALU.map((m) => e(m)),
  grp1a: ['pop', '', '', '', '', '', '', ''].map(e),
  grp2: ['rol', 'ror', 'rcl', 'rcr', 'shl', 'shr', 'sal', 'sar'].map(e),
  grp3: ['test *I', 'test *I', 'not', 'neg', 'mul', 'imul', 'div', 'idiv'].map(e),
  grp4: ['inc', 'dec', '', '', '', '', '', ''].map(e),
  grp5: ['inc', 'dec', 'call', 'callf *Mp', 'jmp', 'jmpf *Mp', 'push', ''].map(e),
  grp6: ['sldt', 'str', 'lldt', 'ltr', 'verr', 'verw', '', ''].map(e),
  grp7: ['sgdt *Ms', 'sidt *Ms', 'lgdt *Ms', 'lidt *Ms', 'smsw *Ew', '', 'lmsw *Ew', 'invlpg *Mb'].map(e),
  grp8: ['', '', '', '', 'bt', 'bts', 'btr', 'btc'].map(e),
  grp9: ['', 'cmpxchg8b *Mq', '', '', '', '', 'rdrand *Rv', 'rdseed *Rv'].map(e),
  grp11: ['mov', '', '', '', '', '', '', ''].map(e),
};

export const ONE_BYTE: readonly OpEntry[] = buildOne();
export const TWO_BYTE: readonly OpEntry[] = buildTwo();

/** Resolve the entry for an opcode, following a group through ModRM.reg. */
export function resolveEntry(twoByte: boolean, op: number, modrmReg: number): OpEntry {
  const base = (twoByte ? TWO_BYTE : ONE_BYTE)[op];
  if (base.m[0] !== '#' || base.m === '#prefix' || base.m === '#0f') return base;
  const g = GROUPS[base.m.slice(1)];
  if (!g) return base; // #fpu, #sse: whole-row escapes
  const sub = g[modrmReg];
  if (sub.m === '') return U;
  if (sub.o.length > 0 && sub.o[0].startsWith('*')) {
    // '*I' in grp3 means: group operands plus an immediate of the operand's size.
    if (sub.o[0] === '*I') return { m: sub.m, o: [base.o[0], base.o[0] === 'Eb' ? 'Ib' : 'Iz'] };
    return { m: sub.m, o: [sub.o[0].slice(1)] };
  }
  return { m: sub.m, o: base.o };
}

/** Does this opcode take a ModRM byte? */
export function hasModrm(twoByte: boolean, op: number): boolean {
  const ent = (twoByte ? TWO_BYTE : ONE_BYTE)[op];
  if (ent.m[0] === '#') return ent.m !== '#prefix' && ent.m !== '#0f';
  return ent.o.some((x) => /^[EGMRSCD]([a-z]|$)/.test(x));
}

export const CONDITION_NAMES: readonly string[] = CC;

// Per-opcode facts that the decoder (may LOCK prefix it?), the block
// compiler (may it sit inside a compiled block, or end one? does it write
// memory besides through ModRM?) and the disassembler (LOCK-able forms get
// objdump's xacquire/xrelease names) need, written once here and read by all
// of them through the opcode rows (op-rows.ts, `row.facts`). Keys are
// (opcode, ModRM.reg): opcode 0x00-0xFF, or 0x100 + second byte for 0F xx,
// as Inst.op; every reg for opcodes without a group. Facts that depend on
// the decoded instance (REP present, mod = 3) stay with the reader: LOCK
// additionally needs a memory operand, strings with REP do not enter blocks.

/** LOCK allowed (with a memory destination), per the Intel SDM vol. 2 LOCK page. */
export const F_LOCK = 1;
/** May sit inside a compiled block: no mode, interrupt-flag, icount-reader or control effects. */
export const F_BLOCK = 2;
/** A near control transfer inside the code segment: may end a compiled block. */
export const F_ENDS_BLOCK = 4;
/** Writes memory other than through its ModRM operand (stack, string, moffs). */
export const F_IMPLICIT_WRITE = 8;
/** A buffered non-deterministic instruction (its result comes from the input source). */
export const F_ND = 16;

/** FACTS[(op << 3) | reg]: the F_* bits of that row. */
const FACTS = new Uint8Array(512 * 8);

const key = (op: number, reg: number): number => (op << 3) | reg;

/** Give opcodes a..b (every reg, or only the regs listed) the bits `f`. */
function set(f: number, a: number, b = a, regs: readonly number[] = [0, 1, 2, 3, 4, 5, 6, 7]): void {
  for (let op = a; op <= b; op++) for (const r of regs) FACTS[key(op, r)] |= f;
}

// LOCK: ADD, OR, ADC, SBB, AND, SUB, XOR (not CMP) with a memory destination,
// their group-1 forms (82 is 80's alias outside 64-bit mode), XCHG, NOT/NEG,
// INC/DEC, BTS/BTR/BTC, CMPXCHG, CMPXCHG8B, XADD. objdump agrees on 82.
for (let op = 0; op < 0x38; op += 8) set(F_LOCK, op, op + 1);
set(F_LOCK, 0x80, 0x83, [0, 1, 2, 3, 4, 5, 6]);
set(F_LOCK, 0x86, 0x87);
set(F_LOCK, 0xf6, 0xf7, [2, 3]);
set(F_LOCK, 0xfe, 0xff, [0, 1]);
for (const op of [0x1ab, 0x1b3, 0x1bb, 0x1b0, 0x1b1, 0x1c0, 0x1c1]) set(F_LOCK, op);
set(F_LOCK, 0x1ba, 0x1ba, [5, 6, 7]);
set(F_LOCK, 0x1c7, 0x1c7, [1]);

// Block members: ALU, inc/dec/push/pop reg, moves, test, xchg, lea, shifts,
// mul/div (which fault only through #DE, handled like any fault), bit ops,
// cmov/setcc, bswap, string ops (without REP).
for (let op = 0; op < 0x40; op++) if ((op & 7) < 6) set(F_BLOCK, op);
set(F_BLOCK, 0x40, 0x5f);
for (const op of [0x68, 0x69, 0x6a, 0x6b, 0x84, 0x85, 0x86, 0x87, 0x88, 0x89, 0x8a, 0x8b, 0x8d, 0x98, 0x99, 0xa8, 0xa9, 0xc6, 0xc7]) set(F_BLOCK, op);
set(F_BLOCK, 0x80, 0x83);
set(F_BLOCK, 0x90, 0x97);
set(F_BLOCK, 0xa0, 0xaf);
set(F_BLOCK, 0xb0, 0xbf);
for (const op of [0xc0, 0xc1, 0xd0, 0xd1, 0xd2, 0xd3, 0xf6, 0xf7]) set(F_BLOCK, op);
for (const op of [0x1a3, 0x1a4, 0x1a5, 0x1ab, 0x1ac, 0x1ad, 0x1af, 0x1b3, 0x1b6, 0x1b7, 0x1ba, 0x1bb, 0x1bc, 0x1bd, 0x1be, 0x1bf, 0x1c0, 0x1c1]) set(F_BLOCK, op);
set(F_BLOCK, 0x140, 0x14f);
set(F_BLOCK, 0x190, 0x19f);
set(F_BLOCK, 0x1c8, 0x1cf);
set(F_BLOCK, 0xfe, 0xfe, [0, 1]);
set(F_BLOCK, 0xff, 0xff, [0, 1, 6]);
set(F_BLOCK, 0x8f, 0x8f, [0]);

// Block enders: Jcc, JMP/CALL near, RET near, LOOP/JCXZ, CALL/JMP near indirect.
set(F_ENDS_BLOCK, 0x70, 0x7f);
set(F_ENDS_BLOCK, 0x180, 0x18f);
for (const op of [0xe8, 0xe9, 0xeb, 0xc2, 0xc3, 0xe0, 0xe1, 0xe2, 0xe3]) set(F_ENDS_BLOCK, op);
set(F_ENDS_BLOCK, 0xff, 0xff, [2, 4]);

// Implicit memory writes: push, moffs store and string stores, near call, pop to memory.
set(F_IMPLICIT_WRITE, 0x50, 0x57);
set(F_IMPLICIT_WRITE, 0x68);
set(F_IMPLICIT_WRITE, 0x6a);
set(F_IMPLICIT_WRITE, 0xa2, 0xa5); // MOV moffs, AL/eAX; MOVS
set(F_IMPLICIT_WRITE, 0xaa, 0xab); // STOS
set(F_IMPLICIT_WRITE, 0xe8);
set(F_IMPLICIT_WRITE, 0xff, 0xff, [6]);
set(F_IMPLICIT_WRITE, 0x8f);

// Buffered ND instructions: RDTSC, RDRAND, RDSEED.
set(F_ND, 0x131);
set(F_ND, 0x1c7, 0x1c7, [6, 7]);

/** The facts of row (op, reg); read them through opRow(op, reg).facts. */
export function opFacts(op: number, reg: number): number {
  return FACTS[key(op, reg)];
}

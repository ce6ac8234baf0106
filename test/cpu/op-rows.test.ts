// The opcode rows (src/cpu/op-rows.ts) against what the code does: every
// row's handler exists, the decoder yields exactly the rows there are, the
// per-opcode facts agree with the row's effects, and the flags a row says an
// instruction reads and writes are the ones its handler reads and writes.

import { describe, it, expect } from 'vitest';
import { Machine } from '../../src/machine/machine.js';
import { HostInputSource } from '../../src/replay/input-source.js';
import { decode } from '../../src/cpu/decoder.js';
import { FAULT } from '../../src/cpu/cpu.js';
import { TABLES, lookup, rowHandlers, undefinedOpcode } from '../../src/cpu/dispatch.js';
import { FAST_HANDLERS } from '../../src/cpu/ops/fast-paths.js';
import { ROWS, opRow, type OpRow } from '../../src/cpu/op-rows.js';
import { F_BLOCK, F_ENDS_BLOCK, F_IMPLICIT_WRITE, F_LOCK, F_ND } from '../../src/cpu/op-facts.js';
import { MEM_DATA, MEM_STACK, MEM_STRING, knownMnemonics } from '../../src/cpu/op-effects.js';
import { ARITH, DF } from '../../src/cpu/flags.js';
import { ONE_BYTE, TWO_BYTE } from '../../src/cpu/opcode-table.js';

const PREFIXES = new Set([0x26, 0x2e, 0x36, 0x3e, 0x64, 0x65, 0x66, 0x67, 0xf0, 0xf2, 0xf3]);
const AT = 0x1000;

function machine(): Machine {
  return new Machine({ ramBytes: 1 << 20, input: new HostInputSource() });
}

/** Decode `bytes` at AT in real mode (16-bit code). */
function decodeBytes(m: Machine, bytes: number[]): ReturnType<typeof decode> {
  m.mem.ram.fill(0, AT, AT + 32);
  m.mem.ram.set(bytes, AT);
  m.cpu.notePhysWrite(AT, 32);
  return decode(m.cpu, AT);
}

/** Opcode bytes, a ModRM byte with this reg and mod (when the row has one), then immediates. */
function encode(op: number, reg: number, mod: number, imm: readonly number[] = [0x0a, 0x03, 0x01, 0x00, 0x05, 0x00]): number[] {
  const head = op >= 0x100 ? [0x0f, op & 0xff] : [op];
  const modrm = opRow(op, 0).modrm ? [(mod << 6) | (reg << 3) | (mod === 3 ? 1 : 7)] : [];
  return [...head, ...modrm, ...imm];
}

describe('opcode rows', () => {
  it('every row names a group whose table holds its handler; ud rows have none', () => {
    const missing: string[] = [];
    for (const row of ROWS) {
      const k = (row.op << 3) | row.reg;
      const { h16, h32 } = rowHandlers(row.op, row.reg);
      if (row.group === 'ud' || row.group === 'prefix') {
        if (h16 !== undefinedOpcode || h32 !== undefinedOpcode) missing.push(`${row.op.toString(16)}/${row.reg} is ${row.group} but has a handler`);
        continue;
      }
      const inTable = TABLES[row.group].filter((t) => t.h16[k] !== undefined);
      if (inTable.length !== 1 || inTable[0].h16[k] !== h16 || inTable[0].h32[k] !== h32) missing.push(`${row.op.toString(16)}/${row.reg} ${row.form.m}: not one handler in ${row.group}`);
    }
    expect(missing).toEqual([]);
  });

  it('every table handler belongs to a row of its group', () => {
    for (const [g, ts] of Object.entries(TABLES)) {
      for (const t of ts) for (const k of t.keys()) expect(ROWS[k].group, `${(k >> 3).toString(16)}/${k & 7}`).toBe(g);
    }
  });

  it('the fast paths are what the decoder picks for their forms', () => {
    let n = 0;
    for (const k of FAST_HANDLERS.keys()) {
      const op = k >> 3, reg = k & 7;
      const mod = opRow(op, reg).modrm ? 3 : -1;
      for (const o32 of [false, true]) {
        const fast = (o32 ? FAST_HANDLERS.fast32 : FAST_HANDLERS.fast16)[k];
        const form = (o32 ? FAST_HANDLERS.reg32 : FAST_HANDLERS.reg16)[k];
        const mem = (o32 ? FAST_HANDLERS.mem32 : FAST_HANDLERS.mem16)[k];
        if (fast) expect(lookup(op, reg, o32, mod)).toBe(fast);
        else if (form) expect(lookup(op, reg, o32, 3)).toBe(form);
        if (!fast && mem) expect(lookup(op, reg, o32, 0)).toBe(mem);
        n++;
      }
    }
    expect(n).toBeGreaterThan(100);
  });

  it('every mnemonic of the opcode map has effects, and every effect names a mnemonic of the map', () => {
    const names = new Set(ROWS.map((r) => r.form.m).filter((m) => m !== ''));
    const known = new Set(knownMnemonics());
    expect([...names].filter((n) => !known.has(n))).toEqual([]);
    expect([...known].filter((n) => !names.has(n))).toEqual([]);
  });

  it('the decoder yields a row for every opcode byte and ModRM.reg, its handler, and never a prefix row', () => {
    const m = machine();
    const seen = new Set<number>();
    const wrong: string[] = [];
    const firsts = [...Array(256).keys()].filter((b) => !PREFIXES.has(b) && b !== 0x0f);
    const ops = [...firsts, ...[...Array(256).keys()].map((b) => 0x100 | b)];
    for (const op of ops) {
      for (let reg = 0; reg < 8; reg++) {
        for (const mod of [0, 3]) {
          for (const o32 of [false, true]) {
            const inst = decodeBytes(m, [...(o32 ? [0x66] : []), ...encode(op, reg, mod)]);
            const row = opRow(inst.op, inst.reg);
            for (let r = 0; r < 8; r++) if (r === inst.reg || !row.modrm) seen.add((inst.op << 3) | r);
            if (inst.op !== op) wrong.push(`${op.toString(16)} decoded as ${inst.op.toString(16)}`);
            const expected = lookup(inst.op, inst.reg, o32, row.modrm ? mod : -1);
            if (inst.fn !== expected) wrong.push(`${op.toString(16)}/${reg} mod ${mod}: not the dispatch handler`);
            if ((inst.fn === undefinedOpcode) !== (row.group === 'ud')) wrong.push(`${op.toString(16)}/${reg} (${row.group}) handler ${inst.fn === undefinedOpcode ? 'is' : 'is not'} #UD`);
          }
        }
      }
    }
    expect(wrong).toEqual([]);
    const unseen = ROWS.filter((r) => !seen.has((r.op << 3) | r.reg)).map((r) => r.group);
    expect(new Set(unseen)).toEqual(new Set(['prefix']));
    expect(ROWS.filter((r) => r.group === 'prefix').every((r) => !seen.has((r.op << 3) | r.reg))).toBe(true);
  });

  it('LOCK on a row without F_LOCK, or on a register operand, decodes to #UD; with F_LOCK and memory, to the handler', () => {
    const m = machine();
    for (const row of ROWS) {
      if (row.group === 'prefix' || row.group === 'ud' || !row.modrm) continue;
      const inst = decodeBytes(m, [0xf0, ...encode(row.op, row.reg, 0)]);
      expect(inst.fn === undefinedOpcode, `${row.op.toString(16)}/${row.reg}`).toBe((row.facts & F_LOCK) === 0);
      if (row.facts & F_LOCK) expect(decodeBytes(m, [0xf0, ...encode(row.op, row.reg, 3)]).fn).toBe(undefinedOpcode);
    }
  });

  it('per-opcode facts agree with the row effects', () => {
    for (const r of ROWS.filter((row) => row.group !== 'ud')) {
      const at = `${r.op.toString(16)}/${r.reg} ${r.form.m}`;
      if (r.facts & F_LOCK) expect(r.memOperand, at).toBe('rmw');
      if (r.facts & F_ENDS_BLOCK) expect(r.control, at).toBe('branch');
      if (r.facts & F_BLOCK) expect(r.control, at).toBe('none');
      if (r.facts & F_ND) expect(r.control, at).toBe('nd');
      if (r.facts & F_IMPLICIT_WRITE) expect(r.mem & (MEM_STACK | MEM_STRING | MEM_DATA), at).not.toBe(0);
    }
  });

  it('forms are the opcode map entries resolved through ModRM.reg', () => {
    expect(opRow(0x80, 7).form).toEqual({ m: 'cmp', o: ['Eb', 'Ib'] });
    expect(opRow(0xf7, 0).form).toEqual({ m: 'test', o: ['Ev', 'Iz'] });
    expect(opRow(0x1c7, 1).form).toEqual({ m: 'cmpxchg8b', o: ['Mq'] });
    expect(opRow(0x20, 3).mapEntry).toBe(ONE_BYTE[0x20]);
    expect(opRow(0x1a2, 0).mapEntry).toBe(TWO_BYTE[0xa2]);
    expect(opRow(0xd8, 2).group).toBe('fpu');
  });
});

// ---- flags: what the row says against what the handler does ----

/** Deterministic pseudo-random 32-bit values. */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s ^ (s >>> 15);
  };
}

const CHECKED = new Set(['alu', 'shift', 'muldiv', 'move', 'bit', 'bcd', 'flag']);
const VISIBLE = ARITH | DF;

/** Register-form rows whose handler touches nothing but registers and flags. */
function flagRows(): OpRow[] {
  return ROWS.filter((r) => CHECKED.has(r.group) && r.control === 'none' && r.mem === 0 && r.form.m !== 'nop'
    && !r.form.o.some((o) => o[0] === 'M'));
}

/** Run `inst` from registers `regs` and flags `fl`; null if it faulted. */
function run(m: Machine, inst: ReturnType<typeof decode>, regs: Int32Array, fl: number): { regs: number[]; fl: number } | null {
  const c = m.cpu;
  c.regs.set(regs);
  c.setEflags(fl);
  try {
    inst.fn(c, inst);
  } catch (e) {
    if (e === FAULT) return null;
    throw e;
  }
  return { regs: [...c.regs], fl: c.getEflags() & VISIBLE };
}

describe('row flags against the handlers', () => {
  const rows = flagRows();

  it('covers the arithmetic families', () => {
    const names = new Set(rows.map((r) => r.form.m));
    for (const n of ['add', 'adc', 'sbb', 'cmp', 'inc', 'shl', 'rcl', 'shld', 'mul', 'div', 'bt', 'bsf', 'daa', 'aam', 'cmc', 'setb', 'cmovle', 'sahf', 'xadd', 'cmpxchg']) {
      expect(names.has(n), n).toBe(true);
    }
  });

  it('an instruction changes no flag outside flagsWritten, and a flag outside flagsRead changes nothing else', () => {
    const m = machine();
    const next = rng(12345);
    const bad: string[] = [];
    for (const row of rows) {
      for (const o32 of [false, true]) {
        const imm = [next() & 0xff, next() & 0xff, next() & 0xff, next() & 0xff, 0, 0];
        if (row.form.m === 'aam' && imm[0] === 0) imm[0] = 10;
        const inst = decodeBytes(m, [...(o32 ? [0x66] : []), ...encode(row.op, row.reg, 3, imm)]);
        const at = `${row.op.toString(16)}/${row.reg} ${row.form.m}${o32 ? ' o32' : ''}`;
        for (let trial = 0; trial < 24; trial++) {
          const regs = Int32Array.from({ length: 8 }, () => (trial & 3) === 0 ? next() & 0x1f : next() | 0);
          const fl = next() & VISIBLE;
          const a = run(m, inst, regs, fl);
          if (a === null) continue;
          if ((a.fl ^ fl) & ~row.flagsWritten & VISIBLE) bad.push(`${at}: changed ${((a.fl ^ fl) & ~row.flagsWritten).toString(16)}`);
          const flip = next() & VISIBLE & ~row.flagsRead;
          const b = run(m, inst, regs, fl ^ flip);
          const expectFl = a.fl ^ (flip & ~row.flagsWritten);
          if (b === null || b.fl !== expectFl || b.regs.join() !== a.regs.join()) bad.push(`${at}: flipping ${flip.toString(16)} (not read) changed the result`);
        }
      }
    }
    expect([...new Set(bad.map((b) => b.replace(/flipping \w+/, 'flipping').replace(/changed \w+$/, 'changed')))]).toEqual([]);
  });
});

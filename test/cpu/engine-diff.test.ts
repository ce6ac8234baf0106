// The block compiler against the interpreter on random instructions (issue 16;
// generator in test/cpu/gen/random-insns.ts, design in docs/jit-design.md
// "Engine-diff testing"): seeded random blocks (operand sizes 8/16/32, ModRM,
// SIB and 16-bit addressing, prefixes, LOCK, REP strings, faults, stores into
// the code page; 32- and 16-bit code segments and real mode; timer interrupts) compared in
// lockstep after chunks of random length.
// Bounded here; `npm run fuzz -- --jit [CASES [SEED]]` runs it long.
import { describe, expect, it } from 'vitest';
import { rng } from '../fuzz/harness.js';
import { caseOf, compareAt, diffCase, engineFuzz } from './gen/random-insns.js';

describe('engine diff: random instructions, interpreter vs block compiler', () => {
  it('30 seeded cases: the same registers, flags, memory, icount and fault state after every chunk', () => {
    const { found, stats } = engineFuzz(30, 1, rng);
    expect(found.map((f) => `case ${f.index}: icount ${f.diff.icount}, ${f.diff.insn}\n  interpreter ${f.diff.interp}\n  compiled    ${f.diff.compiled}`)).toEqual([]);
    expect(stats.cases).toBe(30);
    expect(stats.capped).toBe(0);
    // The compiled side did run compiled code, and self-modifying code dropped some of it.
    expect(stats.compiledInsns / stats.insns).toBeGreaterThan(0.2);
    expect(stats.invalidations).toBeGreaterThan(0);
    expect(stats.irqs).toBeGreaterThan(0);
  }, 60_000);

  it('timer interrupts into a compiled loop are taken at the same instruction boundaries', () => {
    // add eax, ebx; xor ecx, eax; shl edx, 1; adc esi, edx; inc dword [0x8000]; about every 50 instructions an IRQ 0.
    const body = [0x01, 0xd8, 0x31, 0xc1, 0xd1, 0xe2, 0x11, 0xd6, 0xff, 0x05, 0x00, 0x80, 0x00, 0x00];
    for (const pit of [60, 61, 97]) {
      const stats = { cases: 0, insns: 0, compiledInsns: 0, invalidations: 0, irqs: 0, capped: 0 };
      expect(diffCase(caseOf(body, 400, pit), rng(pit), 1, stats)).toBeNull();
      expect(stats.irqs).toBeGreaterThan(20);
      expect(stats.compiledInsns / stats.insns).toBeGreaterThan(0.5);
    }
  });

  it('CDQ as the only user of EAX in a block (it read an undeclared local: ReferenceError, fixed)', () => {
    expect(diffCase(caseOf([0x99]), rng(1), 1)).toBeNull();
    expect(diffCase(caseOf([0x66, 0x99]), rng(1), 1)).toBeNull();
    // And in a 16-bit code segment, where 99 is CWD and 66 99 is CDQ.
    expect(diffCase(caseOf([0x99], 8, 0, true), rng(1), 1)).toBeNull();
    expect(diffCase(caseOf([0x66, 0x99], 8, 0, true), rng(1), 1)).toBeNull();
  });

  it('MOV r/m, imm with a ModRM reg field other than 0 (C6 /1-/7, C7 /1-/7) raises #UD (the JIT compiled it as MOV: fixed)', () => {
    for (const m16 of [false, true]) {
      for (const body of [[0x01, 0xd8, 0xc6, 0xff, 0x90], [0x01, 0xd8, 0xc6, 0xc8, 0x90], [0x01, 0xd8, 0xc7, 0xc8, 0x90, 0x90, 0x90, 0x90], [0x01, 0xd8, 0xc6, 0xf8, 0x90]]) {
        expect(diffCase(caseOf(body, 8, 0, m16), rng(1), 1), `${body.map((x) => x.toString(16)).join(' ')} m16=${m16}`).toBeNull();
      }
    }
  });

  it('real mode with a CS base that is not page-aligned: compiled code keeps EIP normalised (it gave 2^32 + IP: fixed)', () => {
    // CS 0x1003 (base 0x10030) lies inside its code's first page: that page's fetch base is 0xFFFFFFD0,
    // and compiled code set EIP = fetch base + offset = 2^32 + IP. Body: mov cx, 3; add ax, bx; loop (back to the add).
    const body = [0xb9, 0x03, 0x00, 0x01, 0xd8, 0xe2, 0xfc];
    expect(diffCase(caseOf(body, 8, 0, 'real'), rng(1), 1)).toBeNull();
    expect(diffCase(caseOf(body, 8, 50, 'real'), rng(2), 2)).toBeNull();
    // First found by an opcode sweep: MOV CR0, EBP (0x12345678: PE and PG off) drops to real mode and the
    // code that follows reaches CS 0x46 (base 0x460) and runs zeros.
    const sweep = [0x01, 0xd8, 0x0f, 0x22, 0x05, 0x00, 0x90, 0x00, 0x00, 0x11, 0x22, 0x33, 0x44, 0x90, 0x90, 0x90, 0x90, 0x90, 0x90];
    expect(compareAt(caseOf(sweep, 6), 1, 6358)).toBeNull();
  }, 30_000);

  it('a planted difference is found at its instruction', () => {
    // mov eax, [0x20000]: the compiled side's RAM there (outside what is compared) is changed.
    const g = caseOf([0xa1, 0x00, 0x00, 0x02, 0x00]);
    const d = diffCase(g, rng(1), 1, undefined, (m) => { m.mem.ram[0x20001] = 0x5a; });
    expect(d).not.toBeNull();
    // 16 prologue instructions, the resume point's store, then the load.
    expect(d!.icount).toBe(18);
    expect(d!.insn).toMatch(/a1 00 00 02 00\s+mov\s+eax,ds:0x20000/);
  });
});

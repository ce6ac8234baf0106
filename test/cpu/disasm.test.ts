// The disassembler against GNU objdump: every instruction objdump lists for
// the fixtures' code (test/data/disasm/*.txt, made by
// scripts/gen-disasm-ref.mjs) must come out with the same length and text.
// Each instruction is disassembled at objdump's address, so one difference
// cannot hide the ones after it. Data inside code (strings, tables) is
// compared too: both tools decode it as the same garbage.
//
// A second reference, test/data/disasm/sweep-{32,16}.tsv, holds objdump's
// reading of every one-byte and 0F opcode with each ModRM.reg, three ModRM
// forms and each kind of prefix; differences there are allowed only for the
// extensions listed in knownDifference().
//
// Normalisation of objdump's text (the whole list):
//   1. trailing whitespace is dropped (objdump pads the mnemonic column even
//      when no operand follows).
//
// DISASM_REPORT=file writes every difference to a file.

import { describe, expect, it } from 'vitest';
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { disassemble } from '../../src/cpu/disasm.js';
import { disassembleAtEip, type FetchView } from '../../src/cpu/disasm-fetch.js';
import { PhysicalMemory } from '../../src/memory/phys.js';
import { opRow } from '../../src/cpu/op-rows.js';

const HERE = dirname(fileURLToPath(import.meta.url));
const DATA = join(HERE, '../data/disasm');
const FIXTURES = join(HERE, '../../fixtures');

interface RefInsn {
  addr: number;
  len: number;
  text: string;
}

interface Listing {
  fixture: string;
  offset: number;
  length: number;
  vma: number;
  mode32: boolean;
  insns: RefInsn[];
}

const normalise = (s: string): string => s.replace(/\s+$/, '');

function readListing(file: string): Listing {
  const lines = readFileSync(join(DATA, file), 'latin1').split('\n');
  const head = /^# fixture=(\S+) offset=(0x[0-9a-f]+) length=(0x[0-9a-f]+) vma=(0x[0-9a-f]+) mode=(16|32)$/.exec(lines[0]);
  if (!head) throw new Error(`${file}: bad header line`);
  const insns: RefInsn[] = [];
  for (const line of lines) {
    const m = /^\s*([0-9a-f]+):\t([0-9a-f ]+)\t(.*)$/.exec(line);
    if (!m) continue; // '#' header, blank, or '...' (objdump skipping a run of zero bytes)
    insns.push({ addr: parseInt(m[1], 16), len: m[2].trim().split(/\s+/).length, text: normalise(m[3]) });
  }
  return {
    fixture: head[1],
    offset: Number(head[2]),
    length: Number(head[3]),
    vma: Number(head[4]),
    mode32: head[5] === '32',
    insns,
  };
}

const listings = readdirSync(DATA).filter((f) => f.endsWith('.txt')).sort().map(readListing);
const report: string[] = [];
let total = 0;
let matched = 0;

describe('disassemble matches objdump -Mintel on fixture code', () => {
  for (const l of listings) {
    it(`${l.fixture}: every instruction has objdump's length and text`, () => {
      const bytes = new Uint8Array(readFileSync(join(FIXTURES, l.fixture))).subarray(l.offset, l.offset + l.length);
      const diffs: string[] = [];
      for (const ref of l.insns) {
        const got = disassemble(bytes, ref.addr - l.vma, ref.addr, l.mode32);
        total++;
        if (got.len === ref.len && got.text === ref.text) {
          matched++;
          continue;
        }
        const hexBytes = Array.from(bytes.subarray(ref.addr - l.vma, ref.addr - l.vma + Math.max(ref.len, got.len)), (b) => b.toString(16).padStart(2, '0')).join(' ');
        diffs.push(`${l.fixture} ${ref.addr.toString(16)}: ${hexBytes}\n  objdump ${ref.len} ${ref.text}\n  vmrr    ${got.len} ${got.text}`);
      }
      report.push(...diffs);
      if (process.env.DISASM_REPORT) writeFileSync(process.env.DISASM_REPORT, `${matched}/${total} match\n` + report.join('\n') + '\n');
      expect(diffs.slice(0, 20).join('\n'), `${diffs.length} of ${l.insns.length} differ`).toBe('');
    });
  }
});

// Encodings objdump knows and this disassembler deliberately does not name:
// extensions a 32-bit vmrr guest cannot execute, which the shared opcode
// table leaves as bare escapes or undefined. A sweep sample that differs
// from objdump must fall in one of these, or the test fails.
function knownDifference(b: Uint8Array): string | null {
  let i = 0;
  while ([0x26, 0x2e, 0x36, 0x3e, 0x64, 0x65, 0x66, 0x67, 0xf0, 0xf2, 0xf3].includes(b[i])) i++;
  const mandatory = b.subarray(0, i).some((p) => p === 0x66 || p === 0xf2 || p === 0xf3);
  const op = b[i];
  const reg = (b[i + 1] >> 3) & 7;
  const mod = b[i + 1] >> 6;
  if (op === 0xc4 || op === 0xc5 || op === 0x62) return mod === 3 ? 'VEX/EVEX prefixes' : null;
  if (op === 0x8f) return reg !== 0 ? 'XOP prefix' : null;
  if (op !== 0x0f) return null;
  const op2 = b[i + 1];
  const reg2 = (b[i + 2] >> 3) & 7;
  const mod2 = b[i + 2] >> 6;
  const ent = opRow(0x100 | op2, 0).mapEntry;
  if (ent.m === '#sse' || ent.m === '') return 'SSE, MMX, 3DNow!, the 0F 38/0F 3A maps and other 0F rows the table leaves undefined';
  if (op2 === 0x1a || op2 === 0x1b) return 'MPX (0F 1A/1B hint NOPs)';
  if (op2 === 0x01 && mod2 === 3) return 'VMX, SVM, TSX and other 0F 01 register forms';
  if (op2 === 0xc7 && mod2 !== 3 && reg2 >= 3) return 'XSAVES family and VMX (0F C7 /3-/7)';
  if (mandatory && [0x09, 0xae, 0xbc, 0xbd].includes(op2)) return 'mandatory-prefix forms (wbnoinvd, clwb, tpause, rdfsbase, F2 BSF/BSR)';
  return null;
}

describe('disassemble matches objdump on a sweep of every opcode, ModRM form and prefix', () => {
  for (const mode of [32, 16]) {
    it(`${mode}-bit: each sample matches objdump or is a listed extension`, () => {
      const lines = readFileSync(join(DATA, `sweep-${mode}.tsv`), 'latin1').split('\n').filter((l) => l && !l.startsWith('#'));
      const excused = new Map<string, number>();
      const diffs: string[] = [];
      let same = 0;
      for (const line of lines) {
        const [hexBytes, len, text] = line.split('\t');
        const b = Uint8Array.from(hexBytes.match(/../g)!.map((h) => parseInt(h, 16)));
        const got = disassemble(b, 0, 0, mode === 32);
        if (got.len === Number(len) && got.text === normalise(text)) {
          same++;
          continue;
        }
        const why = knownDifference(b);
        if (why) excused.set(why, (excused.get(why) ?? 0) + 1);
        else diffs.push(`${hexBytes}\n  objdump ${len} ${text}\n  vmrr    ${got.len} ${got.text}`);
      }
      if (process.env.DISASM_REPORT) {
        const summary = [...excused].map(([k, v]) => `  ${v} ${k}`).join('\n');
        writeFileSync(`${process.env.DISASM_REPORT}.sweep${mode}`, `${same}/${lines.length} match; differences in listed extensions:\n${summary}\n${diffs.join('\n')}\n`);
      }
      expect(diffs.slice(0, 20).join('\n'), `${diffs.length} unexplained differences`).toBe('');
    });
  }
});

describe('every opcode of the shared table disassembles', () => {
  // Each one-byte and 0F opcode with each ModRM.reg, register and memory
  // forms, followed by enough bytes for any displacement and immediate.
  for (const two of [false, true]) {
    it(`${two ? '0F' : 'one-byte'} map: a mnemonic or (bad) for every opcode and ModRM.reg`, () => {
      const empty: string[] = [];
      for (let op = 0; op < 256; op++) {
        const code = two ? 0x100 | op : op;
        if (opRow(code, 0).group === 'prefix') continue;
        for (let reg = 0; reg < 8; reg++) {
          const row = opRow(code, reg);
          for (const mod of row.modrm ? [0, 3] : [0]) {
            const bytes = new Uint8Array(16).fill(0x11);
            let i = 0;
            if (two) bytes[i++] = 0x0f;
            bytes[i++] = op;
            bytes[i] = (mod << 6) | (reg << 3) | 1;
            const got = disassemble(bytes, 0, 0x1000, true);
            const mn = got.text.replace(/^((es|cs|ss|ds|fs|gs|data16|addr16|lock|repz|repnz|rep) )*/, '').split(' ')[0];
            if (!mn || got.len < 1 || got.len > 15) empty.push(`${two ? '0f ' : ''}${op.toString(16)} /${reg} mod=${mod}: '${got.text}' len ${got.len}`);
            // The row and the printed text agree on validity.
            if (!row.modrm && row.form.m !== '' && mn === '(bad)' && !(op === 0xd6 && !two)) {
              empty.push(`${op.toString(16)}: row defines '${row.form.m}' but printed (bad)`);
            }
          }
        }
      }
      expect(empty).toEqual([]);
    });
  }
});

describe('disassemble, examples for divergence reports', () => {
  it('add with a base+disp8 memory operand, 32-bit', () => {
    expect(disassemble(Uint8Array.of(0x03, 0x43, 0x10), 0, 0x1000ab, true)).toEqual({ len: 3, text: 'add    eax,DWORD PTR [ebx+0x10]' });
  });
  it('relative call target is computed from the given address, 16-bit wraps in the segment', () => {
    expect(disassemble(Uint8Array.of(0xe8, 0xfd, 0xff), 0, 0xf0000, false)).toEqual({ len: 3, text: 'call   0xf0000' });
    expect(disassemble(Uint8Array.of(0xe8, 0x00, 0x80), 0, 0x8000, false)).toEqual({ len: 3, text: 'call   0x3' });
  });
  it('an instruction cut off by the end of the bytes shows its first byte, as objdump does', () => {
    expect(disassemble(Uint8Array.of(0xb8, 0x01), 0, 0, true)).toEqual({ len: 1, text: '.byte 0xb8' });
    expect(disassemble(Uint8Array.of(0x26, 0x8b), 0, 0, true)).toEqual({ len: 1, text: 'es' });
    expect(disassemble(Uint8Array.of(0x66), 0, 0, false)).toEqual({ len: 1, text: 'data32' });
  });
});

describe('disassembleAtEip, the instruction a CPU is about to execute', () => {
  const view = (mem: PhysicalMemory, over: Partial<FetchView>): FetchView => ({
    segBase: new Float64Array(6), eip: 0, csD: true, cr0: 0x11, cr3: 0, cr4: 0, mem, ...over,
  });

  it('real mode: reads at CS base + IP and shows 16-bit code at IP', () => {
    const mem = new PhysicalMemory(1 << 20);
    mem.ram.set([0xb8, 0x34, 0x12], 0xf0100);
    const seg = new Float64Array(6);
    seg[1] = 0xf0000;
    expect(disassembleAtEip(view(mem, { segBase: seg, eip: 0x100, csD: false }))).toEqual({ len: 3, text: 'mov    ax,0x1234' });
  });

  it('paging on: translates through the page tables without setting accessed bits', () => {
    const mem = new PhysicalMemory(4 << 20);
    // Page directory at 0x1000, page table at 0x2000 mapping linear 0x400000 to physical 0x3000.
    mem.write32(0x1000 + 4, 0x2000 | 3);
    mem.write32(0x2000, 0x3000 | 3);
    mem.ram.set([0x03, 0x43, 0x10], 0x3000);
    const got = disassembleAtEip(view(mem, { eip: 0x400000, cr0: 0x80000011, cr3: 0x1000 }));
    expect(got).toEqual({ len: 3, text: 'add    eax,DWORD PTR [ebx+0x10]' });
    expect(mem.read32(0x1004) & 0x20).toBe(0);
    expect(mem.read32(0x2000) & 0x20).toBe(0);
  });

  it('an unmapped page gives an empty text instead of a fault', () => {
    const mem = new PhysicalMemory(4 << 20);
    expect(disassembleAtEip(view(mem, { eip: 0x400000, cr0: 0x80000011, cr3: 0x1000 }))).toEqual({ len: 0, text: '' });
  });
});

describe('LOCK-able rows (op-facts.ts) shared by decoder and disassembler', () => {
  it('lock 82 /0 with F2 is named xacquire, as objdump does (82 aliases 80 outside 64-bit mode)', () => {
    const d = disassemble(Uint8Array.from([0xf2, 0xf0, 0x82, 0x00, 0x01]), 0, 0, true);
    expect(d.text).toMatch(/^xacquire lock add/);
  });
});

// The disassembler against GNU objdump: every instruction objdump lists for
// the fixtures' code (test/data/disasm/*.txt, made by
// scripts/gen-disasm-ref.mjs) must come out with the same length and text.
// Each instruction is disassembled at objdump's address, so one difference
// cannot hide the ones after it. Data inside code (strings, tables) is
// compared too: both tools decode it as the same garbage.
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
import { hasModrm, ONE_BYTE, resolveEntry, TWO_BYTE } from '../../src/cpu/opcode-table.js';

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

describe('every opcode of the shared table disassembles', () => {
  // Each one-byte and 0F opcode with each ModRM.reg, register and memory
  // forms, followed by enough bytes for any displacement and immediate.
  for (const two of [false, true]) {
    it(`${two ? '0F' : 'one-byte'} map: a mnemonic or (bad) for every opcode and ModRM.reg`, () => {
      const empty: string[] = [];
      for (let op = 0; op < 256; op++) {
        const ent = (two ? TWO_BYTE : ONE_BYTE)[op];
        if (ent.m === '#prefix' || ent.m === '#0f') continue;
        for (let reg = 0; reg < 8; reg++) {
          for (const mod of hasModrm(two, op) ? [0, 3] : [0]) {
            const bytes = new Uint8Array(16).fill(0x11);
            let i = 0;
            if (two) bytes[i++] = 0x0f;
            bytes[i++] = op;
            bytes[i] = (mod << 6) | (reg << 3) | 1;
            const got = disassemble(bytes, 0, 0x1000, true);
            const mn = got.text.replace(/^((es|cs|ss|ds|fs|gs|data16|addr16|lock|repz|repnz|rep) )*/, '').split(' ')[0];
            if (!mn || got.len < 1 || got.len > 15) empty.push(`${two ? '0f ' : ''}${op.toString(16)} /${reg} mod=${mod}: '${got.text}' len ${got.len}`);
            // The table's own entry and the printed one agree on validity.
            if (!hasModrm(two, op) && resolveEntry(two, op, reg).m !== '' && mn === '(bad)' && !(op === 0xd6 && !two)) {
              empty.push(`${op.toString(16)}: table defines '${resolveEntry(two, op, reg).m}' but printed (bad)`);
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
  it('truncated instruction at the end of the bytes shows as .byte', () => {
    expect(disassemble(Uint8Array.of(0xb8, 0x01), 0, 0, true)).toEqual({ len: 1, text: '.byte 0xb8' });
  });
});

#!/usr/bin/env node
// Compare two reference captures of the same kernel (e.g. QEMU TCG against
// QEMU KVM, i.e. the host CPU) under the per-block masks, and list the
// blocks where they disagree, grouped by instruction form.
//
//   node scripts/difftest/compare.mjs A.json B.json [--verbose]

import { readFileSync } from 'node:fs';

const REG = ['eax', 'ecx', 'edx', 'ebx', 'esp', 'ebp', 'esi', 'edi'];
const SREG = ['es', 'cs', 'ss', 'ds', 'fs', 'gs'];

/** Full register array of a capture result (regs may be stored sparsely). */
export function refRegs(b) {
  if (Array.isArray(b.ref.regs)) return b.ref.regs;
  return REG.map((n, i) => (b.ref.regs?.[n] ?? b.init[i]) >>> 0);
}

/** Scratch memory after the block: pattern pool slice + recorded changes. */
export function refMem(b, pool, size) {
  const mem = Buffer.from(pool.subarray(b.poolOff, b.poolOff + size));
  for (const [off, hex] of b.ref.mem) Buffer.from(hex, 'hex').copy(mem, off);
  return mem;
}

export const DEFAULT_SREGS = [0x10, 0x08, 0x10, 0x10, 0x18, 0x20];

export function refSregs(b) {
  return b.ref.sregs ?? DEFAULT_SREGS;
}

/** Differences between two results of one block, as text lines. */
export function diffResults(b, ra, rb, memA, memB) {
  const out = [];
  const rmask = b.rmask ?? new Array(8).fill(0xffffffff);
  const ga = refRegs({ ...b, ref: ra }), gb = refRegs({ ...b, ref: rb });
  for (let r = 0; r < 8; r++) {
    if (((ga[r] ^ gb[r]) & rmask[r]) !== 0) out.push(`${REG[r]} ${hex(ga[r])} vs ${hex(gb[r])}`);
  }
  if (((ra.eflags ^ rb.eflags) & b.fmask) !== 0) {
    out.push(`eflags ${hex(ra.eflags)} vs ${hex(rb.eflags)} (differing ${hex((ra.eflags ^ rb.eflags) & b.fmask)}, mask ${hex(b.fmask)})`);
  }
  const sa = ra.sregs ?? DEFAULT_SREGS, sb = rb.sregs ?? DEFAULT_SREGS;
  for (let s = 0; s < 6; s++) if (sa[s] !== sb[s]) out.push(`${SREG[s]} ${hex(sa[s])} vs ${hex(sb[s])}`);
  const mmask = new Map(b.mmask ?? []);
  const differs = (i) => ((memA[i] ^ memB[i]) & (mmask.get(i) ?? 0xff)) !== 0;
  for (let i = 0; i < memA.length; i++) {
    if (differs(i)) {
      let j = i;
      while (j < memA.length && differs(j)) j++;
      out.push(`mem[+${hex(i)}..+${hex(j - 1)}] ${memA.subarray(i, j).toString('hex')} vs ${memB.subarray(i, j).toString('hex')}`);
      i = j;
    }
  }
  return out;
}

function hex(v) {
  return '0x' + (v >>> 0).toString(16);
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const [fa, fb] = process.argv.slice(2).filter((x) => !x.startsWith('--'));
  const verbose = process.argv.includes('--verbose');
  const A = JSON.parse(readFileSync(fa, 'utf8'));
  const B = JSON.parse(readFileSync(fb, 'utf8'));
  const image = readFileSync(new URL(`../../test/difftest/${A.kernel}`, import.meta.url));
  const pool = image.subarray(A.pool.addr - A.org);
  const groups = new Map();
  let skipped = 0, differ = 0;
  for (let k = 0; k < A.blocks.length; k++) {
    const a = A.blocks[k], b = B.blocks[k];
    if (a.ref.error || b.ref.error) { skipped++; continue; }
    const d = diffResults(a, a.ref, b.ref, refMem(a, pool, A.scratch.size), refMem(b, pool, A.scratch.size));
    if (!d.length) continue;
    differ++;
    const key = a.forms.join(' ; ');
    if (!groups.has(key)) groups.set(key, []);
    groups.get(key).push({ a, d });
  }
  console.log(`${A.reference} vs ${B.reference}: ${differ} blocks differ, ${skipped} not captured by both`);
  for (const [key, list] of [...groups].sort((x, y) => y[1].length - x[1].length)) {
    console.log(`\n${list.length} x ${key}`);
    for (const { a, d } of list.slice(0, verbose ? 100 : 2)) {
      console.log(`  block ${a.id}: ${a.src.join('; ')}`);
      console.log(`    init ${a.init.map(hex).join(' ')}`);
      for (const line of d) console.log(`    ${line}`);
    }
  }
}

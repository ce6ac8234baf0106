#!/usr/bin/env node
// Generate the differential-test kernel for one seed.
//
//   node scripts/difftest/generate.mjs --seed 1 [--scale 1.0]
//
// Writes test/difftest/cases-<seed>.mb (the Multiboot kernel) and
// scripts/difftest/build/cases-<seed>.{asm,map,meta.json}. The capture step
// (capture.mjs) runs the kernel under QEMU and writes
// test/difftest/reference-<seed>.json. Requires nasm.

import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Rng } from './lib/rng.mjs';
import { Block, SCR, SCR_SIZE, ARITH } from './lib/block.mjs';
import { FAMILIES, MIXABLE } from './lib/families.mjs';
import { kernelSource, ORG } from './lib/kernel.mjs';
import { coverage } from './lib/coverage.mjs';

const HERE = dirname(fileURLToPath(import.meta.url));
const ROOT = resolve(HERE, '..', '..');
export const BUILD = join(HERE, 'build');
export const OUT = join(ROOT, 'test', 'difftest');

/** Blocks per family (before --scale). */
export const PLAN = {
  alu: 600, shift: 360, shiftd: 140, muldiv: 300, unary: 160, bit: 220, setcc: 100, cmovcc: 100,
  bswap: 25, xadd: 50, cmpxchg: 70, cmpxchg8b: 40, movx: 70, mov: 130, lea: 250, stack: 220,
  string: 300, bcd: 150, convert: 30, flags: 60, xchg: 50, xlat: 30, branch: 160, exception: 120,
  segment: 100, prefix: 60, mixed: 400,
};

const POOL_SIZE = 8192;
/** Bytes from a block's start to its first tested instruction. */
export const PROLOGUE = 66;

function parseArgs(argv) {
  const a = { seed: 1, scale: 1 };
  for (let i = 2; i < argv.length; i++) {
    if (argv[i] === '--seed') a.seed = Number(argv[++i]);
    else if (argv[i] === '--scale') a.scale = Number(argv[++i]);
    else if (argv[i] === '--coverage') a.coverage = true;
    else throw new Error(`unknown argument ${argv[i]}`);
  }
  if (!Number.isInteger(a.seed) || a.seed < 0) throw new Error('--seed must be a non-negative integer');
  return a;
}

/** Pattern pool: random bytes mixed with runs and periodic stretches. */
function makePool(rng) {
  const pool = new Uint8Array(POOL_SIZE);
  let i = 0;
  while (i < POOL_SIZE) {
    const len = Math.min(POOL_SIZE - i, rng.range(8, 96));
    const kind = rng.weighted([[5, 'random'], [1, 'zero'], [1, 'ones'], [2, 'periodic'], [1, 'small']]);
    if (kind === 'periodic') {
      const period = rng.pick([1, 2, 4, 8, 16]);
      const pat = Array.from({ length: period }, () => rng.int(256));
      for (let k = 0; k < len; k++) pool[i + k] = pat[k % period];
    } else {
      for (let k = 0; k < len; k++) {
        pool[i + k] = kind === 'random' ? rng.int(256) : kind === 'zero' ? 0 : kind === 'ones' ? 0xff : rng.int(16);
      }
    }
    i += len;
  }
  return pool;
}

function genBlock(b, fam) {
  const rng = b.rng;
  const mixed = fam === 'mixed';
  const n = mixed ? rng.range(3, 6) : rng.weighted([[6, 1], [3, 2], [1, 3]]);
  for (let k = 0; k < n && !b.ended; k++) {
    let ok = false;
    for (let attempt = 0; attempt < 60 && !ok; attempt++) {
      const f = mixed ? rng.pick(MIXABLE) : fam;
      const snap = b.snapshot();
      const res = FAMILIES[f](b);
      if (res) {
        b.forms.push(`${f}:${res}`);
        ok = true;
      } else b.restore(snap);
    }
    if (!ok && k === 0) throw new Error(`block ${b.id}: cannot generate family ${fam}`);
    if (!ok) break;
  }
  b.finalize();
}

function parseMap(text) {
  const sym = new Map();
  for (const line of text.split('\n')) {
    const m = /^\s*([0-9a-f]+)\s+([0-9a-f]+)\s+(\S+)\s*$/i.exec(line);
    if (m) sym.set(m[3], parseInt(m[2], 16));
  }
  return sym;
}

export function generate(seed, scale = 1) {
  const rng = new Rng(seed);
  const pool = makePool(rng);
  const fams = [];
  for (const [f, count] of Object.entries(PLAN)) {
    for (let i = 0; i < Math.max(1, Math.round(count * scale)); i++) fams.push(f);
  }
  rng.shuffle(fams);
  const blocks = fams.map((f, id) => {
    const b = new Block(rng, pool, id, f);
    genBlock(b, f);
    return b;
  });

  mkdirSync(BUILD, { recursive: true });
  mkdirSync(OUT, { recursive: true });
  const asmPath = join(BUILD, `cases-${seed}.asm`);
  const mapPath = join(BUILD, `cases-${seed}.map`);
  const mbPath = join(OUT, `cases-${seed}.mb`);
  writeFileSync(asmPath, kernelSource(blocks, pool, mapPath));
  const lstPath = join(BUILD, `cases-${seed}.lst`);
  execFileSync('nasm', ['-f', 'bin', '-w-number-overflow', '-l', lstPath, '-o', mbPath, asmPath], { stdio: 'inherit' });
  const sym = parseMap(readFileSync(mapPath, 'utf8'));
  const addr = (name) => {
    const v = sym.get(name);
    if (v === undefined) throw new Error(`symbol ${name} missing from map`);
    return v;
  };
  const image = readFileSync(mbPath);

  const meta = {
    seed,
    kernel: `cases-${seed}.mb`,
    org: ORG,
    entry: addr('start'),
    curEnd: addr('cur_end'),
    scratch: { addr: SCR, size: SCR_SIZE },
    pool: { addr: addr('pool'), size: pool.length },
    blocks: blocks.map((b) => {
      const start = addr(`b${b.id}_s`), t = addr(`b${b.id}_t`), e = addr(`b${b.id}_e`);
      if (t - start !== PROLOGUE) throw new Error(`block ${b.id}: prologue is ${t - start} bytes`);
      const out = {
        id: b.id,
        family: b.family,
        forms: b.forms,
        src: b.src,
        start,
        end: e,
        poolOff: b.poolOff,
        init: [...b.init, b.eflags0],
        fmask: (0xffffffff & ~b.U & ~b.fclear) >>> 0,
      };
      if (b.rmask.some((m) => m !== 0xffffffff)) out.rmask = b.rmask.map((m) => m >>> 0);
      if (b.mmask.size) out.mmask = [...b.mmask].sort((x, y) => x[0] - y[0]);
      return out;
    }),
  };
  writeFileSync(join(BUILD, `cases-${seed}.meta.json`), JSON.stringify(meta));
  return { meta, blocks, mbPath, image, cov: coverage(readFileSync(lstPath, 'utf8')) };
}

function summary(meta) {
  const fam = {};
  const forms = new Map();
  for (const b of meta.blocks) {
    fam[b.family] = (fam[b.family] ?? 0) + 1;
    for (const f of b.forms) forms.set(f, (forms.get(f) ?? 0) + 1);
  }
  return { fam, forms };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const args = parseArgs(process.argv);
  const t0 = Date.now();
  const { meta, image, cov } = generate(args.seed, args.scale);
  const { fam, forms } = summary(meta);
  console.log(`seed ${args.seed}: ${meta.blocks.length} blocks, ${forms.size} distinct forms, kernel ${image.length} bytes, ${Date.now() - t0} ms`);
  console.log(Object.entries(fam).map(([f, n]) => `${f} ${n}`).join(', '));
  console.log(`opcodes: ${cov.expected - cov.missing.length}/${cov.expected} expected opcode forms exercised` +
    (cov.missing.length ? `; missing: ${cov.missing.join(', ')}` : '') +
    (cov.extra.length ? `; also: ${cov.extra.join(', ')}` : ''));
  console.log(`prefixes: ${[...cov.prefixes].map(([p, n]) => `${p} x${n}`).join(', ')}`);
  if (process.argv.includes('--coverage')) {
    for (const [k, n] of [...cov.counts].sort()) console.log(`  ${k.padEnd(8)} ${n}`);
  }
  console.log(`next: node scripts/difftest/capture.mjs --seed ${args.seed}`);
}

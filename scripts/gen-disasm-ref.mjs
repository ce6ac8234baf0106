#!/usr/bin/env node
// Regenerate the objdump reference listings the disassembler test compares
// against (needs GNU objdump):
//   node scripts/gen-disasm-ref.mjs
// - test/data/disasm/<fixture>.txt, one per code-bearing fixture. Its first
//   line names the fixture bytes it covers (file offset, length, load
//   address, code size), so the test reads exactly the same bytes without
//   repeating the image-format logic here.
// - test/data/disasm/sweep-32.tsv and sweep-16.tsv: every one-byte and 0F
//   opcode with each ModRM.reg, several ModRM forms and each prefix, one
//   instruction per sample ('bytes<TAB>length<TAB>objdump text').
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const fixtures = join(root, 'fixtures');
const outDir = join(root, 'test/data/disasm');

const le32 = (b, o) => b.readUInt32LE(o);
const le16 = (b, o) => b.readUInt16LE(o);
const hex = (n) => '0x' + n.toString(16);

/** Multiboot a.out kludge: the header's address fields say what is loaded where. */
function multibootRegion(b) {
  for (let i = 0; i + 32 <= Math.min(b.length, 8192); i += 4) {
    if (le32(b, i) !== 0x1badb002 || ((le32(b, i) + le32(b, i + 4) + le32(b, i + 8)) >>> 0) !== 0) continue;
    if (!(le32(b, i + 4) & 0x10000)) throw new Error('multiboot header without address fields');
    const headerAddr = le32(b, i + 12), loadAddr = le32(b, i + 16), loadEnd = le32(b, i + 20);
    const offset = i - (headerAddr - loadAddr);
    const length = loadEnd ? loadEnd - loadAddr : b.length - offset;
    return { offset, length, vma: loadAddr, mode32: true };
  }
  throw new Error('no multiboot header');
}

/** ELF32: the .text section (the fixtures' linker script puts all code there). */
function elfTextRegion(b) {
  const shoff = le32(b, 0x20), shentsize = le16(b, 0x2e), shnum = le16(b, 0x30), shstrndx = le16(b, 0x32);
  const sh = (k) => shoff + k * shentsize;
  const strOff = le32(b, sh(shstrndx) + 0x10);
  for (let k = 0; k < shnum; k++) {
    const nameOff = strOff + le32(b, sh(k));
    const name = b.toString('latin1', nameOff, b.indexOf(0, nameOff));
    if (name === '.text') return { offset: le32(b, sh(k) + 0x10), length: le32(b, sh(k) + 0x14), vma: le32(b, sh(k) + 0x0c), mode32: true };
  }
  throw new Error('no .text section');
}

/**
 * Raw BIOS ROM: disassembled as 16-bit code with CS base 0xF0000, so addresses
 * are those of the image's last 64 KiB at F000:0 (the reset vector at 0xFFFF0).
 */
function romRegion(b) {
  return { offset: 0, length: b.length, vma: 0x100000 - b.length, mode32: false };
}

function regionFor(file, b) {
  if (file.endsWith('.mb')) return multibootRegion(b);
  if (file.endsWith('.elf')) return elfTextRegion(b);
  if (file.endsWith('.rom')) return romRegion(b);
  throw new Error(`${file}: unknown image kind`);
}

const PREFIXES = [0x66, 0x67, 0xf3, 0xf2, 0xf0, 0x26];
const FILLER = [0x12, 0x34, 0x56, 0x78, 0x9a, 0xbc, 0xde, 0xf0, 0x21, 0x43, 0x65, 0x87, 0xa9, 0xcb];

/** Opcode samples: [prefix?] [0F] op [ModRM] filler, 15 bytes each. */
function sweepSamples(mode32) {
  const out = [];
  const mk = (pfx, two, op, modrm) => {
    const b = [...pfx, ...(two ? [0x0f] : []), op, ...(modrm === null ? [] : [modrm])];
    return Uint8Array.from([...b, ...FILLER].slice(0, 15));
  };
  // ModRM forms: displacement only, SIB + disp8, register.
  const dispOnly = mode32 ? 5 : 6;
  for (const two of [false, true]) {
    for (let op = 0; op < 256; op++) {
      if (!two && (op === 0x0f || PREFIXES.includes(op) || [0x26, 0x2e, 0x36, 0x3e, 0x64, 0x65, 0x9b].includes(op))) continue;
      for (let reg = 0; reg < 8; reg++) {
        out.push(mk([], two, op, (reg << 3) | dispOnly));
        out.push(mk([], two, op, 0x40 | (reg << 3) | 4));
        out.push(mk([], two, op, 0xc0 | (reg << 3) | ((reg + 3) & 7)));
      }
      PREFIXES.forEach((p, i) => {
        const reg = (op + i) & 7;
        out.push(mk([p], two, op, 0x40 | (reg << 3) | 4));
        out.push(mk([p], two, op, 0xc0 | (reg << 3) | 2));
      });
    }
  }
  return out;
}

/** objdump's first instruction of each sample, one file per sample in one objdump run. */
function writeSweep(tmp, mode32) {
  const samples = sweepSamples(mode32);
  const dir = join(tmp, `sweep${mode32 ? 32 : 16}`);
  mkdirSync(dir);
  const files = samples.map((b, i) => {
    const f = join(dir, String(i).padStart(6, '0'));
    writeFileSync(f, b);
    return f;
  });
  const args = ['-D', '-b', 'binary', '-mi386', mode32 ? '-Mintel' : '-Mintel,addr16,data16', '-w', '-z'];
  const first = new Map();
  let cur = '';
  for (let i = 0; i < files.length; i += 2000) {
    const out = execFileSync('objdump', [...args, ...files.slice(i, i + 2000)], { encoding: 'latin1', maxBuffer: 1 << 28 });
    for (const line of out.split('\n')) {
      const fm = /^(\S+):\s+file format/.exec(line);
      if (fm) cur = fm[1];
      const m = /^\s*0:\t([0-9a-f ]+)\t(.*)$/.exec(line);
      if (m && !first.has(cur)) first.set(cur, `${m[1].trim().split(/\s+/).length}\t${m[2].replace(/\s+$/, '')}`);
    }
  }
  const hexOf = (b) => Buffer.from(b).toString('hex');
  // Samples whose instruction bytes repeat an earlier one's add nothing.
  const seen = new Set();
  const lines = [];
  samples.forEach((b, i) => {
    const ref = first.get(files[i]);
    const key = hexOf(b.subarray(0, Number(ref.split('\t')[0])));
    if (seen.has(key)) return;
    seen.add(key);
    lines.push(`${hexOf(b)}\t${ref}`);
  });
  const body = lines.join('\n');
  const name = `sweep-${mode32 ? 32 : 16}.tsv`;
  writeFileSync(join(outDir, name), `# objdump ${args.join(' ')}: first instruction of each sample\n${body}\n`);
  console.log(`wrote test/data/disasm/${name}: ${lines.length} samples`);
}

const tmp = mkdtempSync(join(tmpdir(), 'disasm-ref-'));
try {
  writeSweep(tmp, true);
  writeSweep(tmp, false);
  for (const file of readdirSync(fixtures).sort()) {
    if (!/\.(mb|elf|rom)$/.test(file)) continue;
    const b = readFileSync(join(fixtures, file));
    const r = regionFor(file, b);
    const bin = join(tmp, 'code.bin');
    writeFileSync(bin, b.subarray(r.offset, r.offset + r.length));
    const args = ['-D', '-b', 'binary', '-mi386', r.mode32 ? '-Mintel' : '-Mintel,addr16,data16', '-w', `--adjust-vma=${hex(r.vma)}`, bin];
    const out = execFileSync('objdump', args, { encoding: 'latin1', maxBuffer: 1 << 28 });
    // Keep objdump's lines from the first instruction on; drop its banner naming the temp file.
    const lines = out.split('\n');
    const first = lines.findIndex((l) => /^\s+[0-9a-f]+:\t/.test(l));
    const body = lines.slice(first).join('\n').replace(/\n+$/, '\n');
    const head =
      `# fixture=${file} offset=${hex(r.offset)} length=${hex(r.length)} vma=${hex(r.vma)} mode=${r.mode32 ? 32 : 16}\n` +
      `# objdump ${args.slice(0, -1).join(' ')} (${execFileSync('objdump', ['--version'], { encoding: 'utf8' }).split('\n')[0]})\n`;
    const name = basename(file).replace(/\.[^.]+$/, '') + '.txt';
    writeFileSync(join(outDir, name), head + body);
    console.log(`wrote test/data/disasm/${name}: ${body.split('\n').length - 1} lines`);
  }
} finally {
  rmSync(tmp, { recursive: true, force: true });
}

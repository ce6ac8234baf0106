#!/usr/bin/env node
// Regenerate the objdump reference listings the disassembler test compares
// against: one test/data/disasm/<fixture>.txt per code-bearing fixture.
//   node scripts/gen-disasm-ref.mjs
// The first line of each listing names the fixture bytes it covers (file
// offset, length, load address, code size), so the test reads exactly the
// same bytes without repeating the image-format logic here.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
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

const tmp = mkdtempSync(join(tmpdir(), 'disasm-ref-'));
try {
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

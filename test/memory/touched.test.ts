// PhysicalMemory.touched: pages nothing has written since the RAM was
// allocated are known to be zero, and the state hash and checkpoints do not
// read them (docs/performance.md: fresh memory faults in slowly). That is
// only sound if every write to guest RAM marks its page. The CPU's writes
// do (a fast-path write needs pageDirty, set only by Cpu.notePhysWrite,
// which marks); everything else must write through PhysicalMemory or mark.
import { describe, expect, it } from 'vitest';
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PhysicalMemory } from '../../src/memory/phys.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

/** The modules that write guest RAM's arrays directly, and why that is sound. */
const WRITERS: Record<string, string> = {
  'src/memory/phys.ts': 'the slow paths, which mark',
  'src/cpu/mem-access.ts': 'fast paths: the page passed Cpu.notePhysWrite first',
  'src/machine/machine.ts': 'load() marks what it copies',
  'src/machine/ram-pages.ts': 'writePage marks; zeroPage writes zeros',
  'src/ft/secondary.ts': 'an injected flip, followed by Cpu.notePhysWrite',
  'src/machine/shadow-ram.ts': 'a PAM switch swaps ROM and shadow RAM, then Cpu.notePhysWrite on every page (marks touched)',
  // Not guest RAM: arrays of the same name.
  'src/devices/cmos-rtc.ts': "the CMOS chip's own RAM",
  'src/machine/snapshot.ts': 'a copy of guest RAM, into the snapshot',
};

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = join(dir, e.name);
    return e.isDirectory() ? sources(p) : e.name.endsWith('.ts') ? [p] : [];
  });
}

const code = (text: string): string => text.replace(/\/\*[\s\S]*?\*\//g, '').replace(/\/\/.*$/gm, '');
const DIRECT = /\bram(?:16|32)?\s*\[[^\]]*\]\s*(?:[|&^+-]?=)(?!=)|\.ram(?:16|32)?\s*\.\s*(?:set|fill|copyWithin)\s*\(|\bram\s*\.\s*(?:set|fill)\s*\(/;

describe('every write to guest RAM marks its page', () => {
  it('only the listed modules write the RAM arrays directly', () => {
    const found = sources(join(ROOT, 'src'))
      .map((f) => relative(ROOT, f).split('\\').join('/'))
      .filter((rel) => DIRECT.test(code(readFileSync(join(ROOT, rel), 'utf8'))));
    expect(found.sort()).toEqual(Object.keys(WRITERS).sort());
  });

  it('the scan sees the forms of a direct write', () => {
    for (const w of ['m.mem.ram[a] = 1;', 'cpu.ram32[p >>> 2] = v;', 'ram16[i] |= 2;', 'm.mem.ram.set(d, 0);', 'ram.fill(0, a, b);']) expect(DIRECT.test(w)).toBe(true);
    for (const r of ['x = ram[a];', 'if (ram32[i] === 0) {}', 'const b = m.mem.ram.slice(0, 4);']) expect(DIRECT.test(r)).toBe(false);
  });

  it('PhysicalMemory marks what it writes, and nothing else', () => {
    const m = new PhysicalMemory(64 * 1024);
    m.write8(0x1000, 1);
    m.write32(0x3ffe, 0x01020304); // crosses into page 4
    m.write32(0x8000, 5);
    m.markTouched(0xa000, 0x2001);
    expect([...m.touched].flatMap((t, p) => (t ? [p] : []))).toEqual([1, 3, 4, 8, 10, 11, 12]);
  });
});

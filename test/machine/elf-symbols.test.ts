// The ELF symbol reader against the committed fixtures, with nm's answers.
import { describe, it, expect } from 'vitest';
import { readFileSync } from 'node:fs';
import { readElfSymbols } from '../../src/machine/elf-symbols.js';

const read = (name: string) => new Uint8Array(readFileSync(new URL(`../../fixtures/${name}`, import.meta.url)));

describe('readElfSymbols', () => {
  it('names addresses in gdb-demo.elf as nm lists them (check 0x101151, irq0, data labels)', () => {
    const t = readElfSymbols(read('gdb-demo.elf'))!;
    expect(t).not.toBeNull();
    expect(t.describe(0x101151)).toBe('check');
    expect(t.describe(0x101156)).toBe('check+0x5');
    expect(t.describe(0x10116d)).toMatch(/^irq0(\+0x10|\.ok.*)$/);
    expect(t.describe(0x100030)).toBe('_start');
    expect(t.describe(0x1000)).toBeNull(); // below every symbol
  });

  it('has nothing for images without a symbol table, and for garbage', () => {
    expect(readElfSymbols(read('demo.mb'))).toBeNull();
    expect(readElfSymbols(new Uint8Array(10))).toBeNull();
    const bad = read('gdb-demo.elf').slice();
    bad.fill(0xff, 32, 36); // section header offset beyond the file
    expect(readElfSymbols(bad)).toBeNull();
  });
});

// The architecture's "never" arrows (docs/internals.md): dependencies point
// cli -> ft -> replay -> machine -> devices, memory -> cpu. This scans every
// import in src/ and fails on one that points against them.
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const SRC = join(ROOT, 'src');

/** Folder -> folders it must never import (value and type imports alike). */
const NEVER: Record<string, readonly string[]> = {
  cpu: ['devices', 'replay', 'machine', 'ft', 'cli', 'cluster'],
  memory: ['cpu', 'devices', 'replay', 'machine', 'ft', 'cli', 'cluster'],
  // devices -> machine (the guest clock) exists today; left to the devices owner.
  devices: ['replay', 'ft', 'cli', 'cluster'],
  machine: ['ft', 'cli', 'cluster'],
  replay: ['ft', 'cli', 'cluster'],
  ft: ['cli', 'cluster'],
  gdb: ['cli', 'ft', 'cluster'],
  cluster: ['cli', 'ft', 'gdb'],
};

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = join(dir, e.name);
    return e.isDirectory() ? sources(p) : e.name.endsWith('.ts') ? [p] : [];
  });
}

/** Top-level src/ folder of each relative import in `file`. */
function importedFolders(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  const out: string[] = [];
  for (const m of text.matchAll(/(?:from|import)\s*\(?\s*['"](\.{1,2}\/[^'"]+)['"]/g)) {
    const target = relative(SRC, resolve(dirname(file), m[1]));
    out.push(target.split(/[\\/]/)[0]);
  }
  return out;
}

describe('import direction', () => {
  it('no module in src/ imports a folder its layer must never import', () => {
    const bad: string[] = [];
    for (const file of sources(SRC)) {
      const layer = relative(SRC, file).split(/[\\/]/)[0];
      const never = NEVER[layer] ?? [];
      for (const f of importedFolders(file)) if (never.includes(f)) bad.push(`${relative(ROOT, file)} imports src/${f}/`);
    }
    expect(bad).toEqual([]);
  });

  it('the scan sees the imports it checks (memory -> cpu would be caught)', () => {
    expect(importedFolders(join(SRC, 'cpu', 'paging.ts'))).toContain('memory');
  });
});

// vmrr ft-secondary's documentation moves with it: the man page has the
// standard sections and every option --help shows; package.json lists it.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { ROOT, ensureBuilt, vmrr } from '../cli/helpers.js';

beforeAll(ensureBuilt, 120_000);

describe('man/vmrr-ft-secondary.1', () => {
  const page = readFileSync(join(ROOT, 'man', 'vmrr-ft-secondary.1'), 'utf8');

  it('has the standard sections, and package.json lists it', () => {
    for (const section of ['NAME', 'SYNOPSIS', 'DESCRIPTION', 'OPTIONS', 'EXIT STATUS', 'EXAMPLES', 'SEE ALSO']) {
      expect(page, section).toMatch(new RegExp(`^\\.SH ${section}$`, 'm'));
    }
    expect(JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')).man).toContain('./man/vmrr-ft-secondary.1');
  });

  it('describes every option vmrr help ft-secondary shows, and each exit status its --help lists', () => {
    const help = vmrr(['help', 'ft-secondary']);
    expect(help.status).toBe(0);
    const flags = [...help.stdout.matchAll(/^\s+(?:-\w, )?(--[\w-]+)/gm)].map((m) => m[1]).filter((f) => f !== '--help');
    expect(flags).toContain('--listen');
    for (const flag of flags) expect(page, flag).toContain(flag.replace(/-/g, '\\-'));
    for (const m of help.stdout.matchAll(/^ {2}(\d+) {2}/gm)) expect(page).toMatch(new RegExp(`^\\.B ${m[1]}$`, 'm'));
  });

  it('a missing --listen is bad usage: exit 2 with one line', () => {
    const r = vmrr(['ft-secondary']);
    expect(r.status).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
  });
});

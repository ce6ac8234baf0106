import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { updateManPage } from '../../src/cli/man-options.js';
import { OPTIONS } from '../../src/machine/options.js';
import { ROOT } from './helpers.js';

const page = (name: string): string => readFileSync(join(ROOT, 'man', name), 'utf8');

describe('man pages', () => {
  it.each(['vmrr.1', 'vmrr-run.1'])('%s has the standard sections and an EXIT STATUS', (name) => {
    const text = page(name);
    for (const section of ['NAME', 'SYNOPSIS', 'DESCRIPTION', 'OPTIONS', 'EXIT STATUS', 'EXAMPLES', 'SEE ALSO']) {
      expect(text, section).toMatch(new RegExp(`^\\.SH ${section}$`, 'm'));
    }
  });

  it('vmrr-run.1 OPTIONS match the options table (regenerate: node scripts/gen-man-options.mjs)', () => {
    const text = page('vmrr-run.1');
    expect(updateManPage(text)).toBe(text);
    for (const spec of OPTIONS) expect(text, spec.flag).toContain(`\\fB${spec.flag.replace(/-/g, '\\-')}\\fR`);
  });
});

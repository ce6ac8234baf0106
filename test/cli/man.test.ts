import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { updateManPage } from '../../src/cli/man-options.js';
import { OPTIONS } from '../../src/cli/options.js';
import { ROOT, ensureBuilt, vmrr } from './helpers.js';

beforeAll(ensureBuilt, 120_000);

const page = (name: string): string => readFileSync(join(ROOT, 'man', name), 'utf8');
const roffFlag = (flag: string): string => flag.replace(/-/g, '\\-');

const PAGES = ['vmrr.1', 'vmrr-run.1', 'vmrr-inspect.1', 'vmrr-record.1', 'vmrr-replay.1', 'vmrr-diff.1', 'vmrr-demo.1'];

describe('man pages', () => {
  it.each(PAGES)('%s has the standard sections and an EXIT STATUS', (name) => {
    const text = page(name);
    for (const section of ['NAME', 'SYNOPSIS', 'DESCRIPTION', 'OPTIONS', 'EXIT STATUS', 'EXAMPLES', 'SEE ALSO']) {
      expect(text, section).toMatch(new RegExp(`^\\.SH ${section}$`, 'm'));
    }
  });

  it.each(PAGES)('%s: generated OPTIONS blocks match the options table (regenerate: node scripts/gen-man-options.mjs)', (name) => {
    const text = page(name);
    expect(updateManPage(text)).toBe(text);
  });

  it('vmrr-run.1 OPTIONS match the options table (regenerate: node scripts/gen-man-options.mjs)', () => {
    const text = page('vmrr-run.1');
    for (const spec of OPTIONS) expect(text, spec.flag).toContain(`\\fB${roffFlag(spec.flag)}\\fR`);
  });

  // Every option a command's --help shows is described on its page.
  it.each(['inspect', 'record', 'replay', 'diff', 'demo'])('vmrr-%s.1 describes every option the command\'s --help shows', (command) => {
    const help = vmrr(['help', command]);
    expect(help.status).toBe(0);
    const flags = [...help.stdout.matchAll(/^\s+(?:-\w, )?(--[\w-]+)/gm)].map((m) => m[1]).filter((f) => f !== '--help');
    expect(flags.length).toBeGreaterThan(0);
    const text = page(`vmrr-${command}.1`);
    for (const flag of flags) expect(text, flag).toMatch(new RegExp(`^\\.(?:TP\\n)?.*${roffFlag(flag).replace(/\\/g, '\\\\')}\\b`, 'm'));
  });
});

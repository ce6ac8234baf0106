// The cluster commands' documentation moves with them: a man page per
// command with the standard sections, every option each (sub)command's
// --help shows and every exit status it lists; package.json and vmrr(1)
// list the pages; docs/cli-json.md and the README have their sections.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { updateManPage } from '../../src/cli/man-options.js';
import { ROOT, ensureBuilt, vmrr } from '../cli/helpers.js';

beforeAll(ensureBuilt, 120_000);

const read = (p: string) => readFileSync(join(ROOT, p), 'utf8');
const roff = (flag: string) => flag.replace(/-/g, '\\-');
const helpFlags = (help: string) => [...help.matchAll(/^\s+(?:-\w, )?(--[\w-]+)/gm)].map((m) => m[1]).filter((f) => f !== '--help');

const COMMANDS = ['node', 'replicate', 'restore'];
const HELPS: [string, string[]][] = [
  ['node', ['node']],
  ['node', ['node', 'start']],
  ['node', ['node', 'ls']],
  ['node', ['node', 'migrate']],
  ['node', ['node', 'stop']],
  ['replicate', ['replicate']],
  ['restore', ['restore']],
];

describe('cluster command docs', () => {
  it.each(COMMANDS)('man/vmrr-%s.1 has the standard sections and up-to-date generated options, and package.json lists it', (c) => {
    const page = read(`man/vmrr-${c}.1`);
    for (const section of ['NAME', 'SYNOPSIS', 'DESCRIPTION', 'OPTIONS', 'EXIT STATUS', 'EXAMPLES', 'SEE ALSO']) {
      expect(page, section).toMatch(new RegExp(`^\\.SH ${section}$`, 'm'));
    }
    expect(updateManPage(page)).toBe(page);
    expect(JSON.parse(read('package.json')).man).toContain(`./man/vmrr-${c}.1`);
    const main = read('man/vmrr.1');
    expect(main).toMatch(new RegExp(`^\\.B ${c}$`, 'm'));
    expect(main).toContain(`.BR vmrr\\-${c} (1)`);
  });

  it.each(HELPS)('vmrr-%s.1 describes every option and exit status `vmrr %s --help` shows', (c, args) => {
    const r = vmrr([...args, '--help']);
    expect(r.status).toBe(0);
    const page = read(`man/vmrr-${c}.1`);
    const flags = helpFlags(r.stdout);
    expect(flags.length).toBeGreaterThan(0);
    for (const flag of flags) expect(page, flag).toContain(roff(flag));
    for (const m of r.stdout.matchAll(/^ {2}(\d+) {2}/gm)) expect(page, `exit ${m[1]}`).toMatch(new RegExp(`^\\.B ${m[1]}$`, 'm'));
  });

  it.each(COMMANDS)('docs/cli-json.md has a `vmrr %s --json` section and the README a replication section naming it', (c) => {
    expect(read('docs/cli-json.md')).toMatch(new RegExp(`^## \`vmrr ${c} --json\``, 'm'));
    const readme = read('README.md');
    const at = readme.indexOf('## Replicating VMs to a secondary cluster');
    expect(at).toBeGreaterThan(0);
    const section = readme.slice(at, readme.indexOf('\n## ', at + 1));
    expect(section).toContain(`vmrr ${c} `);
    expect(section).toContain(`man/vmrr-${c}.1`);
  });

  it('node start refuses the options a node cannot honour, with one line and exit 2', () => {
    const r = vmrr(['node', 'start', 'fixtures/alu.mb', '--node', '127.0.0.1:1', '--serial-in', 'fixtures/README.md']);
    expect(r.status).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toContain('--serial-in');
  });
});

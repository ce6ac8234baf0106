// Colour per stream: standard output is coloured from standard output's
// terminal, standard error from standard error's; NO_COLOR turns it off,
// FORCE_COLOR on (and wins over NO_COLOR), for every command. A terminal is
// made with script(1), with one of the two streams redirected to a file.
import { spawnSync } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { colourLevel } from '../../src/cli/colour.js';
import { ROOT, ensureBuilt, tempFiles, vmrr } from './helpers.js';

beforeAll(ensureBuilt, 120_000);

const t = tempFiles({});
afterAll(() => rmSync(t.dir, { recursive: true, force: true }));

const ESC = '\u001b[';
const BIN = join(ROOT, 'bin', 'vmrr.js');
const hasScript = spawnSync('script', ['--version']).status === 0;
const LOG = t.path('nondet.vmrr');

/** Colour-neutral environment: a colour terminal type, no CI, no NO_COLOR/FORCE_COLOR unless given. */
function env(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const e: NodeJS.ProcessEnv = { ...process.env, TERM: 'xterm-256color', ...extra };
  for (const k of ['NO_COLOR', 'FORCE_COLOR', 'CI']) if (!(k in extra)) delete e[k];
  return e;
}

/** Run `args` under a terminal (script(1)) with `redirect` (e.g. `2>file`); returns what reached the terminal. */
function onTerminal(args: string[], redirect: string, extra: Record<string, string> = {}): string {
  const cmd = [process.execPath, BIN, ...args].map((a) => `'${a}'`).join(' ') + ' ' + redirect;
  const r = spawnSync('script', ['-qec', cmd, '/dev/null'], { cwd: ROOT, env: env(extra), timeout: 120_000 });
  return r.stdout.toString();
}

/** Run `args` with both streams on pipes. */
function piped(args: string[], extra: Record<string, string> = {}): { stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [BIN, ...args], { cwd: ROOT, env: env(extra), timeout: 120_000 });
  return { stdout: r.stdout.toString(), stderr: r.stderr.toString() };
}

beforeAll(() => {
  const r = vmrr(['record', 'fixtures/nondet.mb', '-o', LOG]);
  expect(r.status, r.stderr).toBe(0);
}, 120_000);

describe('colourLevel', () => {
  it('NO_COLOR (set, not empty) turns colour off; FORCE_COLOR wins over it; otherwise chalk\'s detection stands', () => {
    expect(colourLevel({}, 2)).toBe(2);
    expect(colourLevel({ NO_COLOR: '1' }, 2)).toBe(0);
    expect(colourLevel({ NO_COLOR: '' }, 2)).toBe(2);
    expect(colourLevel({ NO_COLOR: '1', FORCE_COLOR: '1' }, 1)).toBe(1);
  });
});

describe('colour on pipes', () => {
  it('no colour by default, none with NO_COLOR; FORCE_COLOR colours inspect (stdout) and messages (stderr); FORCE_COLOR=0 none', () => {
    for (const extra of [{}, { NO_COLOR: '1' }, { FORCE_COLOR: '0' }]) {
      expect(piped(['inspect', LOG], extra).stdout).not.toContain(ESC);
      expect(piped(['run', 'no-such.mb'], extra).stderr).not.toContain(ESC);
    }
    for (const extra of [{ FORCE_COLOR: '1' }, { FORCE_COLOR: '1', NO_COLOR: '1' }]) {
      expect(piped(['inspect', LOG], extra).stdout).toContain(ESC);
      expect(piped(['run', 'no-such.mb'], extra).stderr).toMatch(/\u001b\[1m\u001b\[31mvmrr:/);
      expect(piped(['replay', LOG], extra).stderr).toContain(ESC);
    }
  });
});

describe.skipIf(!hasScript)('colour on a terminal, each stream decided by itself', () => {
  it('stdout on the terminal, stderr to a file: inspect coloured, the error message in the file plain', () => {
    const err = t.path('err1.txt');
    expect(onTerminal(['inspect', LOG], `2>'${err}'`)).toContain(ESC);
    onTerminal(['run', 'no-such.mb'], `2>'${err}'`);
    const msg = readFileSync(err, 'utf8');
    expect(msg).toMatch(/^vmrr: cannot read image no-such\.mb/);
    expect(msg).not.toContain(ESC);
  });

  it('stderr on the terminal, stdout to a file: the file is plain (inspect, demo), the messages and the replay report coloured', () => {
    const out = t.path('out1.txt');
    onTerminal(['inspect', LOG], `>'${out}'`);
    expect(readFileSync(out, 'utf8')).toMatch(/^\S+nondet\.vmrr: vmrr log format \d+/);
    expect(readFileSync(out, 'utf8')).not.toContain(ESC);
    expect(onTerminal(['run', 'no-such.mb'], `>'${out}'`)).toContain(`${ESC}1m${ESC}31mvmrr:`);
    expect(onTerminal(['replay', LOG], `>'${out}'`)).toContain(ESC);
    onTerminal(['demo'], `>'${out}'`);
    const demo = readFileSync(out, 'utf8');
    expect(demo).toMatch(/^demo: the replay reproduced the run exactly/m);
    expect(demo).not.toContain(ESC);
  }, 180_000);

  it('NO_COLOR: nothing coloured on the terminal either; FORCE_COLOR=0 likewise', () => {
    for (const extra of [{ NO_COLOR: '1' }, { FORCE_COLOR: '0' }]) {
      expect(onTerminal(['inspect', LOG], '2>/dev/null', extra)).not.toContain(ESC);
      expect(onTerminal(['run', 'no-such.mb'], '>/dev/null', extra)).not.toContain(ESC);
    }
  });
});

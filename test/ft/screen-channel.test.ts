// The VGA text screen as an ft-check output channel: sampled at every sync
// point, compared between primary and secondary like serial, released only
// once matched, and written by --screen from the released records.
// fixtures/screen.mb writes a title and a changing counter to 0xB8000, then
// echoes the keys of fixtures/screen.in on the screen and COM1.
import { readFileSync, rmSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureBuilt, expectUsageError, tempFiles, vmrr } from '../cli/helpers.js';

beforeAll(ensureBuilt, 120_000);
const t = tempFiles({});
afterAll(() => rmSync(t.dir, { recursive: true, force: true }));

const GUEST = ['--clock', 'virtual', '--keys', 'fixtures/screen.in'];

describe('ft-check --screen', () => {
  it('the released screen equals run --screen; serial too', () => {
    const run = vmrr(['run', ...GUEST, '--screen', t.path('run.txt'), 'fixtures/screen.mb']);
    expect(run.status, run.stderr).toBe(0);
    const r = vmrr(['ft-check', ...GUEST, '--screen', t.path('ft.txt'), '--slice', '50000', '--json', 'fixtures/screen.mb']);
    expect(r.status, r.stderr).toBe(0);
    const rep = JSON.parse(r.stdout);
    expect(rep.divergences).toEqual([]);
    expect(rep.verdict.ok).toBe(true);
    expect(readFileSync(t.path('ft.txt'), 'latin1')).toBe(readFileSync(t.path('run.txt'), 'latin1'));
    expect(readFileSync(t.path('run.txt'), 'latin1')).toMatch(/Hi, screen!/);
  }, 60_000);

  for (const threads of ['1', '2']) {
    it(`--threads ${threads}: a fault written into the secondary's screen is a screen divergence, corrected by a resync`, () => {
      const file = t.path(`fault-${threads}.txt`);
      const r = vmrr(['ft-check', ...GUEST, '--threads', threads, '--screen', file, '--slice', '50000', '--inject', 'mem:0xb8002:0x01@120000', '--json', 'fixtures/screen.mb']);
      expect(r.status, r.stderr).toBe(0);
      const rep = JSON.parse(r.stdout);
      expect(rep.divergences.length).toBeGreaterThan(0);
      expect(rep.divergences[0].channel).toBe('screen');
      // 0xB8002 is the character byte of row 0, column 1: the report names the cell, not just the byte.
      expect(rep.divergences[0].screen).toEqual({ row: 0, column: 1, part: 'character' });
      expect(rep.divergences[0].message).toMatch(/^screen output differs at row 0, column 1 \(character\), byte \d+: bytes differ$/);
      expect(rep.divergences.every((d: { resync: unknown }) => d.resync !== null)).toBe(true);
      expect(rep.resyncs.every((x: { hashEqual: boolean }) => x.hashEqual)).toBe(true);
      expect(rep.verdict.ok).toBe(true);
      // What was released is the primary's screen, not the faulty one.
      expect(readFileSync(file, 'latin1')).toBe(readFileSync(t.path('run.txt'), 'latin1'));
    }, 60_000);
  }

  it('--keys with a remote secondary is refused in one line', () => {
    expectUsageError(vmrr(['ft-check', ...GUEST, '--secondary', 'spawn', 'fixtures/screen.mb']), /--keys/, expect);
  });
});

// Logs whose control points were rewritten with a matching CRC (found by
// `npm run fuzz`): a checkpoint (seed 7) or a sync point (seed 1, case
// 12524) whose icount lies past the next one. Before this, `replay --to`
// over the checkpoint raised an internal error, and a whole replay ran the
// guest for minutes towards the rewritten icount. Both are refused before
// the replay starts, in one line naming the frame (src/replay/log-order.ts).
import { readFileSync, writeFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { framesOf, rewriteFrame } from '../fuzz/harness.js';
import { listCheckpoints } from '../../src/replay/seek.js';
import { ensureBuilt, tempFiles, vmrr } from './helpers.js';

/** Record `fixture`, then rewrite the icount of its first frame with payload code `code` (CRC recomputed). */
function damageFirst(fixture: string, extra: string[], code: number, icount: number): { log: string; damaged: string } {
  ensureBuilt();
  const t = tempFiles({});
  const log = t.path('good.vmrr');
  const rec = vmrr(['record', fixture, '-o', log, '--clock', 'virtual', ...extra]);
  expect(rec.status, rec.stderr).toBe(0);
  const bytes = new Uint8Array(readFileSync(log));
  const frames = framesOf(bytes);
  const at = frames.findIndex((f) => bytes[f.offset + 9] === code); // [code, body]: the first such frame
  expect(at).toBeGreaterThan(0);
  const bad = rewriteFrame(bytes, frames[at], (p) => {
    const [c, body] = p as [number, Record<string, unknown>];
    return [c, { ...body, icount }];
  });
  const damaged = t.path('damaged.vmrr');
  writeFileSync(damaged, bad);
  return { log, damaged };
}

describe('control points out of order', () => {
  it('a checkpoint rewritten past the next sync point: replay and replay --to refuse it in one line, exit 2', () => {
    const { log, damaged } = damageFirst('fixtures/nondet.mb', ['--sync-every', '20000', '--checkpoint-every', '40000'], 3, 4294927295);
    const cps = listCheckpoints(damaged);
    expect(cps[0]).toBe(4294927295);
    const to = cps[1] + 836;
    for (const args of [['--to', String(to)], []]) {
      const r = vmrr(['replay', ...args, damaged]);
      expect(r.stderr).not.toMatch(/internal error|\n\s+at /);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      expect(r.stderr).toMatch(/is at icount \d+, before the checkpoint at offset \d+ \(frame \d+\) at icount 4294927295: the log is damaged/);
      expect(r.status, r.stderr).toBe(2);
    }
    // The undamaged log replays to the same position.
    const ok = vmrr(['replay', '--to', String(to), log]);
    expect(ok.stderr).toMatch(new RegExp(`^replay reached icount ${to}, EIP 0x[0-9a-f]{8} \\(limit\\)`, 'm'));
    expect(ok.status, ok.stderr).toBe(0);
  }, 60_000);

  it('a sync point rewritten to icount 2^32 - 30,001 (fuzz seed 1, case 12524): refused at once, not replayed for minutes', () => {
    const { log, damaged } = damageFirst('fixtures/alu.mb', ['--sync-every', '20000'], 4, 4294937295);
    for (const args of [['replay', damaged], ['diff', log, damaged]]) {
      const r = vmrr(args, {}, 20_000);
      expect(r.stderr, args[0]).toMatch(/before the sync point at offset \d+ \(frame \d+\) at icount 4294937295: the log is damaged/);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      expect(r.status, r.stderr).toBe(2);
    }
  }, 60_000);
});

describe('a header whose machine configuration lies (CRC recomputed)', () => {
  it('a RAM size that is not a multiple of 4 KiB: one line, exit 2, no internal error (found by npm run fuzz, seed 1)', () => {
    ensureBuilt();
    const t = tempFiles({});
    const log = t.path('alu.vmrr');
    expect(vmrr(['record', 'fixtures/alu.mb', '-o', log]).status).toBe(0);
    const bytes = new Uint8Array(readFileSync(log));
    const bad = rewriteFrame(bytes, framesOf(bytes)[0], (h) => {
      const m = h as Record<string, Record<string, unknown>>;
      return { ...m, machine: { ...m.machine, ram: 3107038564 } };
    });
    const p = t.path('ram.vmrr');
    writeFileSync(p, bad);
    const r = vmrr(['replay', p]);
    expect(r.stderr).not.toMatch(/internal error|\n\s+at /);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/RAM size 3107038564, not a multiple of 4 KiB/);
    expect(r.status).toBe(2);
  }, 60_000);
});

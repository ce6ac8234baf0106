// replay --to over a log whose checkpoint list cannot be trusted (found by
// `npm run fuzz`, seed 7): a checkpoint frame whose icount was rewritten past
// the next one. The seek's nearest checkpoint then has no whole chain; the
// replay must go on forward from the start, not stop with an internal error.
import { readFileSync, writeFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { framesOf, rewriteFrame } from '../fuzz/harness.js';
import { listCheckpoints } from '../../src/replay/seek.js';
import { ensureBuilt, tempFiles, vmrr } from './helpers.js';

describe('replay --to with a damaged checkpoint chain', () => {
  it('replays forward from the start to the position and says where it is', () => {
    ensureBuilt();
    const t = tempFiles({});
    const log = t.path('nondet.vmrr');
    const rec = vmrr(['record', 'fixtures/nondet.mb', '-o', log, '--clock', 'virtual', '--sync-every', '20000', '--checkpoint-every', '40000']);
    expect(rec.status, rec.stderr).toBe(0);
    const bytes = new Uint8Array(readFileSync(log));
    const frames = framesOf(bytes);
    const first = frames.findIndex((f) => bytes[f.offset + 9] === 3); // [code 3, body]: the first checkpoint frame
    expect(first).toBeGreaterThan(0);
    const bad = rewriteFrame(bytes, frames[first], (p) => {
      const [code, body] = p as [number, Record<string, unknown>];
      return [code, { ...body, icount: 4294927295 }];
    });
    const damaged = t.path('damaged.vmrr');
    writeFileSync(damaged, bad);
    const cps = listCheckpoints(damaged);
    expect(cps[0]).toBe(4294927295);
    const to = cps[1] + 836;
    const r = vmrr(['replay', '--to', String(to), damaged]);
    expect(r.stderr).not.toMatch(/internal error|\n\s+at /);
    expect(r.stderr).toMatch(new RegExp(`^replay reached icount ${to}, EIP 0x[0-9a-f]{8} \\(limit\\)`, 'm'));
    expect(r.status, r.stderr).toBe(0);
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

// ReplayEngine: a seek to any icount, forward or back, gives the state a
// plain forward replay from power-on has there (state hash, all of RAM and
// devices); repeated steps back replay a bounded number of instructions; the
// snapshot store stays bounded; the log's end is a stop; a replay through
// snapshots taken between sync points still verifies to the end.
import { describe, it, expect, beforeAll } from 'vitest';
import { ensureBuilt, tempFiles, vmrr } from '../cli/helpers.js';
import { openReplay } from '../../src/cli/replay-machine.js';
import { replayLoop } from '../../src/replay/session.js';
import { stateHashOf } from '../../src/machine/state-hash.js';
import { MAX_SNAPSHOTS, MIN_SNAPSHOT_GAP, ReplayEngine } from '../../src/gdb/replay-engine.js';

let log = '';

async function hashAt(icount: number): Promise<string> {
  const o = await openReplay(log, { output: () => {} });
  try {
    const r = await replayLoop(o.machine, o.replayer, { verify: false, hash: () => new Uint8Array(8), to: icount });
    expect(r.verdict).toBe('reached');
    return stateHashOf(o.machine);
  } finally {
    o.replayer.close();
  }
}

async function engine(): Promise<ReplayEngine> {
  const o = await openReplay(log, { output: () => {} });
  return new ReplayEngine(o.machine, o.replayer, log);
}

describe('ReplayEngine', () => {
  beforeAll(() => {
    ensureBuilt();
    log = tempFiles({}).path('e.vmrr');
    // Host clock: timer interrupts at host-decided icounts, all from the log.
    const r = vmrr(['record', 'fixtures/gdb-demo.elf', '-o', log, '--checkpoint-every', '1500000', '--sync-every', '500000']);
    expect(r.status, r.stderr).toBe(0);
  });

  it('seeks forward and back to the same states a forward replay reaches', async () => {
    const e = await engine();
    expect(e.logCheckpoints).toEqual([1_500_000, 3_000_000, 4_500_000]);
    for (const at of [2_000_000, 700_123, 3_100_000, 3_099_999, 12, 1_500_000, 4_600_000]) {
      expect(await e.seekTo(at)).toEqual({ kind: 'reached' });
      expect(e.icount).toBe(at);
      expect(stateHashOf(e.machine), `at icount ${at}`).toBe(await hashAt(at));
    }
    e.rp.close();
  }, 120_000);

  it('steps back 300 times replaying a bounded stretch each time, with at most MAX_SNAPSHOTS kept', async () => {
    const e = await engine();
    await e.seekTo(2_600_000);
    const costs: number[] = [];
    for (let k = 1; k <= 300; k++) {
      const before = e.stats.replayed;
      expect((await e.seekTo(2_600_000 - k)).kind).toBe('reached');
      costs.push(e.stats.replayed - before);
      expect(e.snapshots.length).toBeLessThanOrEqual(MAX_SNAPSHOTS);
    }
    // The first step back replays from the checkpoint at 1.5M; after a few, each is short.
    expect(costs[0]).toBeGreaterThan(100_000);
    expect(Math.max(...costs.slice(10))).toBeLessThan(4 * MIN_SNAPSHOT_GAP);
    expect(stateHashOf(e.machine)).toBe(await hashAt(2_600_000 - 300));
    e.rp.close();
  }, 120_000);

  it('stops at the log end and stays there; a seek back from the end works', async () => {
    const e = await engine();
    const r = await e.seekTo(Number.MAX_SAFE_INTEGER);
    expect(r.kind).toBe('end');
    const end = e.icount;
    expect(e.atEnd).toBe(true);
    expect((await e.advance(end + 10)).kind).toBe('end');
    expect(e.icount).toBe(end);
    expect((await e.seekTo(end - 5)).kind).toBe('reached');
    expect(stateHashOf(e.machine)).toBe(await hashAt(end - 5));
    e.rp.close();
  }, 120_000);

  it('replays to an identical verdict from mid-interval snapshots, state hashes and output digests compared', async () => {
    const e = await engine();
    // Forward past sync points, then back to places between them (restored from snapshots taken anywhere).
    for (const at of [3_200_000, 2_250_001, 3_199_000, 777_777]) expect((await e.seekTo(at)).kind).toBe('reached');
    const r = await e.session.runToEnd();
    expect(r.verdict, JSON.stringify(r.divergence)).toBe('identical');
    expect(r.checked.stateHashes).toBeGreaterThan(0);
    expect(r.checked.outputMarks).toBeGreaterThan(0);
    e.rp.close();
  }, 120_000);
});

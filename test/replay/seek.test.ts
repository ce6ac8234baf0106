// replay --to seeks through the nearest checkpoint: the state it reaches
// must be the state a replay from power-on reaches at the same icount.
import { describe, it, expect, beforeAll } from 'vitest';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { recordCommand, type RecordOptions } from '../../src/cli/record.js';
import { replayCommand } from '../../src/cli/replay.js';
import { LogReader } from '../../src/replay/log-reader.js';

const io = { guestStdout: () => {}, warn: () => {} };
let log = '';

beforeAll(async () => {
  log = join(mkdtempSync(join(tmpdir(), 'vmrr-seek-')), 'demo.vmrr');
  const opts = {
    ram: 32 << 20, debugcon: [], append: '', clock: 'host', mhz: 1000, diskWritable: false,
    output: log, ndBuffer: 4096, syncEvery: 1_000_000, checkpointEvery: 1_000_000, json: true,
  } as unknown as RecordOptions;
  await recordCommand('fixtures/demo.mb', opts, io);
}, 60_000);

describe('replay --to', () => {
  it('from a checkpoint reaches the same state as from power-on, between checkpoints', async () => {
    for (const to of [2_500_001, 6_999_999]) {
      const seek = await replayCommand(log, { to, force: false, verify: false, json: true }, io);
      const full = await replayCommand(log, { to, force: false, verify: false, json: true, seek: false }, io);
      expect(seek.seekedFrom).toBe(Math.floor(to / 1_000_000) * 1_000_000);
      expect(full.seekedFrom).toBeNull();
      expect(seek.icount).toBe(to);
      expect(seek.stateHash).toBe(full.stateHash);
    }
  }, 60_000);

  it('at a checkpoint gives the hash its sync point logged', async () => {
    const r = LogReader.open(log);
    const syncs = new Map<number, string>();
    for (const f of r.frames()) if (f.frame.kind === 'sync') syncs.set(f.frame.icount, Buffer.from(f.frame.hash).toString('hex'));
    r.close();
    const got = await replayCommand(log, { to: 4_000_000, force: false, verify: false, json: true }, io);
    expect(got.seekedFrom).toBe(4_000_000);
    expect(got.stateHash).toBe(syncs.get(4_000_000));
  }, 60_000);

  it('before the first checkpoint replays from power-on', async () => {
    const r = await replayCommand(log, { to: 1234, force: false, verify: false, json: true }, io);
    expect(r.seekedFrom).toBeNull();
    expect(r.icount).toBe(1234);
    expect(r.verdict).toBe('reached');
  });
});

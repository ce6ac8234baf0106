import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { summarizeLog } from '../../src/replay/log-summary.js';
import { tempDir, writeSampleLog } from './helpers.js';
import { FakeHost, randomSteps, record } from './nd-harness.js';
import { Rng } from './helpers.js';

const dir = tempDir();

describe('summarizeLog', () => {
  it('counts frames, ND entries, events, checkpoints, syncs and the end of a finished log', () => {
    const path = join(dir, 'sample.vmrr');
    writeSampleLog(path);
    const s = summarizeLog(path);
    expect(s.frames.nd.frames).toBe(1);
    expect(s.nd.perKind).toEqual({ rdtsc: 2, rdrand: 1, rdseed: 0, clock: 0 });
    expect(s.events).toEqual({ timer: 1, serial: 1, disk: 1, key: 0 });
    expect(s.checkpoints).toEqual({ count: 1, pages: 1, lastIcount: 2000 });
    expect(s.syncs).toEqual({ count: 1, lastIcount: 1000 });
    expect(s.end?.reason).toBe('exit');
    expect(s.lastIcount).toBe(5000);
    expect(s.cut).toBeNull();
  });

  it('gives the recorder buffer exits and says where a cut log stops', () => {
    const steps = randomSteps(new Rng(3), 100);
    const rec = record(dir, 'nd.vmrr', steps, 8, new FakeHost(3));
    const s = summarizeLog(rec.path);
    expect(s.nd.entries).toBe(100);
    expect(s.nd.bufferExits).toBe(rec.src.counters.bufferExits);
    const cutPath = join(dir, 'cut.vmrr');
    writeSampleLog(cutPath, false);
    expect(summarizeLog(cutPath).cut?.message).toMatch(/after frame 4 \(incomplete/);
  });
});

import { describe, expect, it } from 'vitest';
import { ND_RDRAND, ND_RDTSC } from '../../src/replay/nd-block.js';
import { NdDivergence } from '../../src/replay/nd-buffer.js';
import { ReplayNdSource } from '../../src/replay/nd-source.js';
import { Rng, tempDir } from './helpers.js';
import { FakeHost, randomSteps, record, replay, type NdStep } from './nd-harness.js';

const dir = tempDir();

function divergence(e: unknown): NdDivergence {
  expect(e).toBeInstanceOf(NdDivergence);
  return e as NdDivergence;
}

describe('ND record and replay', () => {
  it('replays the recorded values for random ND sequences and buffer sizes', () => {
    const rng = new Rng(7);
    for (let round = 0; round < 60; round++) {
      const steps = randomSteps(rng, rng.int(0, 400));
      const capacity = rng.int(1, 40);
      const service = round % 5 !== 4; // every fifth run plays a loop that ignores buffer exits
      const rec = record(dir, `prop-${round}.vmrr`, steps, capacity, new FakeHost(round, () => rng.int(0, 5000)), service);
      const rep = replay(rec.path, steps, service);
      expect(rep.error).toBeNull();
      expect(rep.values).toEqual(rec.values);
      expect(rep.src.counters.perKind).toEqual(rec.src.counters.perKind);
      expect(rec.src.counters.total).toBe(steps.length);
      const full = Math.floor(steps.length / capacity);
      expect(rec.exits).toBe(full);
      expect(rec.src.counters.bufferExits).toBe(full);
      // Replay leaves the loop each time a block runs out, the last (partial) one included.
      expect(rep.src.counters.bufferExits).toBe(Math.ceil(steps.length / capacity));
    }
  });

  it('returns 16-bit RDRAND values masked and 32-bit ones whole', () => {
    const steps: NdStep[] = [
      { kind: ND_RDRAND, icount: 10, eip: 0x1000, bits: 32 },
      { kind: ND_RDRAND, icount: 11, eip: 0x1004, bits: 16 },
    ];
    const rec = record(dir, 'rdrand.vmrr', steps, 8, new FakeHost(3));
    expect(rec.values[1]).toBeLessThan(0x10000);
    expect(replay(rec.path, steps).values).toEqual(rec.values);
  });

  it('catches a replay that takes an entry at another icount, by the next refill, naming both positions', () => {
    const rng = new Rng(11);
    for (let round = 0; round < 30; round++) {
      const steps = randomSteps(rng, 200);
      const capacity = rng.int(2, 30);
      const rec = record(dir, `icount-${round}.vmrr`, steps, capacity, new FakeHost(round));
      const k = rng.int(0, steps.length - 1);
      const moved = steps.map((s, i) => (i >= k ? { ...s, icount: s.icount + 1 } : s));
      const rep = replay(rec.path, moved);
      const d = divergence(rep.error);
      expect(d.reason).toBe('mismatch');
      const blockEnd = (Math.floor(k / capacity) + 1) * capacity;
      expect(rep.executed).toBeGreaterThan(k);
      expect(rep.executed).toBeLessThanOrEqual(blockEnd);
      expect(d.entry).toBe(k % capacity);
      expect(d.expected?.icount).toBe(steps[k].icount);
      expect(d.actual?.icount).toBe(steps[k].icount + 1);
      expect(d.message).toContain(`the log has ${['rdtsc', 'rdrand', 'rdseed', 'clock'][steps[k].kind]} at icount ${steps[k].icount}`);
      expect(d.message).toMatch(/the replay executed .* at icount \d+ \(EIP 0x[0-9a-f]{8}\)$/);
    }
  });

  it('catches a replay that takes an entry at another EIP through the check value at the refill', () => {
    const steps: NdStep[] = Array.from({ length: 20 }, (_, i) => ({ kind: ND_RDTSC, icount: 100 + 9 * i, eip: 0x1000, bits: 32 }));
    const rec = record(dir, 'eip.vmrr', steps, 8, new FakeHost(1));
    const moved = steps.map((s, i) => (i === 3 ? { ...s, eip: 0x1004 } : s));
    const rep = replay(rec.path, moved);
    const d = divergence(rep.error);
    expect(d.reason).toBe('check');
    expect(rep.executed).toBe(8);
    expect(d.message).toMatch(/^ND divergence in the ND block from frame 1 at offset \d+: check value 0x[0-9a-f]{8} in the log, 0x[0-9a-f]{8} in the replay/);
  });

  it('catches a replay that executes another kind of ND instruction', () => {
    const steps: NdStep[] = [10, 20, 30].map((icount) => ({ kind: ND_RDTSC, icount, eip: 0x1000, bits: 32 }));
    const rec = record(dir, 'kind.vmrr', steps, 8, new FakeHost(1));
    const d = divergence(replay(rec.path, steps.map((s, i) => (i === 1 ? { ...s, kind: ND_RDRAND } : s))).error);
    expect(d.message).toMatch(/at entry 1 of .*: the log has rdtsc at icount 20, the replay executed rdrand at icount 20/);
  });

  it('says when the replay needs more ND values than the log holds', () => {
    const steps: NdStep[] = [10, 20, 30].map((icount) => ({ kind: ND_RDTSC, icount, eip: 0x1000, bits: 32 }));
    const rec = record(dir, 'short.vmrr', steps.slice(0, 2), 8, new FakeHost(1));
    const rep = replay(rec.path, steps);
    const d = divergence(rep.error);
    expect(d.reason).toBe('starved');
    expect(rep.values).toEqual([...rec.values, 0]);
    expect(d.message).toMatch(/^the log has no ND value left for rdtsc at icount 30 \(EIP 0x00001000\); its last ND block is from frame 1 at offset \d+$/);
  });

  it('says when the replay ends before consuming everything recorded', () => {
    const steps: NdStep[] = [10, 20, 30].map((icount) => ({ kind: ND_RDTSC, icount, eip: 0x1000, bits: 32 }));
    const rec = record(dir, 'unconsumed.vmrr', steps, 8, new FakeHost(1));
    const d = divergence(replay(rec.path, steps.slice(0, 2)).error);
    expect(d.reason).toBe('unconsumed');
    expect(d.message).toMatch(/the replay ended before entry 2 of .*, rdtsc at icount 30$/);
  });

  it('requests a buffer exit exactly when the record buffer fills', () => {
    const steps: NdStep[] = Array.from({ length: 10 }, (_, i) => ({ kind: ND_RDTSC, icount: i * 3, eip: 0, bits: 32 }));
    const rec = record(dir, 'exits.vmrr', steps, 4, new FakeHost(1));
    expect(rec.exits).toBe(2);
    expect(rec.src.counters.toJSON()).toMatchObject({ rdtsc: 10, total: 10, bufferExits: 2, blocks: 3 });
  });
});

describe('ND replay source edge cases', () => {
  const block = (icounts: number[]) => ({
    count: icounts.length, kinds: new Uint8Array(icounts.length), icounts: Float64Array.from(icounts),
    values: Float64Array.from(icounts.map((i) => i * 10)), check: 0, at: 1e9,
  });

  it('skips empty blocks when refilling', () => {
    const blocks = [block([]), block([]), block([5])];
    const src = new ReplayNdSource(() => (blocks.length ? { block: blocks.shift()!, origin: 'test' } : null));
    const cpu = { icount: 5, prevEip: 0 };
    src.attach(cpu, () => {});
    src.serviceExit();
    expect(src.rdtsc()).toBe(50);
  });

  it('keeps an error thrown by the log inside an instruction for the next serviceExit', () => {
    const src = new ReplayNdSource(() => {
      throw new Error('log broke');
    });
    let exits = 0;
    src.attach({ icount: 1, prevEip: 0 }, () => exits++);
    expect(src.rdtsc()).toBe(0);
    expect(exits).toBe(1);
    expect(src.pending).toBe(true);
    expect(() => src.serviceExit()).toThrow('log broke');
  });
});

// The simulation behind bench/replication.js: seeded (same seed, same table),
// and on a small world the real rules store every VM and pull fewer bytes
// between primaries than round-robin, whose capacity-blind choice leaves VMs unstored.
import { describe, expect, it } from 'vitest';
import { simulate } from '../../src/cluster/simulate.js';

const opts = { seed: 3, primaries: 10, secondaries: 8, vms: 200, rounds: 3, failRound: 2 };

describe('replication simulation', () => {
  it('gives the same rounds for the same seed', () => {
    expect(simulate('random', opts)).toEqual(simulate('random', opts));
    expect(simulate('vmrr', opts)).toEqual(simulate('vmrr', opts));
  });

  it('vmrr rules: every VM stored despite a failed secondary, fewer bytes pulled than naive rules', () => {
    const v = simulate('vmrr', opts);
    const rr = simulate('round-robin', opts);
    expect(v.every((r) => r.notStored === 0)).toBe(true);
    expect(v[1].failedCopies).toBeGreaterThan(0); // the failed secondary was tried, then avoided
    const pulled = (rs: typeof v) => rs.reduce((s, r) => s + r.pulled, 0);
    expect(pulled(v)).toBeLessThan(pulled(rr));
    // Later rounds copy deltas: far less than the first, full round.
    expect(v[2].toSecondary).toBeLessThan(v[0].toSecondary / 3);
  });
});

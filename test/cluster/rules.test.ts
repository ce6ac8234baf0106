// Properties of the replication rules over seeded random clusters: every VM
// assigned exactly once, no target given more than its free space, failed
// targets and lost nodes never chosen, and choices independent of input order.
import { describe, expect, it } from 'vitest';
import { assignDestinations, assignSources, destCost, type Target, type VmCache, type VmNeed } from '../../src/cluster/rules.js';
import { rng } from '../../src/cluster/simulate.js';

interface World {
  caches: VmCache[];
  needs: VmNeed[];
  targets: Target[];
  lost: Set<string>;
  avoid: Set<string>;
}

function world(seed: number): World {
  const r = rng(seed);
  const int = (n: number) => Math.floor(r() * n);
  const nodes = Array.from({ length: 1 + int(8) }, (_, i) => `p${i}`);
  const tids = Array.from({ length: 1 + int(6) }, (_, i) => `s${i}`);
  const caches: VmCache[] = [];
  const needs: VmNeed[] = [];
  for (let v = 0; v < 1 + int(40); v++) {
    const cached: Record<string, number> = {};
    for (const n of nodes) if (r() < 0.4) cached[n] = r() < 0.3 ? 4096 : 4096 * (1 + int(50)); // many ties at 4096
    caches.push({ vm: `vm${v}`, cached });
    const full = 4096 * (1 + int(100));
    needs.push({ vm: `vm${v}`, full, delta: int(full), prev: r() < 0.5 ? tids[int(tids.length)] : undefined });
  }
  const targets = tids.map((id) => {
    const attempts = int(20);
    return { id, free: 4096 * int(1500), stats: { bytes: int(1e9), ms: int(1e4), attempts, failures: int(attempts + 1) } };
  });
  const lost = new Set(nodes.filter(() => r() < 0.2));
  const avoid = new Set(tids.filter(() => r() < 0.2));
  return { caches, needs, targets, lost, avoid };
}

const SEEDS = Array.from({ length: 300 }, (_, i) => i + 1);

describe('source rule', () => {
  it('assigns every VM exactly once, to a live node holding the most of it (300 seeded clusters)', () => {
    for (const seed of SEEDS) {
      const w = world(seed);
      const out = assignSources(w.caches, w.lost);
      expect(out.map((o) => o.vm)).toEqual(w.caches.map((c) => c.vm));
      for (let i = 0; i < out.length; i++) {
        const live = Object.entries(w.caches[i].cached).filter(([n, b]) => b > 0 && !w.lost.has(n));
        if (live.length === 0) {
          expect(out[i].source).toBeNull();
          continue;
        }
        const max = Math.max(...live.map(([, b]) => b));
        const best = live.filter(([, b]) => b === max).map(([n]) => n).sort()[0];
        expect(out[i].source).toBe(best);
        expect(out[i].bytes).toBe(max);
      }
    }
  });

  it('breaks ties by node id whatever the order nodes are listed in', () => {
    const a = assignSources([{ vm: 'v', cached: { n2: 10, n1: 10, n3: 5 } }]);
    const b = assignSources([{ vm: 'v', cached: { n1: 10, n3: 5, n2: 10 } }]);
    expect(a[0].source).toBe('n1');
    expect(b[0].source).toBe('n1');
    expect(a[0].reason).toContain('tie');
  });

  it('a lost node passes its VM to the node with the next-most bytes, or reports it not replicated', () => {
    const vms = [{ vm: 'v', cached: { a: 30, b: 20, c: 10 } }];
    expect(assignSources(vms, new Set(['a']))[0]).toMatchObject({ source: 'b', bytes: 20 });
    expect(assignSources(vms, new Set(['a']))[0].reason).toContain('a lost');
    expect(assignSources(vms, new Set(['a', 'b', 'c']))[0].source).toBeNull();
  });
});

describe('destination rule', () => {
  it('never exceeds a target free space, never picks an avoided target, assigns each VM once', () => {
    for (const seed of SEEDS) {
      const w = world(seed);
      const out = assignDestinations(w.needs, w.targets, w.avoid);
      expect(out.map((o) => o.vm)).toEqual(w.needs.map((n) => n.vm));
      const given = new Map<string, number>();
      for (let i = 0; i < out.length; i++) {
        const o = out[i];
        if (o.dest === null) continue;
        expect(w.avoid.has(o.dest)).toBe(false);
        expect(o.need).toBe(o.dest === w.needs[i].prev ? w.needs[i].delta : w.needs[i].full);
        given.set(o.dest, (given.get(o.dest) ?? 0) + o.need);
      }
      for (const t of w.targets) expect(given.get(t.id) ?? 0).toBeLessThanOrEqual(t.free);
      // A VM left without a target really had no room anywhere allowed.
      for (let i = 0; i < out.length; i++) {
        if (out[i].dest !== null) continue;
        for (const t of w.targets) {
          if (w.avoid.has(t.id)) continue;
          const need = t.id === w.needs[i].prev ? w.needs[i].delta : w.needs[i].full;
          expect(need).toBeGreaterThan(t.free - (given.get(t.id) ?? 0) - 0);
        }
      }
    }
  });

  it('is independent of the order targets are listed in', () => {
    for (const seed of SEEDS.slice(0, 50)) {
      const w = world(seed);
      const a = assignDestinations(w.needs, w.targets, w.avoid).map((o) => o.dest);
      const b = assignDestinations(w.needs, [...w.targets].reverse(), w.avoid).map((o) => o.dest);
      expect(b).toEqual(a);
    }
  });

  it('prefers the target holding the previous state (delta) and avoids one that failed before', () => {
    const stats = { bytes: 0, ms: 0, attempts: 0, failures: 0 };
    const ts: Target[] = [
      { id: 'a', free: 1e9, stats },
      { id: 'b', free: 1e9, stats },
    ];
    expect(assignDestinations([{ vm: 'v', full: 1e6, delta: 1e4, prev: 'b' }], ts)[0].dest).toBe('b');
    const flaky: Target[] = [
      { id: 'a', free: 1e9, stats: { bytes: 1e8, ms: 1000, attempts: 10, failures: 9 } },
      { id: 'b', free: 1e9, stats: { bytes: 1e8, ms: 1000, attempts: 10, failures: 0 } },
    ];
    expect(assignDestinations([{ vm: 'v', full: 1e6, delta: 1e6 }], flaky)[0].dest).toBe('b');
    expect(assignDestinations([{ vm: 'v', full: 1e6, delta: 1e6 }], flaky, new Set(['b']))[0].dest).toBe('a');
    expect(assignDestinations([{ vm: 'v', full: 1e6, delta: 1e6 }], flaky, new Set(['a', 'b']))[0].dest).toBeNull();
  });

  it('cost grows with queued bytes and with failures, and is infinite without room', () => {
    const t: Target = { id: 'a', free: 1000, stats: { bytes: 0, ms: 0, attempts: 0, failures: 0 } };
    expect(destCost(t, 100, 0, 0)).toBeLessThan(destCost(t, 100, 500, 0));
    expect(destCost(t, 100, 0, 0)).toBeLessThan(destCost({ ...t, stats: { ...t.stats, attempts: 4, failures: 3 } }, 100, 0, 0));
    expect(destCost(t, 1001, 0, 0)).toBe(Number.POSITIVE_INFINITY);
  });
});

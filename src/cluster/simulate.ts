// A seeded model of replication at a scale this machine cannot host
// (bench/replication.js: 100 primary nodes, 50 secondary, 5,000 VMs), run
// with the real rules (rules.ts) against two naive ones. The model is
// stated in docs/replication.md; nothing here reads a clock or the host's
// randomness, so a seed gives one table.

import { assignDestinations, assignSources, type Target, type VmNeed } from './rules.js';

export type RuleName = 'vmrr' | 'round-robin' | 'random';

export interface SimOptions {
  seed: number;
  primaries: number;
  secondaries: number;
  vms: number;
  rounds: number;
  /** Round at which one secondary fails every copy sent to it (1-based; 0: never). */
  failRound: number;
}

export interface RoundResult {
  /** Bytes sent to the secondary cluster (retries included). */
  toSecondary: number;
  /** Bytes the source nodes had to fetch from other primaries (state they did not cache). */
  pulled: number;
  /** The busiest secondary's share of the bytes sent. */
  busiestShare: number;
  /** Modelled round time: the slowest node's bytes over its bandwidth, in ms. */
  roundMs: number;
  /** VMs whose state was not stored this round (no room, or failed with no retry target). */
  notStored: number;
  failedCopies: number;
}

export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const MIB = 1 << 20;

interface Vm {
  id: string;
  full: number;
  dirty: number;
  cached: Record<string, number>;
}

interface World {
  vms: Vm[];
  pIds: string[];
  sIds: string[];
  /** bytes per ms */
  pBw: Map<string, number>;
  sBw: Map<string, number>;
  sFree: Map<string, number>;
}

function buildWorld(o: SimOptions): World {
  const r = rng(o.seed);
  const pIds = Array.from({ length: o.primaries }, (_, i) => `p${String(i).padStart(3, '0')}`);
  const sIds = Array.from({ length: o.secondaries }, (_, i) => `s${String(i).padStart(3, '0')}`);
  const vms: Vm[] = [];
  let total = 0;
  for (let v = 0; v < o.vms; v++) {
    const full = Math.round((64 + r() * 960) * MIB);
    total += full;
    const home = pIds[Math.floor(r() * pIds.length)];
    const cached: Record<string, number> = { [home]: Math.round(full * (0.5 + r() * 0.5)) };
    // A third of the VMs migrated once or twice: earlier nodes keep part of what they cached.
    const moves = r() < 0.33 ? 1 + Math.floor(r() * 2) : 0;
    for (let k = 0; k < moves; k++) cached[pIds[Math.floor(r() * pIds.length)]] = Math.round(full * r() * 0.9);
    vms.push({ id: `vm${v}`, full, dirty: 0.01 + r() * 0.2, cached });
  }
  const pBw = new Map(pIds.map((id) => [id, (500 + r() * 1500) * 1000])); // 0.5-2 GB/s
  const sBw = new Map(sIds.map((id) => [id, (100 + r() * 900) * 1000])); // 0.1-1 GB/s
  // Room for about 1.6 states of every VM, unevenly spread.
  const sFree = new Map(sIds.map((id) => [id, Math.round(((total * 1.6) / o.secondaries) * (0.5 + r()))]));
  return { vms, pIds, sIds, pBw, sBw, sFree };
}

/** Run `rule` for `o.rounds` rounds over the world `o.seed` builds. */
export function simulate(rule: RuleName, o: SimOptions): RoundResult[] {
  const w = buildWorld(o);
  const r = rng(o.seed ^ 0x5eed);
  const stats = new Map<string, Target['stats']>(w.sIds.map((id) => [id, { bytes: 0, ms: 0, attempts: 0, failures: 0 }]));
  const stored = new Map<string, string>(); // vm -> target holding its last state
  const used = new Map<string, number>(w.sIds.map((id) => [id, 0])); // bytes of stored states per target
  const held = new Map<string, number>(); // vm -> bytes it holds on its target
  const out: RoundResult[] = [];
  for (let round = 1; round <= o.rounds; round++) {
    const failed = round === o.failRound ? w.sIds[7 % w.sIds.length] : null;
    const needs: VmNeed[] = w.vms.map((v) => ({ vm: v.id, full: v.full, delta: Math.round(v.full * v.dirty), prev: stored.get(v.id) }));
    let sources: (string | null)[];
    let dests: (string | null)[];
    const free = () => w.sIds.map((id) => ({ id, free: w.sFree.get(id)! - used.get(id)!, stats: stats.get(id)! }));
    if (rule === 'vmrr') {
      sources = assignSources(w.vms.map((v) => ({ vm: v.id, cached: v.cached }))).map((s) => s.source);
      dests = assignDestinations(needs, free()).map((d) => d.dest);
    } else if (rule === 'round-robin') {
      sources = w.vms.map((_, i) => w.pIds[i % w.pIds.length]);
      dests = w.vms.map((_, i) => w.sIds[i % w.sIds.length]);
    } else {
      sources = w.vms.map(() => w.pIds[Math.floor(r() * w.pIds.length)]);
      dests = w.vms.map(() => w.sIds[Math.floor(r() * w.sIds.length)]);
    }
    const pLoad = new Map<string, number>();
    const sLoad = new Map<string, number>();
    let toSecondary = 0;
    let pulled = 0;
    let notStored = 0;
    let failedCopies = 0;
    const retry: number[] = [];
    const send = (i: number, dest: string | null): boolean => {
      const v = w.vms[i];
      if (dest === null) return false;
      const need = dest === stored.get(v.id) ? needs[i].delta : v.full;
      const src = sources[i]!;
      const frac = Math.min(1, (v.cached[src] ?? 0) / v.full);
      const pull = Math.round(need * (1 - frac));
      pulled += pull;
      pLoad.set(src, (pLoad.get(src) ?? 0) + need + pull);
      toSecondary += need;
      sLoad.set(dest, (sLoad.get(dest) ?? 0) + need);
      const st = stats.get(dest)!;
      st.attempts++;
      const room = w.sFree.get(dest)! - used.get(dest)!;
      if (dest === failed || need > room) {
        st.failures++;
        failedCopies++;
        return false;
      }
      // The new state replaces the old one on this target, or is added beside another target's.
      // (On the same target the delta's pages replace the ones they supersede.)
      const old = stored.get(v.id);
      if (old !== dest) {
        if (old !== undefined) used.set(old, used.get(old)! - held.get(v.id)!);
        used.set(dest, used.get(dest)! + v.full);
      }
      stored.set(v.id, dest);
      held.set(v.id, v.full);
      return true;
    };
    for (let i = 0; i < w.vms.length; i++) if (!send(i, dests[i])) retry.push(i);
    // One retry for each failed copy, on a target other than the failed one.
    const avoid = new Set(failed ? [failed] : []);
    if (retry.length > 0) {
      let again: (string | null)[];
      if (rule === 'vmrr') again = assignDestinations(retry.map((i) => needs[i]), free(), avoid).map((d) => d.dest);
      else again = retry.map((i) => w.sIds[(w.sIds.indexOf(dests[i] ?? w.sIds[0]) + 1) % w.sIds.length]);
      retry.forEach((i, k) => {
        if (!send(i, again[k])) notStored++;
      });
    }
    let roundMs = 0;
    for (const [id, b] of pLoad) roundMs = Math.max(roundMs, b / w.pBw.get(id)!);
    let busiest = 0;
    for (const [id, b] of sLoad) {
      roundMs = Math.max(roundMs, b / w.sBw.get(id)!);
      busiest = Math.max(busiest, b);
      const st = stats.get(id)!;
      st.bytes += b;
      st.ms += b / w.sBw.get(id)!;
    }
    out.push({ toSecondary, pulled, busiestShare: toSecondary === 0 ? 0 : busiest / toSecondary, roundMs, notStored, failedCopies });
  }
  return out;
}

// The two replication rules, as pure functions (no I/O, no clock, no
// randomness), so the coordinator, the tests and the simulation
// (bench/replication.js) run the same code. docs/replication.md states them.
//
// Source rule: a VM is replicated by the live primary node holding the most
// bytes of its cached state; ties go to the smallest node id. A lost node
// is skipped, so the node with the next-most bytes takes the VM; with no
// live node caching anything of it, the VM is not replicated this round.
//
// Destination rule: among secondary targets with room for what this VM
// would cost there, and not failed this round, the one with the lowest
//   cost = (queued + need) / thr  *  1 / (1 - fail)  *  1 / room
// where need = the bytes to copy there (only the delta on the target that
// holds the VM's previous state, everything elsewhere), queued = bytes
// already given to that target this round, thr = (bytes + R*T0) / (ms + T0)
// its observed throughput with a prior of T0 = 10 ms at R, the rate seen
// over all targets (1 MiB per 10 ms before any copy), fail =
// failures / (attempts + 2), and room = freeAfter / (freeAfter + need),
// which grows with the space left once this VM is stored. Ties go to the
// smallest target id. The target holding the previous state is kept while
// its cost is at most STICKY (4) times the cheapest one's: otherwise a busy
// target would push its VMs into full copies elsewhere, which finish sooner
// this round but move ten times the bytes.

export interface VmCache {
  vm: string;
  /** Bytes of this VM's state each primary node holds in its cache. */
  cached: Readonly<Record<string, number>>;
}

export interface SourceChoice {
  vm: string;
  /** null: not replicated this round. */
  source: string | null;
  bytes: number;
  reason: string;
}

/** Pick each VM's source node. Every VM appears exactly once in the result, in input order. */
export function assignSources(vms: readonly VmCache[], lost: ReadonlySet<string> = new Set()): SourceChoice[] {
  return vms.map((v) => {
    const ranked = rankNodes(v.cached);
    if (ranked.length === 0) return { vm: v.vm, source: null, bytes: 0, reason: 'no node caches any of it' };
    const live = ranked.filter(([n]) => !lost.has(n));
    if (live.length === 0) {
      return { vm: v.vm, source: null, bytes: 0, reason: `every node caching it is lost (${ranked.map(([n]) => n).join(', ')})` };
    }
    const [node, bytes] = live[0];
    const skipped = ranked.slice(0, ranked.indexOf(live[0])).map(([n]) => n);
    const total = ranked.reduce((s, [, b]) => s + b, 0);
    const share = `${bytes} of ${total} cached bytes`;
    const tie = live.length > 1 && live[1][1] === bytes ? ', tie broken by node id' : '';
    const reason = skipped.length > 0 ? `next-most: ${skipped.join(', ')} lost; ${share}` : `most cached: ${share}${tie}`;
    return { vm: v.vm, source: node, bytes, reason };
  });
}

function rankNodes(cached: Readonly<Record<string, number>>): [string, number][] {
  return Object.entries(cached)
    .filter(([, b]) => b > 0)
    .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
}

export interface TargetStats {
  /** Bytes copied by successful copies, and the milliseconds they took. */
  bytes: number;
  ms: number;
  attempts: number;
  failures: number;
}

export interface Target {
  id: string;
  /** Bytes the target can still store (its maxmemory minus used memory). */
  free: number;
  stats: TargetStats;
}

export interface VmNeed {
  vm: string;
  /** Bytes to copy to a target that holds nothing of this VM. */
  full: number;
  /** Bytes to copy to `prev`, the target holding the VM's previous state. */
  delta: number;
  prev?: string;
}

export interface DestChoice {
  vm: string;
  /** null: no target has room (or every one failed this round). */
  dest: string | null;
  need: number;
  cost: number;
  reason: string;
}

export const PRIOR_BYTES = 1 << 20;
export const PRIOR_MS = 10;
/** A VM stays on its previous target while that costs at most this many times the cheapest. */
export const STICKY = 4;

/**
 * Observed bytes per ms with a prior worth PRIOR_MS of copying at `prior`
 * bytes/ms: the whole cluster's observed rate (clusterRate), so a target
 * never tried looks average, neither better nor worse than those tried.
 */
export function throughput(s: TargetStats, prior = PRIOR_BYTES / PRIOR_MS): number {
  return (s.bytes + prior * PRIOR_MS) / (s.ms + PRIOR_MS);
}

/** Bytes per ms over every target's successful copies (PRIOR_BYTES / PRIOR_MS before any). */
export function clusterRate(targets: readonly Target[]): number {
  let b = 0;
  let ms = 0;
  for (const t of targets) {
    b += t.stats.bytes;
    ms += t.stats.ms;
  }
  return ms > 0 ? b / ms : PRIOR_BYTES / PRIOR_MS;
}

export function failRate(s: TargetStats): number {
  return s.failures / (s.attempts + 2);
}

/** The cost of giving `need` more bytes to `t` with `queued` already given this round (Infinity: no room). */
export function destCost(t: Target, need: number, queued: number, used: number, prior?: number): number {
  const freeAfter = t.free - used - need;
  if (freeAfter < 0) return Number.POSITIVE_INFINITY;
  const room = (freeAfter + 1) / (freeAfter + need + 1);
  return ((queued + need) / throughput(t.stats, prior)) / (1 - failRate(t.stats)) / room;
}

/**
 * Pick each VM's destination, biggest copies first, so that the bytes given
 * to a target never exceed its free space; `avoid` holds targets failed this
 * round. The result is in input order, one entry per VM.
 */
export function assignDestinations(needs: readonly VmNeed[], targets: readonly Target[], avoid: ReadonlySet<string> = new Set()): DestChoice[] {
  const ts = [...targets].filter((t) => !avoid.has(t.id)).sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  const used = new Map<string, number>(ts.map((t) => [t.id, 0]));
  const prior = clusterRate(targets);
  const order = needs.map((n, i) => i).sort((a, b) => needs[b].full - needs[a].full || a - b);
  const out: DestChoice[] = new Array(needs.length);
  for (const i of order) {
    const n = needs[i];
    let best: Target | null = null;
    let bestCost = Number.POSITIVE_INFINITY;
    let bestNeed = n.full;
    for (const t of ts) {
      const need = t.id === n.prev ? n.delta : n.full;
      const u = used.get(t.id)!;
      const c = destCost(t, need, u, u, prior);
      if (c < bestCost) {
        best = t;
        bestCost = c;
        bestNeed = need;
      }
    }
    // Stay on the target holding the previous state (a delta copy) unless it costs STICKY times the best.
    const prev = n.prev === undefined ? undefined : ts.find((t) => t.id === n.prev);
    if (prev !== undefined && best !== prev) {
      const u = used.get(prev.id)!;
      const c = destCost(prev, n.delta, u, u, prior);
      if (Number.isFinite(c) && c <= bestCost * STICKY) {
        best = prev;
        bestCost = c;
        bestNeed = n.delta;
      }
    }
    if (best === null) {
      const why = ts.length === 0 ? 'no target left (all failed this round)' : `no target has room for ${n.full} bytes`;
      out[i] = { vm: n.vm, dest: null, need: n.full, cost: bestCost, reason: why };
      continue;
    }
    used.set(best.id, used.get(best.id)! + bestNeed);
    const mbps = (throughput(best.stats, prior) / 1000).toFixed(1);
    const kind = best.id === n.prev ? 'holds its previous state, delta only' : 'full copy';
    const reason = `lowest cost ${bestCost.toFixed(2)}: ${kind}, ${best.free - used.get(best.id)!} bytes free after, ${mbps} MB/s seen, ${best.stats.failures}/${best.stats.attempts} failed`;
    out[i] = { vm: n.vm, dest: best.id, need: bestNeed, cost: bestCost, reason };
  }
  return out;
}

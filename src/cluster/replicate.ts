// One replication round (the coordinator): a consistent state of every VM,
// the source rule over what each node caches of it, the destination rule
// over the secondaries' free space and history, the copies (each retried on
// another destination when a secondary fails), and the history written back
// to every live secondary. Nothing here keeps state between rounds: what a
// coordinator needs is in the nodes and the store.

import { performance } from 'node:perf_hooks';
import { assignDestinations, assignSources, type Target, type TargetStats } from './rules.js';
import { mergeStats, RedisTarget } from './store.js';
import { callNode, NodeError } from './rpc.js';
import type { CopyResult } from './node.js';
import type { GuestInfo } from './guest.js';
import { fullStateBytes, logSince, manifestKeyBlobs, type VmManifest } from './vm-state.js';

export interface VmRoundReport {
  vm: string;
  icount: number | null;
  stateHash: string | null;
  runningOn: string | null;
  source: string | null;
  sourceWhy: string;
  dest: string | null;
  destWhy: string;
  /** Bytes written to the destination, and the state's full size (non-zero pages + machine state). */
  bytesCopied: number;
  fullBytes: number;
  /** Bytes of the log tail this state carries (the recording since the VM's previous committed state), in bytesCopied too. */
  logBytes: number;
  /** The log tail starts at this icount (the previous committed state; 0: power-on). */
  logFrom: number | null;
  /** Old states deleted on the destination at this commit (--keep), and the bytes of blobs that freed. */
  collected: { states: number; bytes: number };
  pulledBytes: number;
  ms: number;
  /** Destinations that failed this VM's copy this round, with why. */
  failures: { target: string; error: string }[];
  replicated: boolean;
}

export interface RoundReport {
  round: number;
  vms: VmRoundReport[];
  lostNodes: { node: string; error: string }[];
  deadSecondaries: { target: string; error: string }[];
  ms: number;
}

export interface RoundOptions {
  nodes: string[];
  secondaries: string[];
  round: number;
  /** Tries per VM (a failed destination is avoided for the rest of the round). */
  attempts?: number;
  /** States kept per VM on a secondary: older ones are collected at each commit (0: keep all). */
  keep?: number;
  /** Test hook: runs once the states are taken, before any copy. */
  beforeCopies?: () => Promise<void>;
}

const round1 = (ms: number) => Math.round(ms * 10) / 10;
const err = (e: unknown) => (e instanceof Error ? e.message : String(e));

export async function replicateRound(o: RoundOptions): Promise<RoundReport> {
  const t0 = performance.now();
  const lost = new Map<string, string>();
  // Where each VM runs.
  const where = new Map<string, string>();
  await Promise.all(
    o.nodes.map(async (n) => {
      try {
        for (const g of await callNode<GuestInfo[]>(n, 'ls')) where.set(g.vm, n);
      } catch (e) {
        lost.set(n, err(e));
      }
    }),
  );
  const vms = [...where.keys()].sort();
  // A consistent state of each (the guest is paused only while it is taken).
  const manifests = new Map<string, VmManifest>();
  const reports = new Map<string, VmRoundReport>();
  for (const vm of vms) {
    const r: VmRoundReport = { vm, icount: null, stateHash: null, runningOn: where.get(vm)!, source: null, sourceWhy: '', dest: null, destWhy: '', bytesCopied: 0, fullBytes: 0, logBytes: 0, logFrom: null, collected: { states: 0, bytes: 0 }, pulledBytes: 0, ms: 0, failures: [], replicated: false };
    reports.set(vm, r);
    try {
      const m = await callNode<VmManifest>(where.get(vm)!, 'snapshot', { vm });
      manifests.set(vm, m);
      Object.assign(r, { icount: m.icount, stateHash: m.stateHash, fullBytes: fullStateBytes(m) });
    } catch (e) {
      lost.set(where.get(vm)!, err(e));
      r.sourceWhy = `no state: ${err(e)}`;
    }
  }
  const taken = vms.filter((v) => manifests.has(v));
  // What every node caches of each state.
  const states = taken.map((vm) => ({ vm, blobs: manifestKeyBlobs(manifests.get(vm)!).slice(2).concat(manifests.get(vm)!.state) }));
  const cached = new Map<string, Record<string, number>>(taken.map((v) => [v, {}]));
  await Promise.all(
    o.nodes.map(async (n) => {
      if (lost.has(n)) return;
      try {
        const got = await callNode<Record<string, number>>(n, 'cached', { states });
        for (const vm of taken) cached.get(vm)![n] = got[vm] ?? 0;
      } catch (e) {
        lost.set(n, err(e));
      }
    }),
  );
  await o.beforeCopies?.();
  // The secondaries: free space, history, where each VM's last state is.
  const delta: Record<string, TargetStats> = {};
  const note = (id: string, d: Partial<TargetStats>) => {
    const s = (delta[id] ??= { bytes: 0, ms: 0, attempts: 0, failures: 0 });
    for (const k of Object.keys(d) as (keyof TargetStats)[]) s[k] += d[k]!;
  };
  const dead = new Map<string, string>();
  const stores = o.secondaries.map((s) => new RedisTarget(s));
  const targets: Target[] = [];
  const histories: Map<string, TargetStats>[] = [];
  const prev = new Map<string, { target: string; blobs: Set<string> }>();
  for (const t of stores) {
    try {
      const free = await t.freeBytes();
      histories.push(await t.stats());
      targets.push({ id: t.id, free, stats: { bytes: 0, ms: 0, attempts: 0, failures: 0 } });
      for (const vm of taken) {
        const m = await t.manifest(vm);
        if (m && (!prev.has(vm) || m.icount > Number(prev.get(vm)!.target.split('#')[1]))) prev.set(vm, { target: `${t.id}#${m.icount}`, blobs: new Set(manifestKeyBlobs(m)) });
      }
    } catch (e) {
      dead.set(t.id, err(e));
    }
  }
  for (const id of dead.keys()) note(id, { attempts: 1, failures: 1 });
  // The log tail each state carries starts at the VM's last committed state (older segments are there already).
  for (const vm of taken) {
    const p = prev.get(vm);
    const m = logSince(manifests.get(vm)!, p ? Number(p.target.split('#')[1]) : 0);
    manifests.set(vm, m);
    Object.assign(reports.get(vm)!, { logBytes: m.log?.bytes ?? 0, logFrom: m.log?.from ?? null });
  }
  const history = mergeStats(histories);
  for (const t of targets) t.stats = history.get(t.id) ?? t.stats;
  const sources = assignSources(taken.map((vm) => ({ vm, cached: cached.get(vm)! })), new Set(lost.keys()));
  const avoid = new Set<string>(dead.keys());
  let pending = sources.filter((s) => s.source !== null);
  for (const s of sources) Object.assign(reports.get(s.vm)!, { source: s.source, sourceWhy: s.reason });
  for (let attempt = 0; attempt < (o.attempts ?? 3) && pending.length > 0; attempt++) {
    const needs = pending.map((s) => {
      const m = manifests.get(s.vm)!;
      const p = prev.get(s.vm);
      const all = manifestKeyBlobs(m);
      const changed = p ? all.filter((h) => !p.blobs.has(h)).length * 4096 : 0;
      return { vm: s.vm, full: fullStateBytes(m), delta: changed, prev: p?.target.split('#')[0] };
    });
    const dests = assignDestinations(needs, targets, avoid);
    const next: typeof pending = [];
    await Promise.all(
      pending.map(async (s, i) => {
        const r = reports.get(s.vm)!;
        const d = dests[i];
        if (d.dest === null) {
          r.destWhy = d.reason;
          return;
        }
        try {
          const m = manifests.get(s.vm)!;
          const res = await callNode<CopyResult>(s.source!, 'copy', { manifest: m, target: d.dest, peer: where.get(s.vm)!, keep: o.keep ?? 0 });
          Object.assign(r, { dest: d.dest, destWhy: d.reason, bytesCopied: res.bytes, pulledBytes: res.pulled, ms: round1(res.ms), collected: res.collected, replicated: true });
          // The node running the VM may forget the log before this state.
          await callNode(where.get(s.vm)!, 'committed', { vm: s.vm, icount: m.icount }).catch(() => {});
          note(d.dest, { bytes: res.bytes, ms: res.ms, attempts: 1 });
        } catch (e) {
          if (e instanceof NodeError && e.unreachable) {
            // The source node is lost mid-round: the node with the next-most bytes takes the VM (the target is not to blame).
            lost.set(s.source!, err(e));
            const again = assignSources([{ vm: s.vm, cached: cached.get(s.vm)! }], new Set(lost.keys()))[0];
            Object.assign(r, { source: again.source, sourceWhy: again.reason });
            if (again.source !== null) next.push({ ...s, source: again.source });
            return;
          }
          if (/cannot fetch \d+ blobs/.test(err(e))) {
            // The source lacks part of the state and the node running the VM is gone: nobody has it all.
            r.destWhy = `not replicated this round: ${err(e)}`;
            return;
          }
          r.failures.push({ target: d.dest, error: err(e) });
          note(d.dest, { attempts: 1, failures: 1 });
          avoid.add(d.dest);
          next.push(s);
        }
      }),
    );
    pending = next;
  }
  for (const s of pending) {
    const r = reports.get(s.vm)!;
    r.destWhy = r.failures.length > 0 ? `every destination tried failed (${r.failures.map((f) => f.target).join(', ')})` : `gave up after ${o.attempts ?? 3} tries`;
  }
  // The history goes to every secondary still answering, so every coordinator sees it.
  for (const t of stores) {
    if (dead.has(t.id)) continue;
    try {
      for (const [id, d] of Object.entries(delta)) await t.addStats(id, d);
    } catch {
      // A secondary lost now: the others have the history.
    }
    t.close();
  }
  for (const t of stores) t.close();
  return {
    round: o.round,
    vms: vms.map((v) => reports.get(v)!),
    lostNodes: [...lost].map(([node, error]) => ({ node, error })),
    deadSecondaries: [...dead].map(([target, error]) => ({ target, error })),
    ms: round1(performance.now() - t0),
  };
}

// Timings and sizes for snapshots, checkpoints and state hashes on a 32 MiB
// machine (not a test: timings vary by host). Run:
//   npx tsx test/machine/measure.ts
import { performance } from 'node:perf_hooks';
import { takeSnapshot, restoreSnapshot, CheckpointTracker, applyCheckpoints, checkpointPageBytes, type Checkpoint } from '../../src/machine/snapshot.js';
import { StateHasher, stateHashOf } from '../../src/machine/state-hash.js';
import { makeCbor } from '../../src/replay/cbor-fields.js';
import { boot as bootSized } from './helpers.js';

const RAM = 32 << 20;
const boot = (name: string): ReturnType<typeof bootSized> => bootSized(name, RAM);

const MB = 1 << 20;
const cbor = makeCbor();

function time<T>(f: () => T, reps = 7): { ms: number; v: T } {
  let v = f(); // warm-up
  const t: number[] = [];
  for (let i = 0; i < reps; i++) {
    const t0 = performance.now();
    v = f();
    t.push(performance.now() - t0);
  }
  t.sort((a, b) => a - b);
  return { ms: t[reps >> 1], v };
}
const fmt = (ms: number): string => (ms < 1 ? `${(ms * 1000).toFixed(0)} us` : `${ms.toFixed(2)} ms`);
const kb = (n: number): string => (n >= MB ? `${(n / MB).toFixed(2)} MiB` : `${(n / 1024).toFixed(1)} KiB`);

// Snapshots.
{
  const b = boot('bench-short.mb');
  b.m.run(2_000_000);
  const s = time(() => takeSnapshot(b.m));
  const reused = time(() => takeSnapshot(b.m, s.v));
  const stateBytes = cbor.encode(s.v.state).length;
  const r = time(() => restoreSnapshot(b.m, s.v));
  console.log(`snapshot (32 MiB RAM): take ${fmt(s.ms)} (into a reused buffer ${fmt(reused.ms)}), ${kb(s.v.ram.length)} RAM + ${stateBytes} B state (CBOR); restore with RAM unchanged ${fmt(r.ms)}`);
  b.m.run(4_000_000);
  const t0 = performance.now();
  restoreSnapshot(b.m, s.v);
  console.log(`  restore after 2M more instructions: ${fmt(performance.now() - t0)}`);
}

// Checkpoints of a guest that writes little, and the worst case (every page non-zero).
for (const [name, every] of [['bench-short.mb', 1_000_000], ['timer.mb', 1_000_000]] as const) {
  const b = boot(name);
  const tr = new CheckpointTracker(b.m);
  let t0 = performance.now();
  const base = tr.take();
  const baseMs = performance.now() - t0;
  const warmBase = time(() => tr.take({ full: true }), 3).ms;
  const chain: Checkpoint[] = [base];
  const deltas: { ms: number; pages: number; bytes: number }[] = [];
  for (let k = 1; k <= 10; k++) {
    const stop = b.m.run(k * every);
    t0 = performance.now();
    const cp = tr.take();
    const ms = performance.now() - t0;
    deltas.push({ ms, pages: cp.pages.length, bytes: cbor.encode(cp).length });
    chain.push(cp);
    if (stop.reason !== 'limit') break;
  }
  const med = (xs: number[]): number => xs.sort((a, c) => a - c)[xs.length >> 1];
  console.log(`checkpoints, ${name} every ${every / 1e6}M insns: base ${base.pages.length} pages ${kb(cbor.encode(base).length)} CBOR in ${fmt(baseMs)} (warm ${fmt(warmBase)});` +
    ` deltas median ${med(deltas.map((d) => d.pages))} pages (of ${RAM / 4096}), ${kb(med(deltas.map((d) => d.bytes)))} CBOR, ${fmt(med(deltas.map((d) => d.ms)))}`);
  const f = boot(name);
  const a = time(() => applyCheckpoints(f.m, chain), 5);
  console.log(`  applyCheckpoints(base + ${chain.length - 1} deltas) on a fresh machine: ${fmt(a.ms)}`);
}
{
  const b = boot('bench-short.mb');
  for (let i = 0; i < RAM; i += 4096) b.m.mem.ram[i] = 1;
  const tr = new CheckpointTracker(b.m);
  const c = time(() => tr.take({ full: true }), 3);
  const t0 = performance.now();
  const enc = cbor.encode(c.v);
  const encMs = performance.now() - t0;
  console.log(`checkpoint, worst case (all 8192 pages non-zero): ${fmt(c.ms)}, ${kb(checkpointPageBytes(c.v))} of pages, CBOR ${kb(enc.length)} in ${fmt(encMs)}`);
  const all = tr.take({ extraPages: Array.from({ length: RAM / 4096 }, (_, i) => i) });
  console.log(`  delta listing every page: ${all.pages.length} pages`);
}

// Hashes.
{
  const b = boot('bench-short.mb');
  b.m.run(1_000_000);
  const cold = new StateHasher(b.m);
  let t0 = performance.now();
  cold.hash();
  const first = performance.now() - t0;
  const full = time(() => stateHashOf(b.m));
  const h = new StateHasher(b.m);
  h.hash();
  const inc: number[] = [];
  const pages: number[] = [];
  for (let k = 1; k <= 9; k++) {
    b.m.run(1_000_000 + k * 1_000_000);
    t0 = performance.now();
    h.hash();
    inc.push(performance.now() - t0);
    pages.push(h.rehashed);
  }
  inc.sort((x, y) => x - y);
  const none = time(() => h.hash());
  console.log(`state hash, 32 MiB: first hash() ${fmt(first)} (cold JIT), from scratch ${fmt(full.ms)} (${((RAM / MB) / (full.ms / 1000)).toFixed(0)} MiB/s);` +
    ` incremental every 1M insns ${fmt(inc[4])} (median, ${pages[4]} pages redone); nothing dirtied ${fmt(none.ms)}`);
}

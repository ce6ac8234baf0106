// The replication figures on real guests (docs/replication.md, "Figures"):
// a redis-server on a free loopback port, one primary node in this process
// running bundled guests under --clock virtual --seed 1 (ata.mb with its
// disk), each held at the same icounts every round (1, 2, 3 x --step
// instructions: the bytes are the same on any host), then per guest and
// round the bytes copied against the full state, and the log tail; then
// the median time of `vmrr restore` (no run) of bench.mb and of a 32 MiB
// guest whose every page is non-zero (a machine whose RAM was filled with
// seeded bytes by this script, its state committed like a node's).
// Usage: node bench/replication-guests.js [--step N] [--restores N] [--json]
import { spawn, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { parseArgs } from 'node:util';
import { PrimaryNode, serveNode } from '../dist/cluster/node.js';
import { callNode } from '../dist/cluster/rpc.js';
import { replicateRound } from '../dist/cluster/replicate.js';
import { restoreVm } from '../dist/cluster/restore.js';
import { RedisTarget } from '../dist/cluster/store.js';
import { NodeGuest } from '../dist/cluster/guest.js';
import { blobHash } from '../dist/cluster/vm-state.js';
import { writePage } from '../dist/machine/ram-pages.js';
import { DEFAULT_MACHINE_CONFIG, encodeMachineConfig } from '../dist/machine/config.js';

const { values: args } = parseArgs({
  options: { step: { type: 'string' }, restores: { type: 'string' }, json: { type: 'boolean', default: false } },
});
const STEP = Number(args.step ?? 2_000_000);
const RESTORES = Number(args.restores ?? 5);
const fixture = (n) => new Uint8Array(readFileSync(new URL(`../fixtures/${n}`, import.meta.url)));
const config = (img) => encodeMachineConfig({ ...DEFAULT_MACHINE_CONFIG, clock: 'virtual', seed: 1, imageArg: img });
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

function freePort() {
  return new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const p = s.address().port;
      s.close(() => resolve(p));
    });
  });
}

async function startRedis() {
  const port = await freePort();
  const proc = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--maxmemory', '1gb'], { stdio: 'ignore' });
  const t = new RedisTarget(`127.0.0.1:${port}`);
  for (let i = 0; i < 100; i++) {
    try {
      await t.head('x');
      break;
    } catch {
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  t.close();
  return { proc, url: `redis://127.0.0.1:${port}` };
}

if (spawnSync('redis-server', ['--version']).error) {
  console.log('replication-guests: skipped, no redis-server on PATH (Debian: apt-get install redis-server)');
  process.exit(0);
}
const redis = await startRedis();
const port = await freePort();
const node = new PrimaryNode(`127.0.0.1:${port}`, 256 << 20);
const server = await serveNode(node, port);
const guests = [
  ['bench', 'bench.mb'],
  ['alu', 'alu.mb'],
  ['string', 'string.mb'],
  ['demo', 'demo.mb'],
  ['ata', 'ata.mb', 'ata-disk.img'],
];
try {
  for (const [vm, img, disk] of guests) {
    node.holds.set(vm, STEP);
    await callNode(node.id, 'start', { vm, image: fixture(img), config: config(img), ...(disk ? { disk: fixture(disk) } : {}) });
  }
  const rows = [];
  for (let round = 1; round <= 3; round++) {
    for (const [vm] of guests) await node.hold(vm, round * STEP);
    const r = await replicateRound({ nodes: [node.id], secondaries: [redis.url], round, keep: 3 });
    for (const v of r.vms) {
      rows.push({ round, vm: v.vm, icount: v.icount, bytesCopied: v.bytesCopied, fullBytes: v.fullBytes, logBytes: v.logBytes, share: v.bytesCopied / v.fullBytes });
    }
  }
  const benchMs = [];
  for (let i = 0; i < RESTORES; i++) benchMs.push((await restoreVm({ from: [redis.url], vm: 'bench', run: false })).restoreMs);
  // A 32 MiB guest with every page non-zero: bench.mb's machine, RAM filled with seeded bytes, committed as a node commits.
  const g = new NodeGuest('full32', fixture('bench.mb'), blobHash(fixture('bench.mb')), config('bench.mb'), null);
  let x = 12345;
  const page = new Uint8Array(4096);
  for (let p = 0; p < g.machine.mem.pages; p++) {
    for (let i = 0; i < 4096; i += 4) {
      x = (Math.imul(x, 1103515245) + 12345) >>> 0;
      page[i] = x >>> 24;
      page[i + 1] = x >>> 16;
      page[i + 2] = x >>> 8;
      page[i + 3] = x | 1;
    }
    writePage(g.machine, p, page);
  }
  const ram = g.machine.mem.ram;
  const c = g.capture('bench');
  g.hashes.close();
  const t = new RedisTarget(redis.url);
  const list = [...c.blobs.entries(), [g.imageHash, g.image]];
  for (const [p, h] of c.manifest.pages) list.push([h, ram.slice(p * 4096, (p + 1) * 4096)]);
  await t.putBlobs(list);
  await t.commit(c.manifest, 0);
  t.close();
  const fullMs = [];
  let hashOk = true;
  for (let i = 0; i < RESTORES; i++) {
    const r = await restoreVm({ from: [redis.url], vm: 'full32', run: false });
    fullMs.push(r.restoreMs);
    hashOk &&= r.hashMatches;
  }
  const out = {
    step: STEP, rows,
    restore: { benchMs: median(benchMs), full32: { pages: c.manifest.pages.length, ms: median(fullMs), hashMatches: hashOk } },
  };
  if (args.json) console.log(JSON.stringify(out, null, 2));
  else {
    console.log(`rounds at icount 1, 2, 3 x ${STEP.toLocaleString('en')} (a guest that ended earlier stays at its end)`);
    console.log('| guest | round | icount | copied (B) | full state (B) | copied / full | log tail (B) |');
    console.log('|---|---|---|---|---|---|---|');
    for (const r of rows) console.log(`| ${r.vm} | ${r.round} | ${r.icount} | ${r.bytesCopied} | ${r.fullBytes} | ${(100 * r.share).toFixed(1)}% | ${r.logBytes} |`);
    console.log(`restore (no run), median of ${RESTORES}: bench.mb ${out.restore.benchMs.toFixed(1)} ms; 32 MiB guest, ${c.manifest.pages.length} non-zero pages, ${out.restore.full32.ms.toFixed(1)} ms (state hash ${hashOk ? 'matches' : 'DIFFERS'})`);
  }
} finally {
  await node.shutdown();
  server.close();
  server.closeAllConnections();
  redis.proc.kill();
}

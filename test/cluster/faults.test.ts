// Faults during a round: a secondary killed or filled up mid-copy (the VM goes to another
// destination, the failure is in the history every coordinator reads), a
// copy cut before its commit (the previous state stays the one readers get;
// the next round completes), a primary node lost mid-round (its VM is copied
// by the node with the next-most bytes).
import { afterEach, describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import { replicateRound } from '../../src/cluster/replicate.js';
import { restoreVm } from '../../src/cluster/restore.js';
import { callNode } from '../../src/cluster/rpc.js';
import { RedisTarget } from '../../src/cluster/store.js';
import { Cluster, killAndWait } from './harness.js';
import { haveRedis } from './redis-servers.js';

/**
 * Once the first copy node 0 makes has written its first batch of blobs (its
 * manifest not yet), run `act` on that copy's destination. Returns the list
 * the destination is put in.
 */
function afterFirstBatch(c: Cluster, act: (target: string) => Promise<void>): string[] {
  const hit: string[] = [];
  const node = c.nodes[0];
  const origCopy = node.copy.bind(node);
  node.copy = async (...args) => {
    const target = args[1];
    if (hit.length === 0) {
      hit.push(target);
      node.onCopyBatch = async () => {
        node.onCopyBatch = undefined;
        await act(target);
      };
    }
    return origCopy(...args);
  };
  return hit;
}

describe.skipIf(!haveRedis())('replication faults', () => {
  let c: Cluster | null = null;
  afterEach(async () => {
    await c?.stop();
    c = null;
  });

  it('a secondary killed mid-copy: the VM is committed on another, the failure is recorded', async () => {
    c = await Cluster.start(1, 2);
    await c.startGuest(0, 'g', 'bench.mb');
    // Kill the first copy's destination once its first batch of blobs is in (the manifest is not).
    const killed = afterFirstBatch(c, (target) => killAndWait(c!.redis.find((r) => r.url === target)!));
    const r = await replicateRound({ nodes: c.urls, secondaries: c.secondaries, round: 1 });
    const v = r.vms[0];
    expect(v.failures.map((f) => f.target)).toEqual(killed);
    expect(v.replicated).toBe(true);
    expect(v.dest).not.toBe(killed[0]);
    const alive = new RedisTarget(v.dest!);
    const stats = await alive.stats();
    alive.close();
    expect(stats.get(killed[0])).toMatchObject({ attempts: 1, failures: 1 });
    expect(stats.get(v.dest!)).toMatchObject({ attempts: 1, failures: 0 });
    const back = await restoreVm({ from: c.secondaries, vm: 'g', run: false });
    expect(back).toMatchObject({ from: v.dest, stateHash: v.stateHash, hashMatches: true });
    // Next round: the dead secondary is reported down and avoided; the VM stays where it is.
    const r2 = await replicateRound({ nodes: c.urls, secondaries: c.secondaries, round: 2 });
    expect(r2.deadSecondaries.map((d) => d.target)).toEqual(killed);
    expect(r2.vms[0]).toMatchObject({ replicated: true, dest: v.dest });
  });

  it('a secondary that fills up mid-copy: the VM is committed on another, the failure is recorded', async () => {
    c = await Cluster.start(1, 2);
    await c.startGuest(0, 'g', 'bench.mb');
    // Once the first batch of blobs is in, the destination's memory limit drops to what it
    // already uses (no eviction): its next writes fail with Redis's OOM error.
    const filled = afterFirstBatch(c, async (target) => {
      const t = new Redis(target);
      const used = Number(/used_memory:(\d+)/.exec(await t.info('memory'))![1]);
      await t.config('SET', 'maxmemory-policy', 'noeviction');
      await t.config('SET', 'maxmemory', String(used));
      t.disconnect();
    });
    const r = await replicateRound({ nodes: c.urls, secondaries: c.secondaries, round: 1 });
    const v = r.vms[0];
    expect(v.failures.map((f) => f.target)).toEqual(filled);
    expect(v.failures[0].error).toMatch(/OOM|maxmemory/i);
    expect(v.replicated).toBe(true);
    expect(v.dest).not.toBe(filled[0]);
    const alive = new RedisTarget(v.dest!);
    const stats = await alive.stats();
    alive.close();
    expect(stats.get(filled[0])).toMatchObject({ attempts: 1, failures: 1 });
    // The full server holds no state of the VM (no manifest was committed there); the restore reads the other.
    const back = await restoreVm({ from: c.secondaries, vm: 'g', run: false });
    expect(back).toMatchObject({ from: v.dest, stateHash: v.stateHash, hashMatches: true });
  });

  it('a copy cut before its commit leaves the previous state readable; the next round completes', async () => {
    c = await Cluster.start(1, 1);
    await c.startGuest(0, 'g', 'bench.mb');
    const r1 = await replicateRound({ nodes: c.urls, secondaries: c.secondaries, round: 1 });
    expect(r1.vms[0].replicated).toBe(true);
    c.nodes[0].onCopyBatch = () => {
      throw new Error('coordinator gone');
    };
    const r2 = await replicateRound({ nodes: c.urls, secondaries: c.secondaries, round: 2, attempts: 1 });
    expect(r2.vms[0].replicated).toBe(false);
    expect(r2.vms[0].icount!).toBeGreaterThan(r1.vms[0].icount!);
    // The new state's blobs were written, its manifest was not: readers still get round 1's state, whole.
    const back = await restoreVm({ from: c.secondaries, vm: 'g', run: false });
    expect(back).toMatchObject({ icount: r1.vms[0].icount, stateHash: r1.vms[0].stateHash, hashMatches: true });
    c.nodes[0].onCopyBatch = undefined;
    const r3 = await replicateRound({ nodes: c.urls, secondaries: c.secondaries, round: 3 });
    expect(r3.vms[0].replicated).toBe(true);
    const after = await restoreVm({ from: c.secondaries, vm: 'g', run: false });
    expect(after).toMatchObject({ icount: r3.vms[0].icount, stateHash: r3.vms[0].stateHash, hashMatches: true });
  });

  it('a primary lost mid-round: its VM passes to the node with the next-most bytes, or is reported not replicated', async () => {
    c = await Cluster.start(3, 1);
    await c.startGuest(0, 'g', 'bench.mb');
    const r1 = await replicateRound({ nodes: c.urls, secondaries: c.secondaries, round: 1 });
    // g runs on node 0, then 1, then 2: every node caches some of it; node 2, where it runs, has the most.
    await callNode(c.urls[0], 'migrate', { vm: 'g', to: c.urls[1] });
    await callNode(c.urls[1], 'migrate', { vm: 'g', to: c.urls[2] });
    const r = await replicateRound({ nodes: c.urls, secondaries: c.secondaries, round: 2, beforeCopies: () => c!.loseNode(2) });
    const v = r.vms[0];
    expect(r.lostNodes.map((l) => l.node)).toEqual([c.urls[2]]);
    // The next-most node took it, but the pages written since the last move were only on the lost node.
    expect([c.urls[0], c.urls[1]]).toContain(v.source);
    expect(v.sourceWhy).toContain(`${c.urls[2]} lost`);
    expect(v.replicated).toBe(false);
    expect(v.destWhy).toMatch(/cannot fetch/);
    expect(v.failures).toEqual([]); // the secondary is not blamed
    const back = await restoreVm({ from: c.secondaries, vm: 'g', run: false });
    expect(back).toMatchObject({ icount: r1.vms[0].icount, hashMatches: true });
  });
});

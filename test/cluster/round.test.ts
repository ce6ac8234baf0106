// One node, two secondaries: a round copies a whole state, the next only what
// changed; a restore from the store alone gives the primary's state hash and
// ends as the primary does; a migrated guest leaves its pages cached behind.
import { longBench } from './harness.js';
import type { Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PrimaryNode, serveNode } from '../../src/cluster/node.js';
import { replicateRound } from '../../src/cluster/replicate.js';
import { restoreVm } from '../../src/cluster/restore.js';
import { callNode } from '../../src/cluster/rpc.js';
import { DEFAULT_MACHINE_CONFIG, encodeMachineConfig } from '../../src/machine/config.js';
import { freePort, haveRedis, startRedis, type RedisServer } from './redis-servers.js';

const image = longBench();
const config = encodeMachineConfig({ ...DEFAULT_MACHINE_CONFIG, clock: 'virtual', seed: 1, imageArg: 'bench.mb' });

describe.skipIf(!haveRedis())('replication round', () => {
  const redis: RedisServer[] = [];
  const servers: Server[] = [];
  const nodes: PrimaryNode[] = [];
  const urls: string[] = [];

  beforeAll(async () => {
    for (let i = 0; i < 2; i++) redis.push(await startRedis());
    for (let i = 0; i < 2; i++) {
      const port = await freePort();
      const n = new PrimaryNode(`127.0.0.1:${port}`, 64 << 20);
      servers.push(await serveNode(n, port));
      nodes.push(n);
      urls.push(`127.0.0.1:${port}`);
    }
  });

  afterAll(async () => {
    for (const n of nodes) await n.shutdown();
    for (const s of servers) s.close();
    for (const r of redis) r.kill();
  });

  it('copies the whole state first, then only changed pages; restores to the same state hash', async () => {
    await callNode(urls[0], 'start', { vm: 'g1', image, config });
    const secondaries = redis.map((r) => r.url);
    const r1 = await replicateRound({ nodes: urls, secondaries, round: 1 });
    const v1 = r1.vms[0];
    expect(v1).toMatchObject({ vm: 'g1', replicated: true, source: urls[0], runningOn: urls[0] });
    expect(v1.bytesCopied).toBeGreaterThan(v1.fullBytes); // the image blob too, the first time
    const r2 = await replicateRound({ nodes: urls, secondaries, round: 2 });
    const v2 = r2.vms[0];
    expect(v2.replicated).toBe(true);
    expect(v2.icount!).toBeGreaterThan(v1.icount!);
    expect(v2.dest, `${v1.destWhy} / ${v2.destWhy}`).toBe(v1.dest); // the target holding the previous state
    expect(v2.bytesCopied).toBeLessThan(v2.fullBytes); // unchanged pages are not sent again
    const back = await restoreVm({ from: secondaries, vm: 'g1', run: false });
    expect(back.icount).toBe(v2.icount);
    expect(back.stateHash).toBe(v2.stateHash);
    expect(back.hashMatches).toBe(true);
    const older = await restoreVm({ from: secondaries, vm: 'g1', icount: v1.icount!, run: false });
    expect(older.stateHash).toBe(v1.stateHash);
  });

  it('a migrated guest runs on there; both nodes then cache its pages; the restored run ends as the primary', async () => {
    await callNode(urls[0], 'migrate', { vm: 'g1', to: urls[1] });
    const ls1 = await callNode<{ vm: string }[]>(urls[1], 'ls');
    expect(ls1.map((g) => g.vm)).toEqual(['g1']);
    const r3 = await replicateRound({ nodes: urls, secondaries: redis.map((r) => r.url), round: 3 });
    expect(r3.vms[0].runningOn).toBe(urls[1]);
    expect(r3.vms[0].replicated).toBe(true);
    // Wait for the primary to end, then run the restored state to the end.
    for (;;) {
      const [g] = await callNode<{ status: string; end?: { stateHash: string; exitValue: number } }[]>(urls[1], 'ls');
      if (g.status === 'ended') {
        const back = await restoreVm({ from: redis.map((r) => r.url), vm: 'g1', run: true });
        expect(back.run).toMatchObject({ reason: 'exit', exitValue: g.end!.exitValue, stateHash: g.end!.stateHash });
        const out = Buffer.from(await callNode<Uint8Array>(urls[1], 'output', { vm: 'g1' }));
        expect(back.run!.outputBytes).toBe(out.length - back.outputBytesBefore);
        break;
      }
      await new Promise((r) => setTimeout(r, 200));
    }
  });
});

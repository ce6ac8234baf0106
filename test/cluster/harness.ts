// Primary nodes served on free loopback ports in this process, and real
// redis-server secondaries (redis-servers.ts), for the cluster tests.
import { readFileSync } from 'node:fs';
import type { Server } from 'node:http';
import { PrimaryNode, serveNode } from '../../src/cluster/node.js';
import { callNode } from '../../src/cluster/rpc.js';
import type { GuestInfo } from '../../src/cluster/guest.js';
import { DEFAULT_MACHINE_CONFIG, encodeMachineConfig } from '../../src/machine/config.js';
import { freePort, startRedis, type RedisServer } from './redis-servers.js';

export const fixture = (name: string) => new Uint8Array(readFileSync(new URL(`../../fixtures/${name}`, import.meta.url)));
/**
 * bench.mb with `iters` loop iterations instead of 4,000 (its parameter
 * block: "VMRRPARM" then param0, at file offset 0x20). The stock image ends
 * in about 2 s with the block compiler, sometimes before a test's migration
 * reaches it; 3x as long leaves the margin on a fast host.
 */
export function longBench(iters = 12_000): Uint8Array {
  const b = fixture('bench.mb');
  if (Buffer.from(b.subarray(0x20, 0x28)).toString('latin1') !== 'VMRRPARM') throw new Error('bench.mb: no parameter block at 0x20');
  new DataView(b.buffer, b.byteOffset).setUint32(0x28, iters, true);
  return b;
}
export const virtualConfig = (imageArg: string) => encodeMachineConfig({ ...DEFAULT_MACHINE_CONFIG, clock: 'virtual', seed: 1, imageArg });

export class Cluster {
  nodes: PrimaryNode[] = [];
  servers: Server[] = [];
  urls: string[] = [];
  redis: RedisServer[] = [];

  static async start(nodes: number, secondaries: number): Promise<Cluster> {
    const c = new Cluster();
    for (let i = 0; i < secondaries; i++) c.redis.push(await startRedis());
    for (let i = 0; i < nodes; i++) {
      const port = await freePort();
      const n = new PrimaryNode(`127.0.0.1:${port}`, 64 << 20);
      c.servers.push(await serveNode(n, port));
      c.nodes.push(n);
      c.urls.push(n.id);
    }
    return c;
  }

  get secondaries(): string[] {
    return this.redis.map((r) => r.url);
  }

  startGuest(node: number, vm: string, image: string): Promise<GuestInfo> {
    return callNode<GuestInfo>(this.urls[node], 'start', { vm, image: fixture(image), config: virtualConfig(image) });
  }

  /** Take node i off the network (its guests stop with it). */
  async loseNode(i: number): Promise<void> {
    this.servers[i].close();
    this.servers[i].closeAllConnections();
    await this.nodes[i].shutdown();
  }

  async waitEnded(node: number, vm: string): Promise<GuestInfo> {
    for (;;) {
      const g = (await callNode<GuestInfo[]>(this.urls[node], 'ls')).find((x) => x.vm === vm)!;
      if (g.status === 'ended') return g;
      await new Promise((r) => setTimeout(r, 200));
    }
  }

  async stop(): Promise<void> {
    for (const n of this.nodes) await n.shutdown();
    for (const s of this.servers) {
      s.close();
      s.closeAllConnections();
    }
    for (const r of this.redis) r.kill();
  }
}

export function killAndWait(r: RedisServer): Promise<void> {
  return new Promise((resolve) => {
    if (r.proc.exitCode !== null || r.proc.signalCode !== null) return resolve();
    r.proc.once('exit', () => resolve());
    r.kill();
  });
}

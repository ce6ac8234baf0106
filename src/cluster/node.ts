// A primary compute node: runs guests, keeps their state blobs in a bounded
// cache (page-cache.ts), takes consistent states for the coordinator, copies
// a state to a secondary (store.ts) from its cache, fetching what it lacks
// from the node running the guest, and moves guests to other nodes.

import { createServer, type Server } from 'node:http';
import { performance } from 'node:perf_hooks';
import { PageCache } from './page-cache.js';
import { NodeGuest, type GuestInfo } from './guest.js';
import { blobHash, cbor, diskImage, manifestKeyBlobs, type VmManifest } from './vm-state.js';
import type { LogCarry } from './guest-log.js';
import { MissingBlobsError, RedisTarget } from './store.js';
import { callNode, NodeError } from './rpc.js';

export interface CopyResult {
  vm: string;
  icount: number;
  target: string;
  /** Bytes written to the target (blobs it lacked, and the manifest). */
  bytes: number;
  blobs: number;
  /** Bytes this node fetched from the node running the guest. */
  pulled: number;
  ms: number;
  /** Garbage collection on the target at this commit: old states deleted, bytes of blobs freed. */
  collected: { states: number; bytes: number };
}

export class PrimaryNode {
  readonly cache: PageCache;
  private readonly guests = new Map<string, NodeGuest>();
  /** The blobs of each guest's last state, held until the next one (the cache may not have room). */
  private readonly pinned = new Map<string, Map<string, Uint8Array>>();
  private readonly manifests = new Map<string, VmManifest>();
  /** Test hook: a guest started or received here waits at this icount (see hold). */
  readonly holds = new Map<string, number>();
  /** Test hook: called after each batch of blobs a copy writes. */
  onCopyBatch?: (vm: string, done: number) => Promise<void> | void;

  constructor(
    /** Its address as peers reach it (set once a server listens on port 0). */
    public id: string,
    cacheBytes: number,
  ) {
    this.cache = new PageCache(cacheBytes);
  }

  start(vm: string, image: Uint8Array, config: Record<string, unknown>, disk?: Uint8Array | null): GuestInfo {
    if (this.guests.has(vm)) throw new NodeError(`guest ${vm} already runs here`);
    if (disk && (disk.length === 0 || disk.length % 512 !== 0)) throw new NodeError(`the disk of ${vm} is ${disk.length} bytes, not a whole number of 512-byte sectors`);
    const h = blobHash(image);
    const g = new NodeGuest(vm, image, h, config, disk ?? null);
    this.cache.put(h, image);
    this.guests.set(vm, g);
    g.holdAt = this.holds.get(vm) ?? null;
    g.start();
    return g.info();
  }

  ls(): GuestInfo[] {
    return [...this.guests.values()].map((g) => g.info());
  }

  private guest(vm: string): NodeGuest {
    const g = this.guests.get(vm);
    if (!g) throw new NodeError(`no guest ${vm} on this node`);
    return g;
  }

  /** Pause the guest, take its state, let it go on; the state's blobs stay here. */
  async snapshot(vm: string): Promise<VmManifest> {
    const g = this.guest(vm);
    return g.paused(() => {
      const old = this.pinned.get(vm) ?? new Map<string, Uint8Array>();
      const c = g.capture(this.id);
      const pin = new Map<string, Uint8Array>();
      for (const h of manifestKeyBlobs(c.manifest)) {
        let b = c.blobs.get(h) ?? old.get(h) ?? this.cache.get(h);
        if (b === undefined && h === g.imageHash) b = g.image;
        if (b === undefined) {
          const p = c.manifest.pages.find((x) => x[1] === h)![0];
          b = g.machine.mem.ram.slice(p * 4096, (p + 1) * 4096);
        }
        pin.set(h, b);
        this.cache.put(h, b);
      }
      this.pinned.set(vm, pin);
      this.manifests.set(vm, c.manifest);
      return c.manifest;
    });
  }

  private blob(h: string): Uint8Array | undefined {
    const c = this.cache.get(h);
    if (c) return c;
    for (const p of this.pinned.values()) {
      const b = p.get(h);
      if (b) return b;
    }
    return undefined;
  }

  /** Bytes of each state's blobs (pages, machine state) held here. */
  cached(states: ReadonlyArray<{ vm: string; blobs: string[] }>): Record<string, number> {
    const out: Record<string, number> = {};
    for (const s of states) {
      let n = 0;
      for (const h of s.blobs) n += this.blob(h)?.length ?? 0;
      out[s.vm] = n;
    }
    return out;
  }

  blobs(hashes: string[]): Record<string, Uint8Array> {
    const out: Record<string, Uint8Array> = {};
    for (const h of hashes) {
      const b = this.blob(h);
      if (b) out[h] = b;
    }
    return out;
  }

  /** Copy a state to a secondary: the blobs it lacks, then the manifest and head in one transaction. */
  async copy(m: VmManifest, target: string, peer: string, keep = 0): Promise<CopyResult> {
    const t0 = performance.now();
    const t = new RedisTarget(target);
    try {
      const want = await t.missing(manifestKeyBlobs(m));
      const lack = want.filter((h) => this.blob(h) === undefined);
      let pulled = 0;
      if (lack.length > 0) {
        if (peer === this.id) throw new NodeError(`blobs of ${m.vm} are gone from this node's cache`);
        let got: Record<string, Uint8Array>;
        try {
          got = await callNode<Record<string, Uint8Array>>(peer, 'blobs', { hashes: lack });
        } catch (e) {
          throw new NodeError(`cannot fetch ${lack.length} blobs of ${m.vm} from ${peer}, where it runs: ${(e as Error).message}`);
        }
        for (const h of lack) {
          const b = got[h];
          if (!b || blobHash(b) !== h) throw new NodeError(`node ${peer} has no blob ${h} of ${m.vm}`);
          pulled += b.length;
          this.cache.put(h, b);
        }
      }
      const list: [string, Uint8Array][] = want.map((h) => [h, this.blob(h)!]);
      let bytes = await t.putBlobs(list, (done) => this.onCopyBatch?.(m.vm, done));
      let c: Awaited<ReturnType<RedisTarget['commit']>>;
      try {
        c = await t.commit(m, keep);
      } catch (e) {
        if (!(e instanceof MissingBlobsError)) throw e;
        // Collected by another VM's commit since EXISTS said they were there: write them, commit again.
        const again: [string, Uint8Array][] = e.hashes.map((h) => {
          const b = this.blob(h);
          if (!b) throw new NodeError(`blob ${h} of ${m.vm} was collected on ${t.id} and is no longer cached here`);
          return [h, b];
        });
        bytes += await t.putBlobs(again);
        c = await t.commit(m, keep);
      }
      bytes += c.bytes;
      return { vm: m.vm, icount: m.icount, target: t.id, bytes, blobs: want.length, pulled, ms: performance.now() - t0, collected: c.collected };
    } finally {
      t.close();
    }
  }

  /** Move a guest to another node: pause, send its state and log, stop it here; the cache keeps its pages. */
  async migrate(vm: string, to: string): Promise<GuestInfo> {
    const g = this.guest(vm);
    if (g.end) throw new NodeError(`guest ${vm} has ended (${g.end.reason}): nothing to migrate`);
    const m = await this.snapshot(vm);
    await g.halt();
    const pin = this.pinned.get(vm)!;
    const blobs: Record<string, Uint8Array> = {};
    for (const h of manifestKeyBlobs(m)) blobs[h] = pin.get(h)!;
    const log = g.log.carry();
    try {
      const info = await callNode<GuestInfo>(to, 'receive', { manifest: m, blobs, output: Uint8Array.from(g.output), log });
      this.guests.delete(vm);
      this.pinned.delete(vm);
      return info;
    } catch (e) {
      // The other node did not take it: go on here.
      const back = new NodeGuest(vm, g.image, g.imageHash, m.config, g.diskBase, { manifest: m, blob: (h) => pin.get(h)!, output: Uint8Array.from(g.output), log });
      this.guests.set(vm, back);
      back.start();
      throw e;
    }
  }

  receive(m: VmManifest, blobs: Record<string, Uint8Array>, output: Uint8Array, log: LogCarry): GuestInfo {
    if (this.guests.has(m.vm)) throw new NodeError(`guest ${m.vm} already runs here`);
    const get = (h: string) => {
      const b = blobs[h];
      if (!b) throw new NodeError(`migration of ${m.vm} lacks blob ${h}`);
      return b;
    };
    const g = new NodeGuest(m.vm, get(m.image), m.image, m.config, m.disk ? diskImage(m.disk, get) : null, { manifest: m, blob: get, output, log });
    for (const [h, b] of Object.entries(blobs)) this.cache.put(h, b);
    this.guests.set(m.vm, g);
    g.holdAt = this.holds.get(m.vm) ?? null;
    g.start();
    return g.info();
  }

  /** Test hook: let the guest run to `icount` and wait there (null: run on); resolves once it is there or has ended. */
  async hold(vm: string, icount: number | null): Promise<GuestInfo> {
    const g = this.guest(vm);
    await g.paused(() => {
      g.holdAt = icount;
    });
    while (icount !== null && !g.end && g.machine.cpu.icount < icount) await new Promise((r) => setTimeout(r, 5));
    return g.info();
  }

  /** A state of `vm` at `icount` is committed on a secondary: the log before it is no longer needed here. */
  committed(vm: string, icount: number): void {
    this.guests.get(vm)?.log.dropBefore(icount);
  }

  async stop(vm: string): Promise<GuestInfo> {
    const g = this.guest(vm);
    await g.halt();
    this.guests.delete(vm);
    return { ...g.info(), status: 'ended' };
  }

  output(vm: string): Uint8Array {
    return Uint8Array.from(this.guest(vm).output);
  }

  async shutdown(): Promise<void> {
    for (const g of this.guests.values()) await g.halt();
    this.guests.clear();
  }

  async handle(req: Record<string, unknown>): Promise<unknown> {
    const s = (k: string) => {
      const v = req[k];
      if (typeof v !== 'string') throw new NodeError(`'${k}' missing`);
      return v;
    };
    switch (req.op) {
      case 'hello':
        return { id: this.id, cacheBytes: this.cache.capacity, cachedBytes: this.cache.size, guests: this.guests.size };
      case 'start':
        return this.start(s('vm'), req.image as Uint8Array, req.config as Record<string, unknown>, (req.disk as Uint8Array | undefined) ?? null);
      case 'ls':
        return this.ls();
      case 'snapshot':
        return this.snapshot(s('vm'));
      case 'cached':
        return this.cached(req.states as { vm: string; blobs: string[] }[]);
      case 'blobs':
        return this.blobs(req.hashes as string[]);
      case 'copy':
        return this.copy(req.manifest as VmManifest, s('target'), s('peer'), typeof req.keep === 'number' ? req.keep : 0);
      case 'migrate':
        return this.migrate(s('vm'), s('to'));
      case 'receive':
        return this.receive(req.manifest as VmManifest, req.blobs as Record<string, Uint8Array>, req.output as Uint8Array, req.log as LogCarry);
      case 'committed':
        this.committed(s('vm'), Number(req.icount));
        return null;
      case 'stop':
        return this.stop(s('vm'));
      case 'output':
        return this.output(s('vm'));
      default:
        throw new NodeError(`unknown call '${String(req.op)}'`);
    }
  }
}

/** Serve a node's calls over HTTP; resolves once listening. */
export function serveNode(node: PrimaryNode, port: number, host = '127.0.0.1'): Promise<Server> {
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      void (async () => {
        let out: unknown;
        try {
          const body = cbor.decode(Buffer.concat(chunks)) as Record<string, unknown>;
          out = { ok: true, result: await node.handle(body) };
        } catch (e) {
          out = { ok: false, error: e instanceof Error ? e.message : String(e) };
        }
        res.writeHead(200, { 'content-type': 'application/cbor' });
        res.end(Buffer.from(cbor.encode(out)));
      })();
    });
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve(server));
  });
}

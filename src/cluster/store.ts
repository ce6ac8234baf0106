// One secondary node: a Redis server holding VM states as content-addressed
// blobs plus one manifest per state (vm-state.ts). A state is committed in
// two steps: every blob it lacks is written first (blobs are named by their
// hash, so writing one twice is harmless), then one MULTI/EXEC writes the
// manifest and moves the VM's head pointer to it. A reader follows the head
// to a manifest whose blobs are all there; a copy cut off at any point
// leaves the previous head, and its state, as they were.
//
// Keys: vmrr:b:<hash> blob bytes; vmrr:m:<vm>:<icount> manifest (CBOR);
// vmrr:head:<vm> icount of the last committed state; vmrr:vms set of VMs;
// vmrr:s:<vm> sorted set of its committed icounts; vmrr:r:<vm>:<icount> the
// set of blobs that state references; vmrr:rc hash blob -> how many kept
// states reference it; vmrr:stats hash "<target>:<field>" -> counter, the
// replication history every coordinator reads (written to every live
// secondary, merged by max).
//
// The commit is one Lua script, so Redis runs it atomically: it checks that
// every blob is there (a blob collected since the copy checked for it fails
// the commit, and the round tries again), writes the manifest, moves the
// head, counts the references, and collects: states beyond the newest
// `keep` are deleted with every blob no kept state references. A reader
// (readState) WATCHes the VM's state set and reads the manifest and blobs
// in one MULTI, so a collection between the two aborts the read, which is
// then redone: no reader sees part of a state.

import { Redis } from 'ioredis';
import { cbor, manifestKeyBlobs, type VmManifest } from './vm-state.js';
import type { TargetStats } from './rules.js';

const BATCH = 256;

/** ARGV: vm, icount, manifest, keep, blob hashes (unique). Returns [status, states deleted, bytes freed, missing...]. */
const COMMIT_LUA = `
local vm, ic, body, keep = ARGV[1], ARGV[2], ARGV[3], tonumber(ARGV[4])
local missing = {}
for i = 5, #ARGV do
  if redis.call('EXISTS', 'vmrr:b:' .. ARGV[i]) == 0 then missing[#missing + 1] = ARGV[i] end
end
if #missing > 0 then
  local out = {'missing', 0, 0}
  for _, h in ipairs(missing) do out[#out + 1] = h end
  return out
end
local refs = 'vmrr:r:' .. vm .. ':' .. ic
if redis.call('EXISTS', refs) == 0 then
  for i = 5, #ARGV do
    if redis.call('SADD', refs, ARGV[i]) == 1 then redis.call('HINCRBY', 'vmrr:rc', ARGV[i], 1) end
  end
end
redis.call('SET', 'vmrr:m:' .. vm .. ':' .. ic, body)
local head = tonumber(redis.call('GET', 'vmrr:head:' .. vm) or '-1')
if tonumber(ic) > head then redis.call('SET', 'vmrr:head:' .. vm, ic) end
redis.call('SADD', 'vmrr:vms', vm)
local set = 'vmrr:s:' .. vm
redis.call('ZADD', set, ic, ic)
local deleted, freed = 0, 0
local n = redis.call('ZCARD', set)
if keep > 0 and n > keep then
  for _, o in ipairs(redis.call('ZRANGE', set, 0, n - keep - 1)) do
    local rk = 'vmrr:r:' .. vm .. ':' .. o
    for _, h in ipairs(redis.call('SMEMBERS', rk)) do
      if redis.call('HINCRBY', 'vmrr:rc', h, -1) <= 0 then
        redis.call('HDEL', 'vmrr:rc', h)
        freed = freed + redis.call('STRLEN', 'vmrr:b:' .. h)
        redis.call('DEL', 'vmrr:b:' .. h)
      end
    end
    redis.call('DEL', rk, 'vmrr:m:' .. vm .. ':' .. o)
    redis.call('ZREM', set, o)
    deleted = deleted + 1
  end
end
return {'ok', deleted, freed}
`;

/** A state read whole: its manifest and every blob it names. */
export interface StoredState {
  manifest: VmManifest;
  blobs: Map<string, Uint8Array>;
}

/** A secondary could not be reached or failed a command (the round tries another). */
export class StoreError extends Error {
  override name = 'StoreError';
}

/** `redis://HOST:PORT`, or `HOST:PORT`, or a port alone (loopback). */
export function parseRedisUrl(s: string): { host: string; port: number; url: string } {
  const m = /^(?:redis:\/\/)?(?:([^:/]+):)?(\d{1,5})\/?$/.exec(s.trim());
  const port = m ? Number(m[2]) : Number.NaN;
  if (!m || port < 1 || port > 65535) throw new StoreError(`not a Redis address: '${s}' (want redis://HOST:PORT or HOST:PORT)`);
  const host = m[1] ?? '127.0.0.1';
  return { host, port, url: `redis://${host}:${port}` };
}

/** A commit found blobs gone that the copy had seen (another commit collected them in between). */
export class MissingBlobsError extends StoreError {
  override name = 'MissingBlobsError';
  constructor(message: string, readonly hashes: string[]) {
    super(message);
  }
}

export class RedisTarget {
  readonly id: string;
  private readonly r: Redis;

  constructor(address: string, opts: { timeoutMs?: number } = {}) {
    const { host, port, url } = parseRedisUrl(address);
    this.id = url;
    this.r = new Redis({
      host,
      port,
      lazyConnect: true,
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      retryStrategy: () => null,
      connectTimeout: opts.timeoutMs ?? 3000,
      commandTimeout: opts.timeoutMs ?? 10_000,
    });
    this.r.on('error', () => {}); // surfaced by the command that fails
  }

  private async call<T>(what: string, f: () => Promise<T>): Promise<T> {
    try {
      if (this.r.status === 'wait') await this.r.connect();
      return await f();
    } catch (e) {
      throw new StoreError(`${this.id}: ${what}: ${e instanceof Error ? e.message : String(e)}`);
    }
  }

  /** Bytes the server can still store: maxmemory minus used memory (without maxmemory: the host's memory). */
  async freeBytes(): Promise<number> {
    const info = await this.call('INFO memory', () => this.r.info('memory'));
    const field = (k: string) => Number(new RegExp(`^${k}:(\\d+)`, 'm').exec(info)?.[1] ?? Number.NaN);
    const used = field('used_memory');
    const max = field('maxmemory') || field('total_system_memory');
    return Math.max(0, max - used);
  }

  async head(vm: string): Promise<number | null> {
    const v = await this.call('GET head', () => this.r.get(`vmrr:head:${vm}`));
    return v === null ? null : Number(v);
  }

  async manifest(vm: string, icount?: number): Promise<VmManifest | null> {
    const at = icount ?? (await this.head(vm));
    if (at === null) return null;
    const b = await this.call('GET manifest', () => this.r.getBuffer(`vmrr:m:${vm}:${at}`));
    return b === null ? null : (cbor.decode(b) as VmManifest);
  }

  /** States kept for a VM (icounts, ascending). */
  async states(vm: string): Promise<number[]> {
    const list = await this.call('ZRANGE', () => this.r.zrange(`vmrr:s:${vm}`, 0, -1));
    return list.map(Number).sort((a, b) => a - b);
  }

  async vms(): Promise<string[]> {
    return (await this.call('SMEMBERS', () => this.r.smembers('vmrr:vms'))).sort();
  }

  /** The hashes (deduplicated) this server has no blob for. */
  async missing(hashes: readonly string[]): Promise<string[]> {
    const uniq = [...new Set(hashes)];
    const out: string[] = [];
    for (let i = 0; i < uniq.length; i += BATCH) {
      const part = uniq.slice(i, i + BATCH);
      const res = await this.call('EXISTS', () => {
        const p = this.r.pipeline();
        for (const h of part) p.exists(`vmrr:b:${h}`);
        return p.exec();
      });
      part.forEach((h, k) => {
        const [err, n] = res![k];
        if (err) throw new StoreError(`${this.id}: EXISTS: ${err.message}`);
        if (n === 0) out.push(h);
      });
    }
    return out;
  }

  /** Write blobs; returns the bytes written. `onBatch` runs after each batch (a test cuts the copy there). */
  async putBlobs(blobs: ReadonlyArray<[string, Uint8Array]>, onBatch?: (done: number) => Promise<void> | void): Promise<number> {
    let bytes = 0;
    for (let i = 0; i < blobs.length; i += BATCH) {
      const part = blobs.slice(i, i + BATCH);
      const res = await this.call('SET blobs', () => {
        const p = this.r.pipeline();
        for (const [h, b] of part) p.set(`vmrr:b:${h}`, Buffer.from(b.buffer, b.byteOffset, b.length));
        return p.exec();
      });
      for (const [err] of res!) if (err) throw new StoreError(`${this.id}: SET: ${err.message}`);
      for (const [, b] of part) bytes += b.length;
      await onBatch?.(i + part.length);
    }
    return bytes;
  }

  /**
   * Commit a state whose blobs are all written: manifest, head, references
   * and the collection of states beyond the newest `keep` (0: keep all), in
   * one atomic script (COMMIT_LUA). Returns the manifest's size and what was collected.
   */
  async commit(m: VmManifest, keep = 0): Promise<{ bytes: number; collected: { states: number; bytes: number } }> {
    const body = Buffer.from(cbor.encode(m));
    const blobs = [...new Set(manifestKeyBlobs(m))];
    const res = (await this.call('EVAL commit', () => this.r.eval(COMMIT_LUA, 0, m.vm, String(m.icount), body, String(keep), ...blobs))) as [string, number, number, ...string[]];
    if (res[0] === 'missing') throw new MissingBlobsError(`${this.id}: commit of ${m.vm} at icount ${m.icount}: ${res.length - 3} blobs are gone (collected since the copy checked): not committed`, res.slice(3) as string[]);
    return { bytes: body.length, collected: { states: res[1], bytes: res[2] } };
  }

  /**
   * A whole state: the manifest at `icount` (default: the head) and its blobs,
   * read under WATCH of the VM's state set so that a commit or collection in
   * between aborts the read, which is then redone. `also`: more manifests of
   * the same VM read in the same transaction (a restore that replays from an
   * earlier state). Null when there is no such state.
   */
  async readState(vm: string, icount?: number, also: (m: VmManifest) => number[] | Promise<number[]> = () => []): Promise<{ states: StoredState[] } | null> {
    for (let attempt = 0; attempt < 20; attempt++) {
      const got = await this.call('read state', async () => {
        await this.r.watch(`vmrr:s:${vm}`);
        try {
          const at = icount ?? (await this.head(vm));
          if (at === null) return { none: true as const };
          const first = await this.manifest(vm, at);
          if (!first) return { none: true as const };
          const ms = [first];
          for (const ic of await also(first)) {
            const more = await this.manifest(vm, ic);
            if (more) ms.push(more);
          }
          const hashes = [...new Set(ms.flatMap((m) => manifestKeyBlobs(m)))];
          const tx = this.r.multi();
          for (let i = 0; i < hashes.length; i += BATCH) tx.mgetBuffer(...hashes.slice(i, i + BATCH).map((h) => `vmrr:b:${h}`));
          const res = await tx.exec();
          if (res === null) return null; // changed under us: read again
          const blobs = new Map<string, Uint8Array>();
          res.forEach(([err, part], k) => {
            if (err) throw new StoreError(`${this.id}: MGET: ${err.message}`);
            (part as (Buffer | null)[]).forEach((b, j) => {
              const h = hashes[k * BATCH + j];
              if (b === null) throw new StoreError(`${this.id}: blob ${h} of ${vm} is missing (a torn state: this should not happen)`);
              blobs.set(h, new Uint8Array(b.buffer, b.byteOffset, b.length));
            });
          });
          return { states: ms.map((manifest) => ({ manifest, blobs })) };
        } finally {
          await this.r.unwatch().catch(() => {});
        }
      });
      if (got === null) continue;
      if ('none' in got) return null;
      return got;
    }
    throw new StoreError(`${this.id}: the states of ${vm} kept changing while being read (20 tries)`);
  }

  async getBlobs(hashes: readonly string[]): Promise<Map<string, Uint8Array>> {
    const uniq = [...new Set(hashes)];
    const out = new Map<string, Uint8Array>();
    for (let i = 0; i < uniq.length; i += BATCH) {
      const part = uniq.slice(i, i + BATCH);
      const got = await this.call('MGET', () => this.r.mgetBuffer(...part.map((h) => `vmrr:b:${h}`)));
      part.forEach((h, k) => {
        const b = got[k];
        if (b === null) throw new StoreError(`${this.id}: blob ${h} is missing`);
        out.set(h, new Uint8Array(b.buffer, b.byteOffset, b.length));
      });
    }
    return out;
  }

  /** The replication history this server holds, per target. */
  async stats(): Promise<Map<string, TargetStats>> {
    const h = await this.call('HGETALL stats', () => this.r.hgetall('vmrr:stats'));
    const out = new Map<string, TargetStats>();
    for (const [k, v] of Object.entries(h)) {
      const cut = k.lastIndexOf(':');
      const target = k.slice(0, cut);
      const field = k.slice(cut + 1) as keyof TargetStats;
      const s = out.get(target) ?? { bytes: 0, ms: 0, attempts: 0, failures: 0 };
      if (field in s) s[field] = Number(v);
      out.set(target, s);
    }
    return out;
  }

  async addStats(target: string, d: TargetStats): Promise<void> {
    await this.call('HINCRBY stats', () =>
      this.r
        .multi()
        .hincrby('vmrr:stats', `${target}:bytes`, Math.round(d.bytes))
        .hincrby('vmrr:stats', `${target}:ms`, Math.round(d.ms))
        .hincrby('vmrr:stats', `${target}:attempts`, d.attempts)
        .hincrby('vmrr:stats', `${target}:failures`, d.failures)
        .exec(),
    );
  }

  close(): void {
    this.r.disconnect();
  }
}

/** Merge the histories read from several secondaries: counters only grow, so the largest is the most complete. */
export function mergeStats(all: ReadonlyArray<Map<string, TargetStats>>): Map<string, TargetStats> {
  const out = new Map<string, TargetStats>();
  for (const m of all) {
    for (const [t, s] of m) {
      const o = out.get(t) ?? { bytes: 0, ms: 0, attempts: 0, failures: 0 };
      out.set(t, { bytes: Math.max(o.bytes, s.bytes), ms: Math.max(o.ms, s.ms), attempts: Math.max(o.attempts, s.attempts), failures: Math.max(o.failures, s.failures) });
    }
  }
  return out;
}

// `vmrr node`, `vmrr replicate`, `vmrr restore` (issue 15; docs/replication.md):
// plain async functions returning data; cluster-commands.ts registers them.
import { readImage } from './run.js';
import { configFromFlags, type MachineFlags } from './options.js';
import { UsageError } from './exit.js';
import { encodeMachineConfig } from '../machine/config.js';
import { PrimaryNode, serveNode } from '../cluster/node.js';
import { callNode, NodeError, nodeUrl } from '../cluster/rpc.js';
import type { GuestInfo } from '../cluster/guest.js';
import { replicateRound, type RoundReport } from '../cluster/replicate.js';
import { restoreVm, RestoreError, type RestoreReport } from '../cluster/restore.js';
import { parseRedisUrl, StoreError } from '../cluster/store.js';
import { StateDataError } from '../cluster/vm-state.js';

/** Cluster errors are the user's (an address that does not answer, a VM with no state): exit status 2. */
export function asUserError(e: unknown): unknown {
  if (e instanceof NodeError || e instanceof StoreError || e instanceof RestoreError || e instanceof StateDataError) return new UsageError(e.message);
  return e;
}

/** KiB/MiB/GiB sizes: 512M, 2G, 65536K; no suffix is MiB. */
export function parseCacheSize(raw: string): number {
  const m = /^(\d+)\s*([KMG])?(?:i?B)?$/i.exec(raw.trim());
  if (!m) throw new UsageError(`--cache: '${raw}' is not a size (use e.g. 64M, 1G)`);
  const n = Number(m[1]) * { K: 1024, M: 1 << 20, G: 1 << 30 }[(m[2] ?? 'M').toUpperCase() as 'K' | 'M' | 'G'];
  if (n < 4096) throw new UsageError(`--cache: ${raw} is less than one page (4K)`);
  return n;
}

/** A comma-separated list (the option may also be repeated). */
export function listArg(raw: string, previous: unknown): string[] {
  const before = Array.isArray(previous) ? (previous as string[]) : [];
  return [...before, ...raw.split(',').map((s) => s.trim()).filter((s) => s !== '')];
}

function checkNodes(list: string[] | undefined, flag: string): string[] {
  if (!list || list.length === 0) throw new UsageError(`${flag} needs at least one node address (HOST:PORT)`);
  try {
    return list.map((n) => nodeUrl(n).replace(/^http:\/\//, ''));
  } catch (e) {
    throw new UsageError(`${flag}: ${(e as Error).message}`);
  }
}

function checkRedis(list: string[] | undefined, flag: string): string[] {
  if (!list || list.length === 0) throw new UsageError(`${flag} needs at least one Redis address (redis://HOST:PORT)`);
  try {
    return list.map((u) => parseRedisUrl(u).url);
  } catch (e) {
    throw new UsageError(`${flag}: ${(e as Error).message}`);
  }
}

export function parseListen(raw: string): { host: string; port: number } {
  const m = /^(?:([^:]+):)?(\d{1,5})$/.exec(raw.trim());
  const port = m ? Number(m[2]) : Number.NaN;
  if (!m || port > 65535) throw new UsageError(`--listen: '${raw}' is not [HOST:]PORT`);
  return { host: m[1] ?? '127.0.0.1', port };
}

export interface NodeServeOptions {
  listen: string;
  cache: number;
}

/** Serve until `signal` aborts; `ready` gets the address once listening. */
export async function nodeServeCommand(o: NodeServeOptions, io: { signal: AbortSignal; ready(addr: string): void }): Promise<{ node: string; guests: GuestInfo[] }> {
  const { host, port } = parseListen(o.listen);
  let server: import('node:http').Server;
  const probe = new PrimaryNode('', o.cache);
  try {
    server = await serveNode(probe, port, host);
  } catch (e) {
    throw new UsageError(`--listen ${o.listen}: ${(e as Error).message}`);
  }
  const a = server.address();
  const id = `${host}:${typeof a === 'object' && a ? a.port : port}`;
  probe.id = id;
  io.ready(id);
  await new Promise<void>((resolve) => {
    if (io.signal.aborted) resolve();
    io.signal.addEventListener('abort', () => resolve(), { once: true });
  });
  const guests = probe.ls();
  await probe.shutdown();
  server.close();
  server.closeAllConnections();
  return { node: id, guests };
}

export interface NodeStartOptions extends MachineFlags {
  node: string;
  vm?: string;
}

/** Options whose files or limits a node does not take (they would be silently dropped): refused, one line. */
function refuseOnNode(o: NodeStartOptions): void {
  const given: [string, boolean][] = [
    ['--bios', o.bios !== undefined],
    ['--initrd', o.initrd !== undefined],
    ['--serial-in', o.serialIn !== undefined],
    ['--keys', o.keys !== undefined],
    ['--vga-rom', o.vgaRom !== undefined],
    ['--debugcon', o.debugcon.length > 0],
    ['--disk-writable', Boolean(o.diskWritable)],
    ['--max-insns', o.maxInsns !== undefined],
  ];
  const bad = given.filter(([, g]) => g).map(([f]) => f);
  if (bad.length > 0) throw new UsageError(`node start: ${bad.join(', ')} ${bad.length === 1 ? 'is' : 'are'} not supported on a node (a guest there runs a Multiboot image, with at most a --disk, and no other input files; see vmrr-node(1))`);
}

export async function nodeStartCommand(image: string, o: NodeStartOptions): Promise<GuestInfo> {
  const [node] = checkNodes([o.node], '--node');
  refuseOnNode(o);
  const bytes = await readImage(image, 'image');
  let disk: Uint8Array | undefined;
  if (o.disk !== undefined) {
    disk = await readImage(o.disk, 'disk');
    if (disk.length === 0 || disk.length % 512 !== 0) throw new UsageError(`--disk: ${o.disk} is ${disk.length} bytes, not a whole number of 512-byte sectors`);
  }
  const config = encodeMachineConfig(configFromFlags(o, image));
  const vm = o.vm ?? image.replace(/^.*\//, '').replace(/\.[^.]*$/, '');
  if (!/^[A-Za-z0-9._-]{1,64}$/.test(vm)) throw new UsageError(`--vm: '${vm}' is not a VM name (letters, digits, . _ -; at most 64)`);
  return callNode<GuestInfo>(node, 'start', { vm, image: bytes, config, ...(disk ? { disk } : {}) });
}

export async function nodeLsCommand(nodes: string[] | undefined): Promise<{ node: string; guests: GuestInfo[]; cachedBytes: number; cacheBytes: number }[]> {
  const out = [];
  for (const n of checkNodes(nodes, '--node')) {
    const hello = await callNode<{ cacheBytes: number; cachedBytes: number }>(n, 'hello');
    out.push({ node: n, cacheBytes: hello.cacheBytes, cachedBytes: hello.cachedBytes, guests: await callNode<GuestInfo[]>(n, 'ls') });
  }
  return out;
}

export async function nodeMigrateCommand(vm: string, o: { node: string; to: string }): Promise<{ vm: string; from: string; to: string; guest: GuestInfo }> {
  const [from] = checkNodes([o.node], '--node');
  const [to] = checkNodes([o.to], '--to');
  if (from === to) throw new UsageError(`--to: ${to} is the node ${vm} runs on`);
  const guest = await callNode<GuestInfo>(from, 'migrate', { vm, to });
  return { vm, from, to, guest };
}

export async function nodeStopCommand(vm: string, o: { node: string }): Promise<GuestInfo> {
  const [node] = checkNodes([o.node], '--node');
  return callNode<GuestInfo>(node, 'stop', { vm });
}

export interface ReplicateOptions {
  primary?: string[];
  secondary?: string[];
  every?: number;
  rounds?: number;
  keep?: number;
}

/** States kept per VM on each secondary when --keep is not given. */
export const DEFAULT_KEEP = 3;

/** Rounds one after another, `every` seconds apart; `onRound` gets each report as it ends. */
export async function replicateCommand(o: ReplicateOptions, io: { signal: AbortSignal; onRound(r: RoundReport): void }): Promise<RoundReport[]> {
  const nodes = checkNodes(o.primary, '--primary');
  const secondaries = checkRedis(o.secondary, '--secondary');
  const rounds = o.rounds ?? (o.every !== undefined ? Number.POSITIVE_INFINITY : 1);
  const out: RoundReport[] = [];
  for (let round = 1; round <= rounds && !io.signal.aborted; round++) {
    if (round > 1 && o.every) {
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, o.every! * 1000);
        io.signal.addEventListener('abort', () => (clearTimeout(t), resolve()), { once: true });
      });
      if (io.signal.aborted) break;
    }
    const r = await replicateRound({ nodes, secondaries, round, keep: o.keep ?? DEFAULT_KEEP });
    if (r.lostNodes.length === nodes.length) throw new UsageError(`no primary node answered: ${r.lostNodes.map((l) => l.error).join('; ')}`);
    if (r.deadSecondaries.length === secondaries.length) throw new UsageError(`no secondary answered: ${r.deadSecondaries.map((d) => d.error).join('; ')}`);
    out.push(r);
    io.onRound(r);
  }
  return out;
}

export interface RestoreCliOptions {
  from?: string[];
  state?: number;
  run: boolean;
  replay?: boolean;
  maxInsns?: number;
}

export async function restoreCommand(vm: string, o: RestoreCliOptions, io: { signal: AbortSignal; guestStdout(b: Uint8Array): void }): Promise<RestoreReport> {
  const from = checkRedis(o.from, '--from');
  return restoreVm({ from, vm, icount: o.state, run: o.run, replay: Boolean(o.replay), maxInsns: o.maxInsns, signal: io.signal, onOutput: io.guestStdout });
}

// ft-check --secondary HOST:PORT | spawn: connect to `vmrr ft-secondary`
// (or start one in a child process on a free loopback port first) and shake
// hands with it (src/ft/socket-channel.ts).
import { spawn } from 'node:child_process';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { readFileSync } from 'node:fs';
import type { MachineConfig } from '../machine/config.js';
import type { HostChannel } from '../ft/remote-secondary.js';
import { connectSecondary, helloMagic, type SocketChannel } from '../ft/socket-channel.js';
import { LinkError, parseHostPort } from '../ft/wire.js';
import type { FtCheckCliOptions } from './ft-check.js';
import type { RunIo } from './run.js';

const version: string = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')).version;
const BIN = fileURLToPath(new URL('../../bin/vmrr.js', import.meta.url));
/** How long a secondary has to answer the handshake (it reads and hashes its image and disk first). */
const HANDSHAKE_MS = 15_000;

export interface RemoteSecondary {
  channel(header: Uint8Array): Promise<HostChannel>;
  /** --rejoin: after a pause of one heartbeat, a new secondary (spawned again, or at the same address). */
  rejoin(header: Uint8Array): Promise<HostChannel>;
  info(): { peer: string; sentBytes: number; receivedBytes: number };
  /** The session now (its owner file is the one to claim when its secondary is lost). */
  generation(): number;
}

/** The serial input file, when it is one a secondary on this host could read too. */
export function serialInPath(opts: Pick<FtCheckCliOptions, 'serialIn'>): string | null {
  return opts.serialIn !== undefined && opts.serialIn !== '-' ? resolve(opts.serialIn) : null;
}

export async function remoteSecondary(opts: FtCheckCliOptions, config: MachineConfig, serialIn: string | null, io: RunIo): Promise<RemoteSecondary> {
  const spawned = opts.secondary === 'spawn';
  // A spawned secondary runs the engine asked for it, else the primary's.
  const jit = opts.secondaryJitThreshold ?? config.jitThreshold;
  let where = spawned ? await spawnSecondary(io, jit) : parseHostPort(opts.secondary!, '--secondary');
  let ch: SocketChannel | null = null;
  const hb = opts.heartbeat ?? 1000;
  let sessions = 0;
  const channel = async (header: Uint8Array): Promise<HostChannel> => {
    ch = await connectSecondary(where.host, where.port, {
      ...helloMagic(), version, header, ramBytes: config.ram, heartbeatMs: hb,
      serialIn, output: opts.output !== undefined ? resolve(opts.output) : null, ledger: opts.ledger !== undefined ? resolve(opts.ledger) : null,
      diskWritable: config.diskWritable, maxInsns: opts.maxInsns ?? null, generation: sessions,
    }, HANDSHAKE_MS);
    sessions++;
    return ch;
  };
  return {
    channel,
    rejoin: async (header) => {
      await new Promise((r) => setTimeout(r, hb));
      if (spawned) where = await spawnSecondary(io, jit);
      return channel(header);
    },
    generation: () => sessions - 1,
    info: () => ({ peer: `${where.host}:${where.port}`, sentBytes: ch?.counters.sentBytes ?? 0, receivedBytes: ch?.counters.receivedBytes ?? 0 }),
  };
}

/** `vmrr ft-secondary --listen 127.0.0.1:0` in a child process; resolves with the port it listens on. */
function spawnSecondary(io: RunIo, jitThreshold: number): Promise<{ host: string; port: number }> {
  return new Promise((resolvePort, reject) => {
    // The child's standard output is ours: after a takeover it goes on writing the guest's output there.
    const child = spawn(process.execPath, [BIN, 'ft-secondary', '--listen', '127.0.0.1:0', '--jit-threshold', String(jitThreshold)], { stdio: ['ignore', 'inherit', 'pipe'] });
    let text = '';
    let found = false;
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (d: string) => {
      if (found) {
        process.stderr.write(d);
        return;
      }
      text += d;
      const m = /listening on ([^\s:]+):(\d+)/.exec(text);
      if (m) {
        found = true;
        const rest = text.slice(text.indexOf('\n', m.index) + 1);
        if (rest) process.stderr.write(rest);
        // Listening: it must not keep this process waiting once the check is over.
        child.unref();
        (child.stderr as unknown as { unref?: () => void }).unref?.();
        resolvePort({ host: m[1], port: Number(m[2]) });
      }
    });
    child.once('error', (e) => reject(new LinkError(`cannot start the secondary: ${e.message}`)));
    child.once('exit', (code) => {
      if (!found) reject(new LinkError(`the spawned secondary exited (status ${code}) before listening: ${text.trim().split('\n').pop() ?? ''}`));
    });
    void io;
  });
}

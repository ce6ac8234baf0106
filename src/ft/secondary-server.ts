// `vmrr ft-secondary --listen [HOST:]PORT`: one FT session over TCP. It
// waits for a primary, checks the handshake (protocol and tool version, its
// own copy of the image and disk against the SHA-256 in the primary's log
// header), builds the guest from them, and serves the secondary host's
// messages (secondary-host.ts, the same the worker thread gets). A `bye`
// ends the session normally. If the link is lost otherwise (the primary
// killed, the connection reset, silence past the heartbeat timeout), the
// secondary replays every whole round it holds and takes over (takeover.ts).

import { createServer, type Server, type Socket } from 'node:net';
import { readFileSync } from 'node:fs';
import { decodeMachineConfig } from '../machine/config.js';
import { planImage } from '../machine/image-plan.js';
import { sha256Hex } from '../replay/digest.js';
import { decodeHeader, type LogHeader } from '../replay/log-format.js';
import { makeCbor } from '../replay/cbor-fields.js';
import { SecondaryHost, type HostMessage, type WorkerInit } from './secondary-host.js';
import { FT_MAGIC, FT_PROTOCOL, LinkError, MessageReader, encodeMessage, makeWireCbor } from './wire.js';
import type { Hello } from './socket-channel.js';
import type { GuestSetup } from './primary.js';

export interface ServerOptions {
  host: string;
  port: number;
  version: string;
  /** Our own copies (default: the paths in the primary's header). */
  image?: string;
  disk?: string;
  /** This host's block-compiler threshold (0: interpreter only; default the stock one): not the primary's, engines need not match. */
  jitThreshold?: number;
  /** How long to wait for a primary's hello once it connected (ms). */
  handshakeMs: number;
  /** Called once listening, with the port (useful with port 0). */
  listening(host: string, port: number): void;
  now(): number;
}

/** How a session ended. */
export type SessionEnd =
  /** The primary said bye: its report has the verdict. */
  | { kind: 'bye'; host: SecondaryHost; hello: Hello; stats: SessionStats }
  /** The primary gave up on this secondary (it fell silent past the heartbeat) and runs on alone: no takeover. */
  | { kind: 'dropped'; why: string; stats: SessionStats }
  /** The link was lost: take over from `host`. */
  | { kind: 'lost'; why: string; host: SecondaryHost; hello: Hello; setup: GuestSetup; header: LogHeader; lostAt: number; stats: SessionStats; diskPath: string | null };

export interface SessionStats {
  receivedBytes: number;
  sentBytes: number;
  peer: string;
}

/** The guest the primary described, built from our own image (and disk), or a LinkError saying why not. */
export function checkHello(hello: Hello, o: Pick<ServerOptions, 'version' | 'image' | 'disk' | 'jitThreshold'>): { header: LogHeader; setup: GuestSetup; diskBytes?: Uint8Array; diskPath: string | null } {
  if (hello.magic !== FT_MAGIC) throw new LinkError('the peer is not a vmrr ft-check primary');
  if (hello.proto !== FT_PROTOCOL) throw new LinkError(`the primary speaks FT protocol ${String(hello.proto)}, this secondary ${FT_PROTOCOL}`);
  if (hello.version !== o.version) throw new LinkError(`the primary is vmrr ${String(hello.version)}, this secondary ${o.version}: both must run the same emulator`);
  let header: LogHeader;
  try {
    header = decodeHeader(makeCbor().decode(hello.header));
  } catch (e) {
    throw new LinkError(`the primary's header is not valid (${(e as Error).message})`);
  }
  const imagePath = o.image ?? header.imagePath;
  const bytes = readOwn(imagePath, 'image');
  if (sha256Hex(bytes) !== header.imageSha256) {
    throw new LinkError(`image mismatch: ${imagePath} (SHA-256 ${sha256Hex(bytes).slice(0, 12)}...) is not the primary's (${header.imageSha256.slice(0, 12)}...)`);
  }
  let diskBytes: Uint8Array | undefined;
  const diskPath = header.diskPath === null ? null : o.disk ?? header.diskPath;
  if (diskPath !== null) {
    diskBytes = readOwn(diskPath, 'disk');
    if (sha256Hex(diskBytes) !== header.diskSha256) {
      throw new LinkError(`disk mismatch: ${diskPath} (SHA-256 ${sha256Hex(diskBytes).slice(0, 12)}...) is not the primary's (${String(header.diskSha256).slice(0, 12)}...)`);
    }
  }
  let config;
  try {
    config = decodeMachineConfig(header.machine as Record<string, unknown>, header.imagePath);
    if (o.jitThreshold !== undefined) config.jitThreshold = o.jitThreshold;
  } catch (e) {
    throw new LinkError(`the primary's machine configuration: ${(e as Error).message}`);
  }
  let initrd: Uint8Array | undefined;
  if (config.initrd) initrd = readOwn(config.initrd, 'initrd');
  const plan = planImage(bytes, { bios: config.bios, ram: config.ram, append: config.append, imageArg: config.imageArg, initrd });
  const vgaRom = config.vgaRom ? readOwn(config.vgaRom, 'VGA ROM') : undefined;
  return { header, setup: { plan, config, ...(vgaRom ? { vgaRom } : {}) }, diskBytes, diskPath };
}

function readOwn(path: string, what: string): Uint8Array {
  try {
    return new Uint8Array(readFileSync(path));
  } catch (e) {
    throw new LinkError(`cannot read the ${what} ${path}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`);
  }
}

/** Listen, serve one primary, and say how the session ended. Rejects with a LinkError on a bad peer. */
export function serveOnce(o: ServerOptions): Promise<SessionEnd> {
  return new Promise((resolve, reject) => {
    const server: Server = createServer();
    server.once('error', (e) => reject(new LinkError(`cannot listen on ${o.host}:${o.port}: ${(e as NodeJS.ErrnoException).code ?? e.message}`)));
    server.listen(o.port, o.host, () => {
      const a = server.address();
      o.listening(o.host, typeof a === 'object' && a ? a.port : o.port);
    });
    server.once('connection', (sock) => {
      server.close();
      session(sock, o).then(resolve, reject);
    });
  });
}

function session(sock: Socket, o: ServerOptions): Promise<SessionEnd> {
  const peer = `${sock.remoteAddress}:${sock.remotePort}`;
  const cbor = makeWireCbor();
  const reader = new MessageReader(peer);
  const stats: SessionStats = { receivedBytes: 0, sentBytes: 0, peer };
  sock.setNoDelay(true);
  const write = (m: unknown): void => {
    if (sock.destroyed) return;
    const b = encodeMessage(cbor, m);
    stats.sentBytes += b.length;
    sock.write(b);
  };
  return new Promise((resolve, reject) => {
    let hello: Hello | null = null;
    let guest: ReturnType<typeof checkHello> | null = null;
    let host: SecondaryHost | null = null;
    let lastHeard = o.now();
    let done = false;
    let beat: NodeJS.Timeout | null = null;
    const handshake = setTimeout(() => refuse(`no hello from ${peer} within ${o.handshakeMs} ms`), o.handshakeMs);
    const finish = (): void => {
      done = true;
      clearTimeout(handshake);
      if (beat) clearInterval(beat);
    };
    const refuse = (message: string): void => {
      if (done) return;
      finish();
      write(guest ? { fatal: message } : { refuse: { message } });
      sock.end();
      setTimeout(() => sock.destroy(), 200).unref();
      reject(new LinkError(message));
    };
    const lost = (why: string): void => {
      if (done) return;
      finish();
      sock.destroy();
      if (!host || !hello || !guest) return reject(new LinkError(`the primary at ${peer} went away before the session started: ${why}`));
      resolve({ kind: 'lost', why, host, hello, setup: guest.setup, header: guest.header, lostAt: o.now(), stats, diskPath: guest.diskPath });
    };
    const onHello = (h: Hello): void => {
      try {
        guest = checkHello(h, o);
      } catch (e) {
        return refuse((e as Error).message);
      }
      hello = h;
      clearTimeout(handshake);
      reader.limit = guest.setup.config.ram * 2 + (64 << 20);
      host = new SecondaryHost((m) => write(m));
      write({ welcome: { proto: FT_PROTOCOL, version: o.version } });
      const hb = Math.max(10, h.heartbeatMs);
      let lastTick = o.now();
      beat = setInterval(() => {
        const now = o.now();
        // A late tick means this side was busy (a long replay slice): the peer gets a fresh window.
        if (now - lastTick > hb / 2) lastHeard = now;
        lastTick = now;
        if (now - lastHeard > hb) lost(`no word from the primary for ${hb} ms (--heartbeat)`);
        else write({ hb: 1 });
      }, Math.max(5, hb / 4));
    };
    sock.on('data', (chunk: Buffer) => {
      if (done) return;
      stats.receivedBytes += chunk.length;
      lastHeard = o.now();
      let msgs: unknown[];
      try {
        msgs = reader.push(chunk);
      } catch (e) {
        return refuse((e as Error).message);
      }
      for (const m of msgs as Record<string, unknown>[]) {
        if (done) return;
        if (!hello) {
          if (!m.hello || typeof m.hello !== 'object') return refuse(`${peer} did not start with a hello`);
          onHello(m.hello as Hello);
          if (!hello) return;
          continue;
        }
        if (m.hb) continue;
        if (m.dropped !== undefined) {
          finish();
          sock.destroy();
          return resolve({ kind: 'dropped', why: String(m.dropped), stats });
        }
        if (m.bye) {
          finish();
          sock.end();
          return resolve({ kind: 'bye', host: host!, hello, stats });
        }
        const msg = m as unknown as HostMessage;
        if (msg.init) msg.init = { ...msg.init, setup: guest!.setup, diskBytes: guest!.diskBytes } as WorkerInit;
        host!.receive(msg);
      }
    });
    sock.on('error', (e) => lost((e as NodeJS.ErrnoException).code ?? e.message));
    sock.on('close', () => lost(reader.pending > 0 ? `the connection closed in the middle of a message (${reader.pending} bytes of it)` : 'the connection closed'));
  });
}

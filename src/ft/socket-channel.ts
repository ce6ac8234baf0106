// The primary's end of a TCP link to `vmrr ft-secondary`: connect, the
// handshake (protocol version, tool version, the image's and disk's SHA-256
// in the log header, the machine configuration), then the secondary host's
// messages (secondary-host.ts) as wire messages (wire.ts), with heartbeats
// both ways. A refusal, garbage, another version or silence past the
// timeout is a LinkError with one line.

import { connect, type Socket } from 'node:net';
import type { Encoder } from 'cbor-x';
import type { HostChannel } from './remote-secondary.js';
import type { HostMessage, HostReply } from './secondary-host.js';
import { FT_MAGIC, FT_PROTOCOL, LinkError, MessageReader, encodeMessage, makeWireCbor } from './wire.js';

/** What the primary tells the secondary before anything else. */
export interface Hello {
  magic: string;
  proto: number;
  version: string;
  /** The log header, encoded as the link sends it: image and disk identity, machine configuration. */
  header: Uint8Array;
  ramBytes: number;
  heartbeatMs: number;
  /** Where a secondary that takes over finds the serial input and writes output, unless told otherwise. */
  serialIn: string | null;
  output: string | null;
  ledger: string | null;
  diskWritable: boolean;
  maxInsns: number | null;
  /** This session's number (0, then one more for each secondary that joins): the owner file both sides claim (arbiter.ts). */
  generation: number;
}

export interface LinkCounters {
  sentBytes: number;
  receivedBytes: number;
  messagesSent: number;
  messagesReceived: number;
}

/** Connect to host:port and shake hands; resolves with the channel once the secondary welcomed us. */
export function connectSecondary(host: string, port: number, hello: Hello, timeoutMs: number): Promise<SocketChannel> {
  const peer = `${host}:${port}`;
  return new Promise((resolve, reject) => {
    const sock = connect({ host, port });
    const timer = setTimeout(() => {
      sock.destroy();
      reject(new LinkError(`ft link to ${peer}: no answer to the handshake within ${timeoutMs} ms`));
    }, timeoutMs);
    const fail = (e: Error): void => {
      clearTimeout(timer);
      sock.destroy();
      const code = (e as NodeJS.ErrnoException).code;
      reject(e instanceof LinkError ? e : new LinkError(`cannot reach the secondary at ${peer}: ${code ?? e.message}`));
    };
    sock.once('error', fail);
    sock.once('close', () => fail(new LinkError(`ft link to ${peer}: the secondary closed the connection during the handshake`)));
    const reader = new MessageReader(peer);
    const cbor = makeWireCbor();
    sock.on('connect', () => sock.write(encodeMessage(cbor, { hello })));
    const onData = (chunk: Buffer): void => {
      let msgs: unknown[];
      try {
        msgs = reader.push(chunk);
      } catch (e) {
        fail(e as Error);
        return;
      }
      for (const m of msgs as Record<string, Record<string, unknown>>[]) {
        if (m.refuse) return fail(new LinkError(`the secondary at ${peer} refused: ${String(m.refuse.message)}`));
        if (!m.welcome) return fail(new LinkError(`ft link to ${peer}: expected a welcome, got ${Object.keys(m).join(',') || 'an empty message'}`));
        if (m.welcome.proto !== FT_PROTOCOL) return fail(new LinkError(`the secondary at ${peer} speaks FT protocol ${String(m.welcome.proto)}, this vmrr ${FT_PROTOCOL}`));
        clearTimeout(timer);
        sock.removeAllListeners('error');
        sock.removeAllListeners('close');
        sock.removeListener('data', onData);
        reader.limit = hello.ramBytes * 2 + (64 << 20);
        resolve(new SocketChannel(sock, reader, cbor, peer, hello.heartbeatMs, chunk.length));
        return;
      }
    };
    sock.on('data', onData);
  });
}

export function helloMagic(): Pick<Hello, 'magic' | 'proto'> {
  return { magic: FT_MAGIC, proto: FT_PROTOCOL };
}

export class SocketChannel implements HostChannel {
  readonly counters: LinkCounters = { sentBytes: 0, receivedBytes: 0, messagesSent: 0, messagesReceived: 0 };
  private onMsg: (m: HostReply) => void = () => {};
  private onErr: (e: Error) => void = () => {};
  private failed = false;
  private closing = false;
  private lastHeard = Date.now();
  /** The watchdog starts once the secondary has built its guest (building it blocks its event loop). */
  private armed = false;
  private readonly beat: NodeJS.Timeout;

  constructor(private readonly sock: Socket, private readonly reader: MessageReader, private readonly cbor: Encoder, readonly peer: string, heartbeatMs: number, handshakeBytes: number) {
    this.counters.receivedBytes = handshakeBytes;
    sock.setNoDelay(true);
    sock.on('data', (chunk: Buffer) => {
      this.counters.receivedBytes += chunk.length;
      this.lastHeard = Date.now();
      let msgs: unknown[];
      try {
        msgs = this.reader.push(chunk);
      } catch (e) {
        return this.lose(e as Error);
      }
      for (const m of msgs as Record<string, unknown>[]) {
        this.counters.messagesReceived++;
        if (m.hb) continue;
        if (m.id !== undefined || m.round !== undefined) this.armed = true;
        if (m.fatal) return this.lose(new LinkError(`the secondary at ${peer} gave up: ${String(m.fatal)}`));
        this.onMsg(m as HostReply);
      }
    });
    sock.on('error', (e) => this.lose(new LinkError(`ft link to ${peer}: ${(e as NodeJS.ErrnoException).code ?? e.message}`)));
    sock.on('close', () => this.lose(new LinkError(`ft link to ${peer}: the secondary closed the connection`)));
    // Heartbeats: ours every quarter of the timeout; silence past the timeout means the secondary is gone.
    let lastTick = Date.now();
    this.beat = setInterval(() => {
      const now = Date.now();
      // A late tick means this side was busy (a long round or resync): the peer gets a fresh window.
      if (now - lastTick > heartbeatMs / 2) this.lastHeard = now;
      lastTick = now;
      if (!this.armed) this.lastHeard = now;
      if (now - this.lastHeard > heartbeatMs) this.lose(new LinkError(`ft link to ${peer}: no word from the secondary for ${heartbeatMs} ms (--heartbeat)`));
      else this.write({ hb: 1 });
    }, Math.max(5, heartbeatMs / 4));
    this.beat.unref();
  }

  private lose(e: Error): void {
    if (this.failed || this.closing) return;
    // If the secondary is still there, it must not take over: the primary goes on.
    this.write({ dropped: e.message });
    this.failed = true;
    clearInterval(this.beat);
    this.sock.end();
    setTimeout(() => this.sock.destroy(), 100).unref();
    this.onErr(e);
  }

  private write(m: unknown): void {
    if (this.failed || this.sock.destroyed) return;
    const bytes = encodeMessage(this.cbor, m);
    this.counters.sentBytes += bytes.length;
    this.counters.messagesSent++;
    this.sock.write(bytes);
  }

  send(msg: HostMessage): void {
    if (msg.init) {
      // The secondary builds its guest from its own copy of the image and disk (checked at the handshake).
      const { setup: _s, diskBytes: _d, ...rest } = msg.init;
      this.write({ id: msg.id, init: rest });
      return;
    }
    this.write(msg);
  }

  onMessage(f: (m: HostReply) => void): void {
    this.onMsg = f;
  }

  onError(f: (e: Error) => void): void {
    this.onErr = f;
  }

  /** A normal end: tell the secondary, and close. */
  close(): Promise<void> {
    if (this.closing || this.failed) return Promise.resolve();
    this.write({ bye: 1 });
    this.closing = true;
    clearInterval(this.beat);
    return new Promise((resolve) => this.sock.end(resolve));
  }
}

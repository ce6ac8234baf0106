// The gdb remote stub over TCP: one client at a time (others are refused
// while a session lasts), loopback unless told otherwise. A session ends
// with D (detach), k (kill) or the client going away; after a disconnect the
// server waits for the next client. Packets that run the guest (c, s, vCont,
// bc, bs) are awaited while Ctrl-C from gdb aborts them.

import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { framePacket, PacketReader, type PacketEvent } from './packet.js';
import { CommandState, stopReply } from './commands.js';
import type { DebugTarget, StopReason } from './target.js';

export type SessionEnd = 'detach' | 'kill' | 'disconnect';

export interface GdbServerOptions {
  host?: string;
  port: number;
  /** One line per notable event (client connected, refused, gone). */
  log?: (line: string) => void;
}

const hexText = (s: string): string => Buffer.from(s, 'utf8').toString('hex');

export class GdbServer {
  private readonly server: Server;
  private active: Socket | null = null;
  private ended: ((how: SessionEnd) => void) | null = null;
  /** Shared by every session, so breakpoints and the last stop survive a reconnect. */
  readonly state: CommandState;

  constructor(private readonly target: DebugTarget, private readonly opts: GdbServerOptions) {
    this.state = new CommandState(target);
    this.server = createServer((sock) => this.accept(sock));
  }

  /** Start listening; resolves with the address (port 0: the one the system picked). */
  listen(): Promise<AddressInfo> {
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(this.opts.port, this.opts.host ?? '127.0.0.1', () => {
        this.server.off('error', reject);
        resolve(this.server.address() as AddressInfo);
      });
    });
  }

  /**
   * Resolves when a client detaches (D) or kills (k). A disconnect waits for
   * the next client, unless `over()` says there is nothing left to debug.
   */
  waitForEnd(over: () => boolean = () => false): Promise<SessionEnd> {
    return new Promise((resolve) => {
      this.ended = (how) => {
        if (how !== 'disconnect' || over()) resolve(how);
      };
    });
  }

  close(): void {
    this.active?.destroy();
    this.server.close();
  }

  private accept(sock: Socket): void {
    if (this.active) {
      this.opts.log?.(`gdb: refused a second client from ${sock.remoteAddress}:${sock.remotePort} (one at a time)`);
      sock.destroy();
      return;
    }
    this.active = sock;
    sock.setNoDelay(true);
    this.opts.log?.(`gdb: client connected from ${sock.remoteAddress}:${sock.remotePort}`);
    void new Session(sock, this.state, this.target).run().then((how) => {
      this.active = null;
      sock.destroy();
      if (how === 'disconnect') this.opts.log?.('gdb: client went away; waiting for the next one');
      this.ended?.(how);
    });
  }
}

class Session {
  private readonly reader = new PacketReader();
  private readonly queue: PacketEvent[] = [];
  private wake: (() => void) | null = null;
  private closed = false;
  private running: AbortController | null = null;
  private lastSent: Uint8Array | null = null;

  constructor(private readonly sock: Socket, private readonly st: CommandState, private readonly target: DebugTarget) {
    sock.on('data', (chunk: Buffer) => {
      for (const ev of this.reader.feed(chunk)) {
        if (ev.kind === 'interrupt') this.running?.abort();
        else this.queue.push(ev);
      }
      this.poke();
    });
    sock.on('close', () => { this.closed = true; this.running?.abort(); this.poke(); });
    sock.on('error', () => { this.closed = true; this.poke(); });
  }

  private poke(): void {
    const w = this.wake;
    this.wake = null;
    w?.();
  }

  private async next(): Promise<PacketEvent | null> {
    while (this.queue.length === 0) {
      if (this.closed) return null;
      await new Promise<void>((r) => (this.wake = r));
    }
    return this.queue.shift()!;
  }

  private send(payload: string): void {
    if (this.closed) return;
    this.lastSent = framePacket(Buffer.from(payload, 'latin1'));
    this.sock.write(this.lastSent);
  }

  async run(): Promise<SessionEnd> {
    for (let ev = await this.next(); ev; ev = await this.next()) {
      if (ev.kind === 'nak') { if (this.lastSent) this.sock.write(this.lastSent); continue; }
      if (ev.kind === 'ack') continue;
      if (ev.kind === 'bad-checksum') { if (!this.st.noAck) this.sock.write('-'); continue; }
      if (ev.kind !== 'packet') continue;
      const p = Buffer.from(ev.payload).toString('latin1');
      if (!this.st.noAck) this.sock.write('+');
      if (p === 'k') return 'kill';
      if (p[0] === 'D') { this.send('OK'); return 'detach'; }
      const reply = this.st.handle(p) ?? (await this.special(p));
      this.send(reply);
    }
    return 'disconnect';
  }

  /** Packets that run the guest, and monitor commands. */
  private async special(p: string): Promise<string> {
    if (p.startsWith('qRcmd,')) {
      const cmd = Buffer.from(p.slice(6), 'hex').toString('utf8').trim();
      const out = await this.target.monitor(cmd);
      return hexText(out ?? `vmrr: unknown monitor command '${cmd}'; 'monitor help' lists them\n`);
    }
    const action = resumeAction(p);
    if (!action) return '';
    const t = this.target;
    const reverse = action === 'bs' ? t.reverseStep : action === 'bc' ? t.reverseResume : undefined;
    if ((action === 'bs' || action === 'bc') && !reverse) return 'E01';
    this.running = new AbortController();
    const ctl = { points: this.st.points, signal: this.running.signal };
    let r: StopReason;
    try {
      if (action === 's') r = await t.step(ctl);
      else if (action === 'c') r = await t.resume(ctl);
      else r = await reverse!.call(t, ctl);
    } finally {
      this.running = null;
    }
    this.st.last = r;
    if (r.kind === 'fault' && r.message) this.send('O' + hexText(r.message + '\n'));
    return stopReply(r);
  }
}

/** What a resume packet asks for: s, c, bs, bc (signals to deliver are ignored: the guest has none). */
export function resumeAction(p: string): 's' | 'c' | 'bs' | 'bc' | undefined {
  if (p === 'bs' || p === 'bc') return p;
  if (p[0] === 's' || p[0] === 'S') return 's';
  if (p[0] === 'c' || p[0] === 'C') return 'c';
  if (p.startsWith('vCont;')) {
    const first = p.slice(6).split(';')[0] ?? '';
    if (first[0] === 's' || first[0] === 'S') return 's';
    if (first[0] === 'c' || first[0] === 'C') return 'c';
  }
  return undefined;
}

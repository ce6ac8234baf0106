// A TCP proxy between an FT primary and its secondary, for network faults:
// delay every chunk, cut the stream after some bytes (mid-message), and
// route each new connection to the next of several secondaries (a primary
// that reconnects with --rejoin reaches a new one).
import { connect, createServer, type Server, type Socket } from 'node:net';

export interface ProxyOptions {
  /** Ports of the secondaries, for connection 1, 2, ... (the last one serves any later ones). */
  targets: number[];
  delayMs?: number;
  /** Cut the first connection once this many bytes went from the primary to the secondary. */
  cutAfter?: number;
}

export class FaultProxy {
  private readonly server: Server;
  port = 0;
  connections = 0;
  cut = false;

  constructor(private readonly o: ProxyOptions) {
    this.server = createServer((a) => this.pipe(a));
  }

  listen(): Promise<number> {
    return new Promise((resolve) => this.server.listen(0, '127.0.0.1', () => {
      const a = this.server.address();
      this.port = typeof a === 'object' && a ? a.port : 0;
      resolve(this.port);
    }));
  }

  close(): void {
    this.server.close();
  }

  private pipe(a: Socket): void {
    const n = this.connections++;
    const b = connect({ host: '127.0.0.1', port: this.o.targets[Math.min(n, this.o.targets.length - 1)] });
    let forwarded = 0;
    const kill = (): void => {
      a.destroy();
      b.destroy();
    };
    const send = (to: Socket, chunk: Buffer): void => {
      const go = (): void => {
        if (!to.destroyed) to.write(chunk);
      };
      if (this.o.delayMs) setTimeout(go, this.o.delayMs);
      else go();
    };
    a.on('data', (chunk: Buffer) => {
      if (n === 0 && this.cut) return;
      if (n === 0 && this.o.cutAfter !== undefined && forwarded + chunk.length > this.o.cutAfter) {
        // Half a message goes through, then the link dies.
        send(b, chunk.subarray(0, Math.max(0, this.o.cutAfter - forwarded)));
        this.cut = true;
        setTimeout(kill, (this.o.delayMs ?? 0) + 5);
        return;
      }
      forwarded += chunk.length;
      send(b, chunk);
    });
    b.on('data', (chunk: Buffer) => send(a, chunk));
    a.on('error', kill);
    b.on('error', kill);
    a.on('close', () => setTimeout(() => b.destroy(), (this.o.delayMs ?? 0) + 5));
    b.on('close', () => setTimeout(() => a.destroy(), (this.o.delayMs ?? 0) + 5));
  }
}

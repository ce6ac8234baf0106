// The TCP stub against a scripted client: acks and retransmission on '-',
// QStartNoAckMode, Ctrl-C (0x03) aborting a running continue, a second
// client refused while one is connected, qRcmd output in hex, D and k.
import { describe, it, expect } from 'vitest';
import { connect, type Socket } from 'node:net';
import { GdbServer, resumeAction } from '../../src/gdb/server.js';
import { framePacket, PacketReader } from '../../src/gdb/packet.js';
import type { DebugTarget, ResumeControl, StopReason } from '../../src/gdb/target.js';

/** A target whose continue runs until aborted; one register, no memory. */
class SpinTarget implements DebugTarget {
  steps = 0;
  readRegister(n: number) { return n === 8 ? Uint8Array.of(this.steps, 0, 0, 0) : new Uint8Array(4); }
  writeRegister() { return false; }
  readMemory() { return undefined; }
  writeMemory() { return false; }
  pointsChanged() {}
  async step(): Promise<StopReason> { this.steps++; return { kind: 'step' }; }
  async resume(ctl: ResumeControl): Promise<StopReason> {
    while (!ctl.signal.aborted) await new Promise((r) => setTimeout(r, 5));
    return { kind: 'interrupted' };
  }
  async monitor(cmd: string) { return cmd === 'hello' ? 'hi there\n' : undefined; }
}

class Client {
  private readonly reader = new PacketReader();
  private readonly got: string[] = [];
  readonly raw: number[] = [];
  private wake: (() => void) | null = null;
  closed = false;
  constructor(readonly sock: Socket) {
    sock.on('data', (b: Buffer) => {
      for (const x of b) this.raw.push(x);
      for (const ev of this.reader.feed(b)) {
        if (ev.kind === 'packet') this.got.push(Buffer.from(ev.payload).toString('latin1'));
        else if (ev.kind === 'ack') this.got.push('+');
        else if (ev.kind === 'nak') this.got.push('-');
      }
      this.wake?.();
    });
    sock.on('close', () => { this.closed = true; this.wake?.(); });
  }
  static open(port: number): Promise<Client> {
    return new Promise((res) => { const s = connect(port, '127.0.0.1', () => res(new Client(s))); });
  }
  send(payload: string): void { this.sock.write(framePacket(payload)); }
  async next(): Promise<string> {
    while (this.got.length === 0) {
      if (this.closed) throw new Error('closed');
      await new Promise<void>((r) => (this.wake = r));
    }
    return this.got.shift()!;
  }
  async waitClosed(): Promise<void> {
    while (!this.closed) await new Promise<void>((r) => (this.wake = r));
  }
}

async function serve(): Promise<{ server: GdbServer; port: number; target: SpinTarget }> {
  const target = new SpinTarget();
  const server = new GdbServer(target, { port: 0 });
  const a = await server.listen();
  expect(a.address).toBe('127.0.0.1');
  return { server, port: a.port, target };
}

describe('gdb TCP stub', () => {
  it('acks each packet, answers, resends on a nak, and stops acking after QStartNoAckMode', async () => {
    const { server, port } = await serve();
    const c = await Client.open(port);
    c.send('p8');
    expect(await c.next()).toBe('+');
    expect(await c.next()).toBe('00000000');
    c.sock.write('-');
    expect(await c.next()).toBe('00000000');
    c.sock.write('$p8#00'); // bad checksum
    expect(await c.next()).toBe('-');
    c.send('QStartNoAckMode');
    expect(await c.next()).toBe('+');
    expect(await c.next()).toBe('OK');
    c.send('s');
    expect(await c.next()).toBe('T05');
    c.send('p8');
    expect(await c.next()).toBe('01000000');
    c.sock.destroy();
    server.close();
  });

  it('Ctrl-C interrupts a running continue with T02; monitor output comes back in hex', async () => {
    const { server, port } = await serve();
    const c = await Client.open(port);
    c.send('QStartNoAckMode');
    expect(await c.next()).toBe('+');
    expect(await c.next()).toBe('OK');
    c.send('vCont;c');
    setTimeout(() => c.sock.write(Uint8Array.of(3)), 50);
    expect(await c.next()).toBe('T02');
    c.send('qRcmd,' + Buffer.from('hello').toString('hex'));
    expect(Buffer.from(await c.next(), 'hex').toString()).toBe('hi there\n');
    c.send('qRcmd,' + Buffer.from('nope').toString('hex'));
    expect(Buffer.from(await c.next(), 'hex').toString()).toMatch(/unknown monitor command 'nope'/);
    c.send('bs'); // this target cannot go back
    expect(await c.next()).toBe('E01');
    c.sock.destroy();
    server.close();
  });

  it('refuses a second client while one is connected; D ends the session with OK', async () => {
    const { server, port } = await serve();
    const end = server.waitForEnd();
    const a = await Client.open(port);
    const b = await Client.open(port);
    await b.waitClosed();
    a.send('D');
    expect(await a.next()).toBe('+');
    expect(await a.next()).toBe('OK');
    expect(await end).toBe('detach');
    server.close();
  });

  it('k ends the session as a kill; a disconnect waits for the next client', async () => {
    const { server, port } = await serve();
    const end = server.waitForEnd();
    const a = await Client.open(port);
    a.send('?');
    expect(await a.next()).toBe('+');
    a.sock.destroy();
    await new Promise((r) => setTimeout(r, 100)); // the server sees the close
    const b = await Client.open(port);
    b.send('?');
    expect(await b.next()).toBe('+');
    expect(await b.next()).toBe('T05');
    b.send('k');
    expect(await end).toBe('kill');
    server.close();
  });

  it('resume packets: s, c, vCont actions, bs, bc', () => {
    expect(resumeAction('s')).toBe('s');
    expect(resumeAction('C05')).toBe('c');
    expect(resumeAction('vCont;s:1;c')).toBe('s');
    expect(resumeAction('vCont;c')).toBe('c');
    expect(resumeAction('bc')).toBe('bc');
    expect(resumeAction('vCont?')).toBeUndefined();
  });
});

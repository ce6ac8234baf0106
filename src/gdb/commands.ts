// Answers to the core packets (?, g, p, P, m, M, Z0/z0, s, c, qSupported,
// QStartNoAckMode). Returns the reply payload; the server frames it.

import type { DebugTarget, StopReason } from './target.js';
import { REGISTER_COUNT } from './target.js';

const hex32le = (v: number) =>
  [0, 8, 16, 24].map((s) => ((v >>> s) & 0xff).toString(16).padStart(2, '0')).join('');

const parseLe32 = (h: string) =>
  (parseInt(h.slice(0, 2), 16) | (parseInt(h.slice(2, 4), 16) << 8) |
   (parseInt(h.slice(4, 6), 16) << 16) | (parseInt(h.slice(6, 8), 16) << 24)) >>> 0;

export function stopReply(r: StopReason): string {
  if (r.kind === 'exited') return 'W' + (r.status & 0xff).toString(16).padStart(2, '0');
  if (r.kind === 'replaylog') return `T05replaylog:${r.end};`;
  if (r.kind === 'interrupted') return 'T02';
  if (r.kind === 'breakpoint') return 'T05swbreak:;';
  return 'T05';
}

export class CommandState {
  noAck = false;
  readonly breakpoints = new Set<number>();
  last: StopReason = { kind: 'step' };
  constructor(private readonly target: DebugTarget) {}

  handle(p: string, shouldStop: () => boolean = () => false): string {
    const t = this.target;
    if (p === '?') return stopReply(this.last);
    if (p.startsWith('qSupported')) return 'PacketSize=4000;QStartNoAckMode+;swbreak+';
    if (p === 'QStartNoAckMode') { this.noAck = true; return 'OK'; }
    if (p === 'g') {
      let s = '';
      for (let n = 0; n < REGISTER_COUNT; n++) s += hex32le(t.readRegister(n));
      return s;
    }
    if (p[0] === 'p') {
      const n = parseInt(p.slice(1), 16);
      return n < REGISTER_COUNT ? hex32le(t.readRegister(n)) : 'E01';
    }
    if (p[0] === 'P') {
      const [n, v] = p.slice(1).split('=');
      const reg = parseInt(n, 16);
      if (reg >= REGISTER_COUNT || !v || v.length !== 8) return 'E01';
      t.writeRegister(reg, parseLe32(v));
      return 'OK';
    }
    if (p[0] === 'm') return this.readMem(p);
    if (p[0] === 'M') return this.writeMem(p);
    if (p.startsWith('Z0,') || p.startsWith('z0,')) {
      const addr = parseInt(p.slice(3).split(',')[0], 16) >>> 0;
      if (p[0] === 'Z') this.breakpoints.add(addr); else this.breakpoints.delete(addr);
      return 'OK';
    }
    if (p === 's') return stopReply((this.last = t.step()));
    if (p === 'c') return stopReply((this.last = t.resume(this.breakpoints, shouldStop)));
    return ''; // unsupported: gdb treats the empty reply as "not implemented"
  }

  private readMem(p: string): string {
    const [a, l] = p.slice(1).split(',');
    const data = this.target.readMemory(parseInt(a, 16) >>> 0, parseInt(l, 16));
    return data ? Buffer.from(data).toString('hex') : 'E14';
  }

  private writeMem(p: string): string {
    const [head, hex] = p.slice(1).split(':');
    const [a, l] = head.split(',');
    const data = Buffer.from(hex ?? '', 'hex');
    if (data.length !== parseInt(l, 16)) return 'E01';
    return this.target.writeMemory(parseInt(a, 16) >>> 0, data) ? 'OK' : 'E14';
  }
}

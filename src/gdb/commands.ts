// Answers to the packets that do not run the guest: queries, registers,
// memory, breakpoints and watchpoints. The server (server.ts) handles the
// ones that do (c, s, vCont, bc, bs), qRcmd (monitor), k and D.

import type { DebugTarget, StopReason } from './target.js';
import { DebugPoints } from './points.js';
import { REGISTERS, targetXml } from './registers.js';

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

export function stopReply(r: StopReason): string {
  switch (r.kind) {
    case 'exited': return 'W' + (r.status & 0xff).toString(16).padStart(2, '0');
    case 'replaylog': return `T05replaylog:${r.end};`;
    case 'interrupted': return 'T02';
    case 'breakpoint': return r.hw ? 'T05hwbreak:;' : 'T05swbreak:;';
    case 'watch': return `T05${r.type}:${(r.addr >>> 0).toString(16)};`;
    case 'fault': return 'T' + r.signal.toString(16).padStart(2, '0');
    default: return 'T05';
  }
}

export class CommandState {
  noAck = false;
  readonly points = new DebugPoints();
  last: StopReason = { kind: 'step' };
  private readonly xml = Buffer.from(targetXml(), 'latin1');

  constructor(private readonly target: DebugTarget) {}

  /** The reply to `p`, or undefined when `p` is not one of the packets this class answers. */
  handle(p: string): string | undefined {
    const t = this.target;
    switch (p[0]) {
      case '?': return stopReply(this.last);
      case 'g': return this.readAll();
      case 'G': return this.writeAll(p.slice(1));
      case 'p': return this.readOne(parseInt(p.slice(1), 16));
      case 'P': return this.writeOne(p.slice(1));
      case 'm': return this.readMem(p.slice(1), false);
      case 'x': return this.readMem(p.slice(1), true);
      case 'M': return this.writeMem(p.slice(1), false);
      case 'X': return this.writeMem(p.slice(1), true);
      case 'Z': case 'z': {
        const r = this.points.apply(p);
        if (r === 'OK') t.pointsChanged(this.points);
        return r;
      }
      case 'H': return 'OK';
      case 'T': return 'OK'; // the one thread is alive
      default: return this.query(p);
    }
  }

  private query(p: string): string | undefined {
    if (p.startsWith('qSupported')) {
      const reverse = this.target.reverseStep ? ';ReverseStep+;ReverseContinue+' : '';
      return `PacketSize=4000;QStartNoAckMode+;swbreak+;hwbreak+;qXfer:features:read+;vContSupported+${reverse}`;
    }
    if (p === 'QStartNoAckMode') { this.noAck = true; return 'OK'; }
    if (p === 'qAttached') return '1';
    if (p === 'qC') return 'QC1';
    if (p === 'qfThreadInfo') return 'm1';
    if (p === 'qsThreadInfo') return 'l';
    if (p === 'qSymbol::') return 'OK';
    if (p === 'vCont?') return 'vCont;c;C;s;S';
    if (p.startsWith('qXfer:features:read:')) return this.xfer(p.slice('qXfer:features:read:'.length));
    if (/^(qRcmd|[cCsS]|vCont;|bc$|bs$|k$|D)/.test(p)) return undefined;
    return ''; // unsupported: gdb treats the empty reply as "not implemented"
  }

  private xfer(rest: string): string {
    const m = /^([^:]+):([0-9a-fA-F]+),([0-9a-fA-F]+)$/.exec(rest);
    if (!m) return 'E01';
    if (m[1] !== 'target.xml') return 'E00';
    const off = parseInt(m[2], 16);
    const len = parseInt(m[3], 16);
    const chunk = this.xml.subarray(off, off + len);
    return (off + len >= this.xml.length ? 'l' : 'm') + chunk.toString('latin1');
  }

  private readOne(n: number): string {
    if (!(n >= 0 && n < REGISTERS.length)) return 'E01';
    const b = this.target.readRegister(n);
    return b ? hex(b) : 'xx'.repeat(REGISTERS[n].bits / 8);
  }

  private readAll(): string {
    let s = '';
    for (let n = 0; n < REGISTERS.length; n++) s += this.readOne(n);
    return s;
  }

  private writeOne(rest: string): string {
    const [n, v] = rest.split('=');
    const reg = parseInt(n, 16);
    if (!(reg >= 0 && reg < REGISTERS.length) || v === undefined || v.length !== REGISTERS[reg].bits / 4) return 'E01';
    return this.target.writeRegister(reg, Buffer.from(v, 'hex')) ? 'OK' : 'E01';
  }

  /** G: every register; ones the target will not take keep their value unless gdb changed them. */
  private writeAll(h: string): string {
    let at = 0;
    for (let n = 0; n < REGISTERS.length && at < h.length; n++) {
      const width = REGISTERS[n].bits / 4;
      const v = h.slice(at, at + width);
      at += width;
      if (v.length !== width || v.includes('x')) continue;
      const bytes = Buffer.from(v, 'hex');
      const cur = this.target.readRegister(n);
      if (cur && Buffer.compare(Buffer.from(cur), bytes) === 0) continue;
      if (!this.target.writeRegister(n, bytes)) return 'E01';
    }
    return 'OK';
  }

  private readMem(rest: string, binary: boolean): string {
    const [a, l] = rest.split(',');
    const len = Math.min(parseInt(l, 16), 0x4000);
    const data = this.target.readMemory(parseInt(a, 16) >>> 0, len);
    if (!data) return 'E14';
    return binary ? 'b' + Buffer.from(data).toString('latin1') : hex(data);
  }

  private writeMem(rest: string, binary: boolean): string {
    const colon = rest.indexOf(':');
    const [a, l] = rest.slice(0, colon).split(',');
    const body = rest.slice(colon + 1);
    const data = binary ? Buffer.from(body, 'latin1') : Buffer.from(body, 'hex');
    if (colon < 0 || data.length !== parseInt(l, 16)) return 'E01';
    if (data.length === 0) return 'OK';
    return this.target.writeMemory(parseInt(a, 16) >>> 0, data) ? 'OK' : 'E14';
  }
}

// Packets that do not run the guest, against a scripted in-memory target:
// registers in little-endian hex in target.xml order, memory reads/writes
// with an error where unmapped, Z/z bookkeeping, queries, the target
// description, stop replies.

import { describe, it, expect } from 'vitest';
import { CommandState, stopReply } from '../../src/gdb/commands.js';
import { REGISTERS, targetXml } from '../../src/gdb/registers.js';
import type { DebugTarget, StopReason } from '../../src/gdb/target.js';
import type { DebugPoints } from '../../src/gdb/points.js';

class FakeTarget implements DebugTarget {
  regs = new Uint32Array(REGISTERS.length);
  mem = new Uint8Array(0x100);
  changed = 0;
  readRegister(n: number) { return REGISTERS[n].bits === 80 ? new Uint8Array(10) : Uint8Array.of(this.regs[n] & 0xff, (this.regs[n] >>> 8) & 0xff, (this.regs[n] >>> 16) & 0xff, this.regs[n] >>> 24); }
  writeRegister(n: number, b: Uint8Array) { if (b.length !== 4) return false; this.regs[n] = (b[0] | (b[1] << 8) | (b[2] << 16) | (b[3] << 24)) >>> 0; return true; }
  readMemory(a: number, l: number) { return a + l <= this.mem.length ? this.mem.slice(a, a + l) : undefined; }
  writeMemory(a: number, d: Uint8Array) { if (a + d.length > this.mem.length) return false; this.mem.set(d, a); return true; }
  async step(): Promise<StopReason> { return { kind: 'step' }; }
  async resume(): Promise<StopReason> { return { kind: 'exited', status: 0 }; }
  async monitor() { return undefined; }
  pointsChanged(_p: DebugPoints) { this.changed++; }
}

describe('gdb packets that do not run the guest', () => {
  it('g returns every register in order; P writes one that p reads back', () => {
    const t = new FakeTarget(); const s = new CommandState(t);
    t.regs[0] = 0x12345678;
    const g = s.handle('g')!;
    expect(g.slice(0, 8)).toBe('78563412');
    expect(g.length).toBe(REGISTERS.reduce((n, r) => n + r.bits / 4, 0));
    expect(s.handle('P8=00100000')).toBe('OK');
    expect(t.regs[8]).toBe(0x1000);
    expect(s.handle('p8')).toBe('00100000');
    expect(s.handle('p10')).toBe('0'.repeat(20)); // st0: 80 bits
    expect(s.handle('P8=0010')).toBe('E01'); // wrong width
  });

  it('M then m round-trips bytes; X writes binary; out-of-range reads give an error', () => {
    const t = new FakeTarget(); const s = new CommandState(t);
    expect(s.handle('M10,3:abcdef')).toBe('OK');
    expect(s.handle('m10,3')).toBe('abcdef');
    expect(s.handle('X20,3:#$')).toBe('E01'); // length mismatch
    expect(s.handle('X20,2:#$')).toBe('OK');
    expect(s.handle('m20,2')).toBe('2324');
    expect(s.handle('x20,2')).toBe('b#$');
    expect(s.handle('mff,4')).toBe('E14');
  });

  it('Z/z keep breakpoints and watchpoints and tell the target', () => {
    const t = new FakeTarget(); const s = new CommandState(t);
    expect(s.handle('Z0,1000,1')).toBe('OK');
    expect(s.handle('Z1,2000,1')).toBe('OK');
    expect(s.handle('Z2,3000,4')).toBe('OK');
    expect(s.handle('Z3,3001,2')).toBe('OK');
    expect(t.changed).toBe(4);
    expect(s.points.breakpointAt(0x1000)).toEqual({ hw: false });
    expect(s.points.breakpointAt(0x2000)).toEqual({ hw: true });
    expect(s.points.watchHit(0x2fff, 2, true)).toEqual({ kind: 'watch', addr: 0x3000 });
    expect(s.points.watchHit(0x2fff, 1, true)).toBeUndefined();
    expect(s.points.watchHit(0x3002, 1, false)).toEqual({ kind: 'rwatch', addr: 0x3002 });
    expect(s.points.watchHit(0x3000, 1, false)).toBeUndefined(); // a read does not trigger a write watchpoint
    expect(s.handle('z2,3000,4')).toBe('OK');
    expect(s.points.watches).toHaveLength(1);
    expect([...s.points.watchedPages()]).toEqual([3]);
  });

  it('answers the queries gdb 12+ sends, and serves target.xml in chunks', () => {
    const s = new CommandState(new FakeTarget());
    expect(s.handle('qSupported:multiprocess+;swbreak+;hwbreak+;xmlRegisters=i386')).toMatch(/qXfer:features:read\+/);
    expect(s.handle('qSupported')).not.toMatch(/ReverseStep/); // the fake target cannot go back
    expect(s.handle('qAttached')).toBe('1');
    expect(s.handle('qC')).toBe('QC1');
    expect(s.handle('qfThreadInfo')).toBe('m1');
    expect(s.handle('qsThreadInfo')).toBe('l');
    expect(s.handle('vCont?')).toBe('vCont;c;C;s;S');
    let xml = '';
    for (let off = 0; ; off += 0x100) {
      const r = s.handle(`qXfer:features:read:target.xml:${off.toString(16)},100`)!;
      xml += r.slice(1);
      if (r[0] === 'l') break;
      expect(r[0]).toBe('m');
    }
    expect(xml).toBe(targetXml());
    expect(xml).toContain('<feature name="org.gnu.gdb.i386.core">');
    expect(s.handle('qXfer:features:read:other.xml:0,100')).toBe('E00');
  });

  it('unknown packets get the empty reply; resume packets are left to the server', () => {
    const s = new CommandState(new FakeTarget());
    expect(s.handle('vMustReplyEmpty')).toBe('');
    expect(s.handle('c')).toBeUndefined();
    expect(s.handle('vCont;s:1;c')).toBeUndefined();
    expect(s.handle('bs')).toBeUndefined();
    expect(s.handle('QStartNoAckMode')).toBe('OK');
    expect(s.noAck).toBe(true);
  });

  it('stop replies: swbreak/hwbreak, watch kinds with the address, replaylog, exit, SIGINT', () => {
    expect(stopReply({ kind: 'breakpoint', addr: 0, hw: false })).toBe('T05swbreak:;');
    expect(stopReply({ kind: 'breakpoint', addr: 0, hw: true })).toBe('T05hwbreak:;');
    expect(stopReply({ kind: 'watch', type: 'awatch', addr: 0x101180 })).toBe('T05awatch:101180;');
    expect(stopReply({ kind: 'replaylog', end: 'begin' })).toBe('T05replaylog:begin;');
    expect(stopReply({ kind: 'exited', status: 1 })).toBe('W01');
    expect(stopReply({ kind: 'interrupted' })).toBe('T02');
  });
});

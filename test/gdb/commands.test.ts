// Core gdb packets against a scripted in-memory target: registers in
// little-endian hex, memory reads/writes with an error where unmapped,
// breakpoints stopping a continue, stop replies.

import { describe, it, expect } from 'vitest';
import { CommandState } from '../../src/gdb/commands.js';
import type { DebugTarget, StopReason } from '../../src/gdb/target.js';

class FakeTarget implements DebugTarget {
  regs = new Uint32Array(20);
  mem = new Uint8Array(0x100);
  readRegister(n: number) { return this.regs[n]; }
  writeRegister(n: number, v: number) { this.regs[n] = v; }
  readMemory(a: number, l: number) { return a + l <= this.mem.length ? this.mem.slice(a, a + l) : undefined; }
  writeMemory(a: number, d: Uint8Array) { if (a + d.length > this.mem.length) return false; this.mem.set(d, a); return true; }
  step(): StopReason { this.regs[8] += 1; return { kind: 'step' }; }
  resume(bps: ReadonlySet<number>): StopReason {
    for (let i = 0; i < 1000; i++) { this.regs[8] += 1; if (bps.has(this.regs[8])) return { kind: 'breakpoint', addr: this.regs[8] }; }
    return { kind: 'exited', status: 0 };
  }
}

describe('gdb core commands', () => {
  it('g returns 20 registers little-endian; P writes one that p reads back', () => {
    const t = new FakeTarget(); const s = new CommandState(t);
    t.regs[0] = 0x12345678;
    expect(s.handle('g').slice(0, 8)).toBe('78563412');
    expect(s.handle('g').length).toBe(20 * 8);
    expect(s.handle('P8=00100000')).toBe('OK');
    expect(t.regs[8]).toBe(0x1000);
    expect(s.handle('p8')).toBe('00100000');
  });

  it('M then m round-trips bytes; out-of-range reads give an error', () => {
    const t = new FakeTarget(); const s = new CommandState(t);
    expect(s.handle('M10,3:abcdef')).toBe('OK');
    expect(s.handle('m10,3')).toBe('abcdef');
    expect(s.handle('mff,4')).toBe('E14');
  });

  it('continue stops at a Z0 breakpoint, runs to exit once z0 removes it', () => {
    const t = new FakeTarget(); const s = new CommandState(t);
    expect(s.handle('Z0,20,1')).toBe('OK');
    expect(s.handle('c')).toBe('T05swbreak:;');
    expect(t.regs[8]).toBe(0x20);
    expect(s.handle('z0,20,1')).toBe('OK');
    expect(s.handle('c')).toBe('W00');
    expect(s.handle('?')).toBe('W00');
  });

  it('unknown packets get the empty reply; QStartNoAckMode turns acks off', () => {
    const s = new CommandState(new FakeTarget());
    expect(s.handle('vMustReplyEmpty')).toBe('');
    expect(s.handle('QStartNoAckMode')).toBe('OK');
    expect(s.noAck).toBe(true);
  });
});

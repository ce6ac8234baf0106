import { describe, expect, it } from 'vitest';
import { HostClock, VirtualClock } from '../../src/machine/clock.js';

describe('VirtualClock', () => {
  it('is icount * 1000 / mhz nanoseconds; icountAt finds the first count reaching a time', () => {
    const cpu = { icount: 0 };
    const c = new VirtualClock(cpu, 1000);
    cpu.icount = 12345;
    expect(c.now()).toBe(12345);
    const slow = new VirtualClock(cpu, 3);
    for (const ns of [1, 333, 334, 1000, 1e9 + 1]) {
      const ic = slow.icountAt(ns);
      cpu.icount = ic;
      expect(slow.now()).toBeGreaterThanOrEqual(ns);
      cpu.icount = ic - 1;
      expect(slow.now()).toBeLessThan(ns);
    }
    expect(slow.icountAt(Infinity)).toBe(Infinity);
  });

  it('skipTo moves time forward while icount stands still (HLT), never back; save/load keeps it', () => {
    const cpu = { icount: 100 };
    const c = new VirtualClock(cpu, 100);
    c.skipTo(5000);
    expect(c.now()).toBe(5000);
    c.skipTo(10);
    expect(c.now()).toBe(5000);
    cpu.icount = 101;
    expect(c.now()).toBe(5010);
    expect(c.icountAt(6000)).toBe(200);
    const d = new VirtualClock(cpu, 100);
    d.load(c.save());
    expect(d.now()).toBe(c.now());
  });
});

describe('HostClock', () => {
  it('serves the source time, never backwards; peek does not count as a guest read', () => {
    const times = [100, 50, 300];
    let reads = 0;
    let peeks = 0;
    const c = new HostClock({ clockNs: () => (reads++, times.shift()!), peekClockNs: () => (peeks++, 400) });
    expect(c.now()).toBe(100);
    expect(c.now()).toBe(100);
    expect(c.now()).toBe(300);
    expect(c.peek()).toBe(400);
    expect([reads, peeks]).toEqual([3, 1]);
  });

  it('calls onPassed once when the guest reads a time at or past the watched deadline', () => {
    let t = 0;
    let passed = 0;
    const c = new HostClock({ clockNs: () => t, peekClockNs: () => t });
    c.onPassed = () => passed++;
    c.watch = 1000;
    t = 999;
    c.now();
    expect(passed).toBe(0);
    t = 1000;
    c.now();
    c.now();
    expect(passed).toBe(1);
  });
});

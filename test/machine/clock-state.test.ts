// The guest clock's saved state: the host clock's never-backwards clamp is
// state (a replayed read below it must give what the recorded one gave).

import { describe, it, expect } from 'vitest';
import { HostClock, VirtualClock } from '../../src/machine/clock.js';

describe('clock save/load', () => {
  it('host clock: the clamp travels with the state', () => {
    let t = 5_000;
    const src = { clockNs: () => t, peekClockNs: () => t };
    const a = new HostClock(src);
    expect(a.now()).toBe(5_000);
    const s = a.save();
    expect(s).toEqual({ v: 1, mode: 'host', idleNs: 0, lastNs: 5_000 });
    const b = new HostClock(src);
    b.load(s);
    t = 4_000; // the host's clock reads lower than what the guest has seen
    expect(b.now()).toBe(5_000);
    expect(new HostClock(src).now()).toBe(4_000);
  });

  it('virtual clock: idle time travels; modes do not mix', () => {
    const cpu = { icount: 10 };
    const a = new VirtualClock(cpu, 1000);
    a.skipTo(1_000);
    const b = new VirtualClock(cpu, 1000);
    b.load(a.save());
    expect(b.now()).toBe(a.now());
    expect(() => new HostClock({ clockNs: () => 0, peekClockNs: () => 0 }).load(a.save())).toThrow(/virtual/);
  });
});

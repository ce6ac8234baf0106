// With --clock virtual the TSC counts idle (HLT) time as the PIT and the RTC
// do: fixtures/tsc-idle.mb idles 10 PIT ticks of ~1 ms and reports the TSC
// delta on port 0x402. A replay from the recorded events alone (the idle
// skips come back from the events' times) sees the same TSC values.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Machine, type MachineParts } from '../../src/machine/machine.js';
import { loadMultiboot } from '../../src/machine/loaders.js';
import { VirtualClock } from '../../src/machine/clock.js';
import type { MachineEvent, ScheduledEvents } from '../../src/machine/events.js';
import { FIXTURES, fixedInput } from './helpers.js';

const RAM = 16 << 20;
const IMAGE = new Uint8Array(readFileSync(join(FIXTURES, 'tsc-idle.mb')));

function runTscIdle(extra: Partial<MachineParts> = {}, mhz = 1000): { out: string; delta: number; exit: number } {
  let out = '';
  const port: number[] = [];
  const m = new Machine({
    ramBytes: RAM,
    input: fixedInput(),
    clock: 'virtual',
    mhz,
    serial: (b) => (out += String.fromCharCode(b)),
    debugcon: [{ port: 0xe9, sink: () => {} }, { port: 0x402, sink: (b) => port.push(b) }],
    ...extra,
  });
  m.load(loadMultiboot(IMAGE, RAM, ''));
  const stop = m.run(1e8);
  expect(port).toHaveLength(4);
  return { out, delta: (port[0] | (port[1] << 8) | (port[2] << 16) | (port[3] << 24)) >>> 0, exit: stop.exitValue ?? -1 };
}

describe('TSC under the virtual clock', () => {
  it('VirtualClock.tsc() is icount plus the ticks of the idle time at mhz', () => {
    const cpu = { icount: 100 };
    const c = new VirtualClock(cpu, 500);
    expect(c.tsc()).toBe(100);
    c.skipTo(c.now() + 1000); // 1 us idle = 500 ticks at 500 MHz
    expect(c.tsc()).toBe(600);
    cpu.icount = 101;
    expect(c.tsc()).toBe(601);
  });

  it('advances over HLT idle time at the PIT\'s rate: 10 ticks of 1193 PIT counts = 9.998 ms = ~9.998e6 TSC ticks at 1000 MHz', () => {
    const r = runTscIdle();
    expect(r.out).toContain('PASS tsc advanced at least 10^5 per timer tick over hlt idle time');
    expect(r.exit).toBe(1);
    const expected = (10 * 1193 * 1e9) / 1193182; // ns = ticks at 1000 MHz
    expect(Math.abs(r.delta - expected)).toBeLessThan(2000); // the few hundred instructions run in between
    const slow = runTscIdle({}, 250);
    expect(Math.abs(slow.delta - expected / 4)).toBeLessThan(2000);
  });

  it('is deterministic and replays from the recorded events alone', () => {
    const log: { icount: number; ev: MachineEvent }[] = [];
    const a = runTscIdle({ onEvent: (ev, icount) => log.push({ icount, ev: { ...ev } }) });
    expect(log.length).toBeGreaterThanOrEqual(10);
    expect(runTscIdle().delta).toBe(a.delta);
    let i = 0;
    const events: ScheduledEvents = {
      nextIcount: () => (i < log.length ? log[i].icount : Infinity),
      take: () => log[i++].ev,
    };
    const b = runTscIdle({ events });
    expect(i).toBe(log.length);
    expect(b.delta).toBe(a.delta);
    expect(b.out).toBe(a.out);
  });
});

// The platform is built so that record/replay can be layered on without
// touching the devices: everything non-deterministic is either an input
// source call or an event delivered through Machine.deliver(). This test
// records a host-clock run of each platform fixture (every input-source
// value and every event with its icount), replays it on a fresh machine from
// the log alone, and expects the same output, the same final state and
// the same device state. A device that read the host clock, or an event
// that bypassed deliver(), would make the replay part.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { Machine, type MachineInput, type MachineParts } from '../src/machine/machine.js';
import { loadMultiboot } from '../src/machine/loaders.js';
import { HostInputSource } from '../src/replay/input-source.js';
import { MemoryDisk } from '../src/devices/disk-backend.js';
import type { MachineEvent, ScheduledEvents } from '../src/machine/events.js';
import { ArrayByteSource } from './devices/helpers.js';

const FIX = fileURLToPath(new URL('../fixtures', import.meta.url));
const RAM = 32 << 20;

type Call = { m: 'rdtsc' | 'rdrand' | 'clockNs' | 'wallClockMs'; v: number };

/** Host values, each one written down. */
class RecordingInput implements MachineInput {
  readonly calls: Call[] = [];
  private readonly host = new HostInputSource();
  private note(m: Call['m'], v: number): number {
    this.calls.push({ m, v });
    return v;
  }
  rdtsc(): number { return this.note('rdtsc', this.host.rdtsc()); }
  rdrand(bits: number, seed: boolean): number { return this.note('rdrand', this.host.rdrand(bits, seed)); }
  clockNs(): number { return this.note('clockNs', this.host.clockNs()); }
  peekClockNs(): number { return this.host.peekClockNs(); } // the scheduler's: not an input
  wallClockMs(): number { return this.note('wallClockMs', this.host.wallClockMs()); }
}

/** The logged values, in order; asking for anything else is a divergence. */
class ReplayInput implements MachineInput {
  private i = 0;
  constructor(private readonly calls: Call[]) {}
  private next(m: Call['m']): number {
    const c = this.calls[this.i++];
    if (!c || c.m !== m) throw new Error(`replay diverged at input ${this.i - 1}: wanted ${m}, log has ${c?.m ?? 'nothing'}`);
    return c.v;
  }
  get consumed(): number { return this.i; }
  rdtsc(): number { return this.next('rdtsc'); }
  rdrand(): number { return this.next('rdrand'); }
  clockNs(): number { return this.next('clockNs'); }
  peekClockNs(): number { throw new Error('replay must not consult the scheduler clock'); }
  wallClockMs(): number { return this.next('wallClockMs'); }
}

class LoggedEvents implements ScheduledEvents {
  private i = 0;
  constructor(private readonly log: { icount: number; ev: MachineEvent }[]) {}
  nextIcount(): number { return this.i < this.log.length ? this.log[this.i].icount : Infinity; }
  take(): MachineEvent { return this.log[this.i++].ev; }
  get left(): number { return this.log.length - this.i; }
}

interface Fixture { name: string; image: string; serialIn?: string; disk?: string }
const manifest = JSON.parse(readFileSync(join(FIX, 'manifest.json'), 'utf8')) as { fixtures: Fixture[]; ioFixtures: Fixture[] };
const fixtures = [...manifest.fixtures.filter((e) => ['timer', 'uart', 'rtc', 'nondet', 'firmware'].includes(e.name)), ...manifest.ioFixtures];

function build(f: Fixture, extra: Partial<MachineParts> & { input: MachineInput }, withHostInputs: boolean): { m: Machine; out: () => string } {
  let out = '';
  const m = new Machine({
    ramBytes: RAM,
    clock: 'host',
    serial: (b) => (out += String.fromCharCode(b)),
    // Replay takes serial bytes from the logged events, not from the host.
    serialIn: withHostInputs && f.serialIn ? new ArrayByteSource(new Uint8Array(readFileSync(join(FIX, f.serialIn)))) : undefined,
    disk: f.disk ? new MemoryDisk(new Uint8Array(readFileSync(join(FIX, f.disk)))) : undefined,
    ...extra,
  });
  m.load(loadMultiboot(new Uint8Array(readFileSync(join(FIX, f.image))), RAM, f.image));
  return { m, out: () => out };
}

const deviceState = (m: Machine): unknown => ({
  pic: m.pic.save(), pit: m.pit.save(), rtc: m.rtc.save(), uart: m.uart.save(), ata: m.ata?.save(),
  regs: [...m.cpu.regs], eip: m.cpu.eip, flags: m.cpu.getEflags(),
});

describe('record with the host clock, replay from the log alone', () => {
  for (const f of fixtures) {
    it(`${f.name}: replay gives the same output, icount, device state and consumes the whole log`, async () => {
      const input = new RecordingInput();
      const events: { icount: number; ev: MachineEvent }[] = [];
      const rec = build(f, { input, onEvent: (ev, icount) => events.push({ icount, ev }) }, true);
      const stop = await rec.m.runAsync({ maxInsns: 2e9 });
      expect(stop.reason).toBe('exit');

      const replayInput = new ReplayInput(input.calls);
      const log = new LoggedEvents(events);
      const rep = build(f, { input: replayInput, events: log }, false);
      const again = rep.m.run(2e9);
      expect(again).toEqual(stop);
      expect(rep.out()).toBe(rec.out());
      expect(deviceState(rep.m)).toEqual(deviceState(rec.m));
      expect(log.left).toBe(0);
      expect(replayInput.consumed).toBe(input.calls.length);
      if (f.name === 'timer') expect(events.filter((e) => e.ev.kind === 'timer').length).toBeGreaterThan(20);
    }, 60_000);
  }
});

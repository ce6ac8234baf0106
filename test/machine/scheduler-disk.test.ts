// The scheduler's disk rule (DESIGN section 9) on stand-ins: earliest of the
// nominal time and a safepoint, never before the host, never while IRQ 14 is
// in service (unless the handler spins on the status past the nominal time);
// plus the option parsers for the disk model.
import { describe, expect, it } from 'vitest';
import { Scheduler, type IoDelivery } from '../../src/machine/scheduler.js';
import { ATA_SPIN_POLLS } from '../../src/devices/ata.js';
import { OptionError, parseDiskLatency, parseDiskSectorTime, parseIoDelivery } from '../../src/cli/options.js';
import type { EventTargets } from '../../src/machine/events.js';
import type { GuestClock } from '../../src/machine/clock.js';
import type { PicPair } from '../../src/devices/pic-pair.js';

interface Setup {
  mode?: IoDelivery;
  clock?: 'virtual' | 'host';
  now?: number;
  dueNs?: number;
  hostReady?: boolean;
  polls?: number;
  inService?: boolean;
}

function scheduler(s: Setup): Scheduler {
  const now = s.now ?? 0;
  const clock = { mode: s.clock ?? 'virtual', peek: () => now, now: () => now } as unknown as GuestClock;
  const ata = {
    busy: true, dueNs: s.dueNs ?? 1000, hostReady: s.hostReady ?? true, polls: s.polls ?? 0,
    get polled() { return this.polls > 0; },
    interruptsEnabled: () => true,
  };
  const quiet = { nextDeadline: () => Infinity, canReceive: () => false, rxReadyAt: () => Infinity, rxInterruptEnabled: () => false };
  const dev = { pit: quiet, uart: quiet, ata } as unknown as EventTargets;
  const pic = { inService: (irq: number) => irq === 14 && (s.inService ?? false), isMasked: () => false } as unknown as PicPair;
  return new Scheduler(clock, dev, pic, undefined, s.mode ?? 'safepoint');
}

const disk = { kind: 'disk' };

describe('Scheduler: disk completions', () => {
  it('running, not polling, before the nominal time: nothing; at it: the completion', () => {
    expect(scheduler({ now: 999 }).nextEvent(false)).toBeNull();
    expect(scheduler({ now: 1000 }).nextEvent(false)).toEqual(disk);
  });

  it('safepoint mode: HLT or a status poll delivers early; nominal mode ignores both', () => {
    expect(scheduler({ now: 0 }).nextEvent(true)).toEqual(disk);
    expect(scheduler({ now: 0, polls: 1 }).nextEvent(false)).toEqual(disk);
    expect(scheduler({ now: 0, mode: 'nominal' }).nextEvent(true)).toBeNull();
    expect(scheduler({ now: 0, mode: 'nominal', polls: 1 }).nextEvent(false)).toBeNull();
    expect(scheduler({ now: 0, mode: 'nominal' }).nextDue(true)).toBe(1000);
    expect(scheduler({ now: 0 }).nextDue(true)).toBe(0);
  });

  it('never before the host: virtual clock waits for it (blockedOnHost), host clock runs on (awaitingHost)', () => {
    const v = scheduler({ now: 0, hostReady: false });
    expect(v.nextEvent(true)).toBeNull();
    expect(v.blockedOnHost).toBe(true);
    const h = scheduler({ now: 5000, hostReady: false, clock: 'host' });
    expect(h.nextEvent(false)).toBeNull();
    expect(h.blockedOnHost).toBe(false);
    expect(h.awaitingHost).toBe(true);
    expect(h.nextDue(true)).toBe(Infinity);
  });

  it('IRQ 14 in service: held at safepoints and past the nominal time; cannot wake a halted CPU', () => {
    const s = scheduler({ now: 5000, polls: 1, inService: true });
    expect(s.nextEvent(true)).toBeNull();
    expect(s.nextEvent(false)).toBeNull();
    expect(s.canWake()).toBe(false);
    // Halted inside the handler: only something else can end the idle.
    expect(s.nextDue(true)).toBe(Infinity);
    // Running: stop at the nominal time and then each instruction, to deliver right after the EOI.
    expect(s.nextDue(false)).toBe(1000);
  });

  it('IRQ 14 in service, the handler spinning on the status: delivered once past the nominal time', () => {
    expect(scheduler({ now: 999, polls: ATA_SPIN_POLLS, inService: true }).nextEvent(false)).toBeNull();
    expect(scheduler({ now: 1000, polls: ATA_SPIN_POLLS, inService: true }).nextEvent(false)).toEqual(disk);
    expect(scheduler({ now: 1000, polls: ATA_SPIN_POLLS - 1, inService: true }).nextEvent(false)).toBeNull();
  });
});

describe('disk model options', () => {
  it('times: nanoseconds or a unit, 0 to 10s', () => {
    expect(parseDiskLatency('20000')).toBe(20_000);
    expect(parseDiskLatency('20us')).toBe(20_000);
    expect(parseDiskLatency('5ms')).toBe(5_000_000);
    expect(parseDiskSectorTime('0')).toBe(0);
    expect(parseDiskSectorTime('10s')).toBe(10e9);
    for (const bad of ['', '-1', '1.5ms', '11s', '3 parsecs', 'ms']) {
      expect(() => parseDiskLatency(bad)).toThrow(OptionError);
    }
    expect(() => parseDiskSectorTime('x')).toThrow(/^--disk-sector-time: 'x' is not a time/);
  });

  it('--io-delivery: nominal or safepoint', () => {
    expect(parseIoDelivery('nominal')).toBe('nominal');
    expect(parseIoDelivery('safepoint')).toBe('safepoint');
    expect(() => parseIoDelivery('early')).toThrow("--io-delivery: 'early' is not one of: nominal, safepoint");
  });
});

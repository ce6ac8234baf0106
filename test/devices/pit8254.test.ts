import { beforeEach, describe, expect, it } from 'vitest';
import { PortBus } from '../../src/devices/port-bus.js';
import { Pit8254, pitTickTime, pitTicksAt } from '../../src/devices/pit8254.js';
import { ManualClock } from './helpers.js';

let bus: PortBus;
let clock: ManualClock;
let pit: Pit8254;
let irqs: number;
let reschedules: number;

beforeEach(() => {
  bus = new PortBus();
  clock = new ManualClock();
  irqs = 0;
  reschedules = 0;
  pit = new Pit8254(bus, clock, () => irqs++, () => reschedules++);
});

/** Move guest time to `ticks` PIT ticks after time 0. */
const at = (ticks: number): void => {
  clock.t = pitTickTime(ticks);
};
function program(ch: number, mode: number, count: number, access = 3): void {
  bus.out8(0x43, (ch << 6) | (access << 4) | (mode << 1));
  if (access & 1) bus.out8(0x40 + ch, count & 0xff);
  if (access & 2) bus.out8(0x40 + ch, count >> 8);
}
function latch(ch: number): number {
  bus.out8(0x43, ch << 6);
  return bus.in8(0x40 + ch) | (bus.in8(0x40 + ch) << 8);
}
function status(ch: number): number {
  bus.out8(0x43, 0xe0 | (2 << ch));
  return bus.in8(0x40 + ch);
}

describe('Pit8254', () => {
  it('tick/time conversion is consistent both ways', () => {
    for (const k of [0, 1, 2, 1193, 1193182, 987654321]) {
      expect(pitTicksAt(pitTickTime(k))).toBe(k);
      if (k > 0) expect(pitTicksAt(pitTickTime(k) - 1)).toBe(k - 1);
    }
  });

  it('a tick past 2^52 ns of guest time gives an answer instead of looping for good', () => {
    for (const k of [2 ** 52, 2 ** 53, 1e17]) {
      const ns = pitTickTime(k);
      expect(Number.isFinite(ns)).toBe(true);
      expect(Math.abs(ns - (k * 1e9) / 1193182) / ns).toBeLessThan(1e-9);
    }
  });

  it('mode 2: counts down from N and raises IRQ 0 every N ticks', () => {
    at(100);
    program(0, 2, 1000);
    expect(reschedules).toBeGreaterThan(0);
    expect(pit.nextDeadline()).toBe(pitTickTime(1100));
    at(350);
    expect(latch(0)).toBe(750);
    pit.onTimer(clock.t);
    expect(irqs).toBe(0);
    at(1100);
    pit.onTimer(clock.t);
    expect(irqs).toBe(1);
    expect(pit.nextDeadline()).toBe(pitTickTime(2100));
    pit.onTimer(clock.t);
    expect(irqs).toBe(1); // one edge, one interrupt
  });

  it('late timer events coalesce missed periods into one interrupt', () => {
    program(0, 2, 100);
    at(1050);
    pit.onTimer(clock.t);
    expect(irqs).toBe(1);
    expect(pit.nextDeadline()).toBe(pitTickTime(1100));
  });

  it('mode 0: OUT low until the count expires, one interrupt, then the counter wraps', () => {
    program(0, 0, 500);
    expect(status(0) & 0x80).toBe(0);
    expect(pit.nextDeadline()).toBe(pitTickTime(500));
    at(500);
    expect(status(0) & 0x80).toBe(0x80);
    pit.onTimer(clock.t);
    expect(irqs).toBe(1);
    expect(pit.nextDeadline()).toBe(Infinity);
    at(510);
    expect(latch(0)).toBe(0x10000 - 10);
  });

  it('mode 3: square wave, OUT high for the first half period', () => {
    program(0, 3, 1000);
    at(10);
    expect(status(0) & 0x80).toBe(0x80);
    at(600);
    expect(status(0) & 0x80).toBe(0);
    expect(pit.nextDeadline()).toBe(pitTickTime(1000));
    at(250);
    expect(latch(0)).toBe(500); // counts by two
  });

  it('read-back status: OUT, access, mode, BCD; null count until the count is written', () => {
    bus.out8(0x43, 0x34);
    expect(status(0) & 0x7f).toBe(0x74); // null count, lobyte/hibyte, mode 2
    bus.out8(0x40, 0x10);
    bus.out8(0x40, 0x00);
    expect(status(0) & 0x7f).toBe(0x34);
  });

  it('read-back can latch count and status together: status is read first', () => {
    program(0, 2, 0x1234);
    bus.out8(0x43, 0xc2);
    expect(bus.in8(0x40) & 0x3f).toBe(0x34);
    expect(bus.in8(0x40) | (bus.in8(0x40) << 8)).toBe(0x1234);
  });

  it('a latched count holds while time passes, until both bytes are read', () => {
    program(0, 2, 1000);
    at(100);
    bus.out8(0x43, 0x00);
    at(300);
    bus.out8(0x43, 0x00); // a second latch is ignored
    expect(bus.in8(0x40)).toBe(900 & 0xff);
    expect(bus.in8(0x40)).toBe(900 >> 8);
    expect(latch(0)).toBe(700);
  });

  it('lobyte-only access: one byte written is the whole count, one byte read', () => {
    program(0, 2, 200, 1);
    at(50);
    bus.out8(0x43, 0x00);
    expect(bus.in8(0x40)).toBe(150);
    expect(pit.nextDeadline()).toBe(pitTickTime(200));
  });

  it('BCD counting: 0x1000 is a period of 1000, counts read in BCD', () => {
    bus.out8(0x43, 0x35); // ch0, lo/hi, mode 2, BCD
    bus.out8(0x40, 0x00);
    bus.out8(0x40, 0x10);
    at(1);
    expect(latch(0)).toBe(0x0999);
    expect(pit.nextDeadline()).toBe(pitTickTime(1000));
  });

  it('channel 2 through port 0x61: gate starts mode 0, OUT shows on bit 5; gate low holds the count', () => {
    expect(bus.in8(0x61) & 0x01).toBe(0); // gate 2 low at power-on
    program(2, 0, 300);
    at(1000);
    expect(bus.in8(0x61) & 0x20).toBe(0); // gate low: not counting
    bus.out8(0x61, 1);
    at(1100);
    bus.out8(0x61, 0); // hold at 200
    at(5000);
    expect(latch(2)).toBe(200);
    expect(bus.in8(0x61) & 0x20).toBe(0);
    bus.out8(0x61, 1);
    at(5199);
    expect(bus.in8(0x61) & 0x20).toBe(0);
    at(5200);
    expect(bus.in8(0x61) & 0x21).toBe(0x21);
    expect(irqs).toBe(0); // channel 2 is not wired to IRQ 0
  });

  it('port 0x61 bit 4 toggles with the refresh clock', () => {
    const seen = new Set<number>();
    for (let t = 0; t < 100_000; t += 7_000) {
      clock.t = t;
      seen.add(bus.in8(0x61) & 0x10);
    }
    expect([...seen].sort()).toEqual([0, 0x10]);
  });

  it('counter reads are guest-visible clock reads; the control port reads as 0xFF', () => {
    program(0, 2, 100);
    const before = clock.reads;
    latch(0);
    expect(clock.reads).toBeGreaterThan(before);
    expect(bus.in8(0x43)).toBe(0xff);
  });

  it('at power-on every channel counts in mode 3 from 65536, as QEMU models it', () => {
    expect(status(0) & 0x0e).toBe(0x06);
    expect(pit.nextDeadline()).toBe(pitTickTime(0x10000));
    at(0x8000 + 1);
    expect(status(1) & 0x80).toBe(0);
  });

  it('save/load reproduces counts, deadlines and latches', () => {
    program(0, 2, 1000);
    at(300);
    bus.out8(0x43, 0x00);
    const s = pit.save();
    const other = new Pit8254(new PortBus(), clock, () => {}, () => {});
    other.load(structuredClone(s));
    expect(other.save()).toEqual(s);
    expect(other.nextDeadline()).toBe(pit.nextDeadline());
  });
});

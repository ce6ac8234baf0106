import { beforeEach, describe, expect, it } from 'vitest';
import { PortBus } from '../../src/devices/port-bus.js';
import { CmosRtc } from '../../src/devices/cmos-rtc.js';
import { civilFromDays, daysFromCivil, rtcWeekday } from '../../src/devices/calendar.js';
import { ManualClock } from './helpers.js';

let bus: PortBus;
let clock: ManualClock;
let rtc: CmosRtc;
const rd = (r: number): number => (bus.out8(0x70, r), bus.in8(0x71));
const wr = (r: number, v: number): void => (bus.out8(0x70, r), bus.out8(0x71, v));

// 2024-02-29 23:59:58.5 UTC, a Thursday (weekday 5).
const POWER_ON = Date.UTC(2024, 1, 29, 23, 59, 58, 500);

beforeEach(() => {
  bus = new PortBus();
  clock = new ManualClock();
  rtc = new CmosRtc(bus, clock, POWER_ON);
});

describe('calendar', () => {
  it('round-trips day numbers and knows 1970-01-01 was a Thursday', () => {
    expect(daysFromCivil(1970, 1, 1)).toBe(0);
    expect(rtcWeekday(0)).toBe(5);
    for (const d of [-1, 0, 59, 365, 10957, 11016, 19782, 2932896]) {
      const c = civilFromDays(d);
      expect(daysFromCivil(c.year, c.month, c.day)).toBe(d);
    }
    expect(civilFromDays(daysFromCivil(2000, 2, 29))).toEqual({ year: 2000, month: 2, day: 29 });
  });
});

describe('CmosRtc', () => {
  it('shows the power-on wall-clock time in BCD, 24-hour, with status A-D at their reset values', () => {
    expect([rd(9), rd(8), rd(7), rd(6), rd(4), rd(2), rd(0), rd(0x32)]).toEqual([0x24, 0x02, 0x29, 0x05, 0x23, 0x59, 0x58, 0x20]);
    expect(rd(0x0a)).toBe(0x26);
    expect(rd(0x0b)).toBe(0x02);
    expect(rd(0x0c)).toBe(0);
    expect(rd(0x0d)).toBe(0x80);
  });

  it('advances with guest time (not host time) across a leap day into March', () => {
    clock.t = 1.5e9; // 2024-03-01 00:00:00.0
    expect([rd(8), rd(7), rd(6), rd(4), rd(2), rd(0)]).toEqual([0x03, 0x01, 0x06, 0x00, 0x00, 0x00]);
  });

  it('UIP is set only in the last 244 us before a second ticks over', () => {
    clock.t = 0.5e9 - 245_000;
    expect(rd(0x0a) & 0x80).toBe(0);
    clock.t = 0.5e9 - 244_000;
    expect(rd(0x0a) & 0x80).toBe(0x80);
    clock.t = 0.5e9;
    expect(rd(0x0a) & 0x80).toBe(0);
  });

  it('binary mode (status B bit 2) and 12-hour mode (bit 1 clear, bit 7 of the hour for PM)', () => {
    wr(0x0b, 0x06);
    expect([rd(9), rd(4), rd(2), rd(0)]).toEqual([24, 23, 59, 58]);
    wr(0x0b, 0x00);
    expect(rd(4)).toBe(0x80 | 0x11);
    wr(0x0b, 0x04);
    expect(rd(4)).toBe(0x80 | 11);
  });

  it('time set under the SET bit holds while SET and then runs from the new value', () => {
    wr(0x0b, 0x82);
    wr(0, 0x30); wr(2, 0x15); wr(4, 0x10); wr(7, 0x04); wr(8, 0x07); wr(9, 0x76); wr(0x32, 0x19);
    clock.t = 5e9;
    expect(rd(0)).toBe(0x30); // frozen
    wr(0x0b, 0x02);
    clock.t = 7e9;
    expect([rd(0x32), rd(9), rd(8), rd(7), rd(4), rd(2), rd(0)]).toEqual([0x19, 0x76, 0x07, 0x04, 0x10, 0x15, 0x32]);
    expect(rd(6)).toBe(1); // 1976-07-04 was a Sunday
  });

  it('a single field written while running moves the clock', () => {
    wr(2, 0x10);
    expect(rd(2)).toBe(0x10);
    expect(rd(4)).toBe(0x23);
    clock.t = 60e9;
    expect(rd(2)).toBe(0x11);
  });

  it('CMOS RAM beyond the clock keeps what is written; memory size bytes are filled', () => {
    wr(0x40, 0xa5);
    expect(rd(0x40)).toBe(0xa5);
    rtc.setMemorySize(32 * 1024 * 1024);
    expect(rd(0x30) | (rd(0x31) << 8)).toBe(31 * 1024);
    expect(rd(0x34) | (rd(0x35) << 8)).toBe(256);
    expect(rd(0x15) | (rd(0x16) << 8)).toBe(640);
  });

  it('save/load reproduces RAM and the time base', () => {
    wr(0x0b, 0x06);
    const s = rtc.save();
    const other = new CmosRtc(new PortBus(), clock, 0);
    other.load(structuredClone(s));
    expect(other.save()).toEqual(s);
  });
});

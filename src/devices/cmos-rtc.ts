// MC146818-compatible CMOS RTC at 0x70 (index) / 0x71 (data): time and date
// in BCD or binary, 12/24-hour, status registers A-D, 128 bytes of CMOS RAM
// with the memory-size bytes a PC BIOS leaves. The time is
// (wall-clock at power-on, an input) + guest time, so it advances with the
// machine's clock and never reads the host's. No IRQ 8 (periodic, alarm and
// update interrupts are not modelled; status C reads 0).

import type { GuestClock } from '../machine/clock.js';
import type { PortBus } from './port-bus.js';
import { civilFromDays, daysFromCivil, rtcWeekday } from './calendar.js';

const SEC = 0, MIN = 2, HOUR = 4, WDAY = 6, MDAY = 7, MONTH = 8, YEAR = 9;
const REG_A = 10, REG_B = 11, REG_C = 12, REG_D = 13;
const CENTURY = 0x32;
const B_SET = 0x80, B_BINARY = 0x04, B_24H = 0x02;
/** UIP is set for the last 244 us before each update. */
const UIP_NS = 244_000;

export interface CmosRtcState {
  v: 1;
  ram: Uint8Array;
  index: number;
  baseSec: number;
  phaseNs: number;
}

export class CmosRtc {
  readonly ram = new Uint8Array(128);
  private index = 0;
  /** Epoch seconds shown at guest time 0 (minus the phase). */
  private baseSec = 0;
  /** Guest time offset so that seconds tick at the wall clock's second boundaries. */
  private phaseNs = 0;

  /** `wallClockMs` is the wall-clock time at power-on (ms since the Unix epoch), from the input source. */
  constructor(bus: PortBus, private readonly clock: GuestClock, wallClockMs: number) {
    this.baseSec = Math.floor(wallClockMs / 1000);
    this.phaseNs = (wallClockMs - this.baseSec * 1000) * 1e6;
    this.ram[REG_A] = 0x26; // 32.768 kHz time base, 1024 Hz periodic rate
    this.ram[REG_B] = B_24H;
    this.ram[REG_D] = 0x80; // valid RAM and time
    bus.claim('cmos-rtc', 0x70, 2, (p) => (p === 0x70 ? 0xff : this.readData()), (p, v) => {
      if (p === 0x70) this.index = v & 0x7f; // bit 7 masks NMI, which vmrr has no source of
      else this.writeData(v);
    });
  }

  /** The memory-size bytes a PC BIOS stores, as QEMU fills them. */
  setMemorySize(ramBytes: number): void {
    const base = 640;
    const ext = Math.min(0xffff, Math.max(0, ramBytes / 1024 - 1024));
    const above16 = Math.min(0xffff, Math.max(0, (ramBytes - 16 * 1024 * 1024) / 65536));
    this.ram[0x15] = base & 0xff; this.ram[0x16] = base >> 8;
    this.ram[0x17] = ext & 0xff; this.ram[0x18] = ext >> 8;
    this.ram[0x30] = ext & 0xff; this.ram[0x31] = ext >> 8;
    this.ram[0x34] = above16 & 0xff; this.ram[0x35] = above16 >> 8;
  }

  /**
   * The boot order a BIOS reads from CMOS 0x3D and 0x38 (QEMU's -boot order=,
   * 'cad' by default): letters a floppy, c disk, d CD-ROM, n network, first
   * three used; 0x38 bit 0 clear keeps the floppy boot-signature check.
   */
  setBootOrder(order = 'cad'): void {
    const code = (ch: string | undefined): number => ({ a: 1, c: 2, d: 3, n: 4 } as Record<string, number>)[ch ?? ''] ?? 0;
    this.ram[0x3d] = (code(order[1]) << 4) | code(order[0]);
    this.ram[0x38] = code(order[2]) << 4;
  }

  private seconds(now: number): number {
    return this.baseSec + Math.floor((now + this.phaseNs) / 1e9);
  }

  private readData(): number {
    const i = this.index;
    if (isTimeReg(i) && !(this.ram[REG_B] & B_SET)) this.snapshot(this.clock.now());
    switch (i) {
      case REG_A: {
        const frac = (this.clock.now() + this.phaseNs) % 1e9;
        return (this.ram[REG_A] & 0x7f) | (frac >= 1e9 - UIP_NS ? 0x80 : 0);
      }
      case REG_C:
        return 0;
      case REG_D:
        return 0x80;
      default:
        return this.ram[i];
    }
  }

  private writeData(v: number): void {
    const i = this.index;
    switch (i) {
      case REG_A:
        this.ram[REG_A] = v & 0x7f; // UIP is read-only
        return;
      case REG_B: {
        const wasSet = this.ram[REG_B] & B_SET;
        const now = this.clock.now();
        // Freeze the fields in the current format, then switch format by re-rendering.
        if (!wasSet) this.snapshot(now);
        const fields = this.decode();
        this.ram[REG_B] = v;
        this.encode(fields);
        if (wasSet && !(v & B_SET)) this.setFromRam(now);
        return;
      }
      case REG_C:
      case REG_D:
        return; // read-only
    }
    if (isTimeReg(i) && !(this.ram[REG_B] & B_SET)) {
      const now = this.clock.now();
      this.snapshot(now);
      this.ram[i] = v;
      this.setFromRam(now);
      return;
    }
    this.ram[i] = v;
  }

  /** Render the current time into the time registers, in the format status B selects. */
  private snapshot(now: number): void {
    const t = this.seconds(now);
    const days = Math.floor(t / 86400);
    const sod = t - days * 86400;
    const d = civilFromDays(days);
    this.encode({
      sec: sod % 60, min: Math.floor(sod / 60) % 60, hour: Math.floor(sod / 3600),
      wday: rtcWeekday(days), mday: d.day, month: d.month, year: d.year,
    });
  }

  private encode(f: Fields): void {
    const bin = (this.ram[REG_B] & B_BINARY) !== 0;
    const put = (v: number): number => (bin ? v : ((v / 10) | 0) * 16 + (v % 10));
    let hour = put(f.hour);
    if (!(this.ram[REG_B] & B_24H)) {
      const h12 = f.hour % 12 === 0 ? 12 : f.hour % 12;
      hour = put(h12) | (f.hour >= 12 ? 0x80 : 0);
    }
    this.ram[SEC] = put(f.sec);
    this.ram[MIN] = put(f.min);
    this.ram[HOUR] = hour;
    this.ram[WDAY] = put(f.wday);
    this.ram[MDAY] = put(f.mday);
    this.ram[MONTH] = put(f.month);
    this.ram[YEAR] = put(f.year % 100);
    this.ram[CENTURY] = put(Math.floor(f.year / 100));
  }

  private decode(): Fields {
    const bin = (this.ram[REG_B] & B_BINARY) !== 0;
    const get = (v: number): number => (bin ? v : (v >> 4) * 10 + (v & 15));
    let hour = get(this.ram[HOUR] & 0x7f);
    if (!(this.ram[REG_B] & B_24H)) hour = (hour % 12) + (this.ram[HOUR] & 0x80 ? 12 : 0);
    return {
      sec: get(this.ram[SEC]), min: get(this.ram[MIN]), hour, wday: get(this.ram[WDAY]),
      mday: get(this.ram[MDAY]), month: get(this.ram[MONTH]),
      year: get(this.ram[CENTURY]) * 100 + get(this.ram[YEAR]),
    };
  }

  /** The guest set the time: keep counting from the values in the registers. */
  private setFromRam(now: number): void {
    const f = this.decode();
    const t = daysFromCivil(f.year, f.month, f.mday) * 86400 + f.hour * 3600 + f.min * 60 + f.sec;
    this.baseSec = t - Math.floor((now + this.phaseNs) / 1e9);
  }

  save(): CmosRtcState {
    return { v: 1, ram: this.ram.slice(), index: this.index, baseSec: this.baseSec, phaseNs: this.phaseNs };
  }

  load(s: CmosRtcState): void {
    if (s.v !== 1) throw new Error(`RTC state: unknown version ${s.v}`);
    this.ram.set(s.ram);
    this.index = s.index;
    this.baseSec = s.baseSec;
    this.phaseNs = s.phaseNs;
  }
}

interface Fields {
  sec: number;
  min: number;
  hour: number;
  wday: number;
  mday: number;
  month: number;
  year: number;
}

function isTimeReg(i: number): boolean {
  return i === SEC || i === MIN || i === HOUR || i === WDAY || i === MDAY || i === MONTH || i === YEAR || i === CENTURY;
}

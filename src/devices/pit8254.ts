// Intel 8254 programmable interval timer at 0x40-0x43, and the timer bits of
// port 0x61 (channel 2 gate and output, the refresh toggle). Counters are a
// pure function of guest time: each channel remembers when it was loaded and
// works out its count and OUT level from clock.now() when asked. Channel 0's
// OUT rising edges are IRQ 0; the machine asks nextDeadline() and calls
// onTimer() between instructions, so no timer fires on its own.

import type { GuestClock } from '../machine/clock.js';
import type { PortBus } from './port-bus.js';

/** Input clock of the PC's 8254, in Hz. */
export const PIT_HZ = 1193182;
/** Port 0x61 bit 4 toggles every 15.085 us on a PC (DRAM refresh); delay loops poll it. */
const REFRESH_NS = 15085;

/** Whole PIT input ticks since power-on at guest time `ns`. */
export function pitTicksAt(ns: number): number {
  return Math.floor((ns * PIT_HZ) / 1e9);
}

/** The first guest time at which pitTicksAt() reaches `tick`. */
export function pitTickTime(tick: number): number {
  let ns = Math.ceil((tick * 1e9) / PIT_HZ);
  // Past 2^52 ns (52 days of guest time) ns++ may not move a double: give the estimate
  // rather than loop for good (a run once spun in here and ignored SIGTERM).
  if (!(ns < 2 ** 52)) return ns;
  while (pitTicksAt(ns) < tick) ns++;
  while (ns > 0 && pitTicksAt(ns - 1) >= tick) ns--;
  return ns;
}

export interface PitChannelState {
  mode: number;
  access: number;
  bcd: boolean;
  reload: number;
  armed: boolean;
  gate: boolean;
  baseD: number;
  loadTick: number;
  paused: boolean;
  heldCount: number;
  writeMsbNext: boolean;
  writeLow: number;
  readMsbNext: boolean;
  latch: number;
  latchBytes: number;
  status: number;
  nullCount: boolean;
  doneD: number;
}

export interface Pit8254State {
  v: 1;
  channels: PitChannelState[];
  speakerData: boolean;
}

class Channel implements PitChannelState {
  // Power-on state as QEMU models it: mode 3, count 65536, counting from time 0 (access 0 reads as LSB/MSB).
  mode = 3;
  /** 1 LSB, 2 MSB, 3 LSB then MSB (0 after power-on behaves as 3). */
  access = 0;
  bcd = false;
  /** The count register as written (0 means 65536, or 10000 in BCD). */
  reload = 0;
  /** A count has been written since the control word: the counter runs. */
  armed = true;
  gate = true;
  /** Elapsed ticks at loadTick (non-zero after a pause). */
  baseD = 0;
  loadTick = 0;
  /** Counting is held (gate low in modes 0/4, or not yet triggered in 1/5). */
  paused = false;
  /** Count shown while not armed. */
  heldCount = 0;
  writeMsbNext = false;
  writeLow = 0;
  readMsbNext = false;
  /** Latched count, or -1. */
  latch = -1;
  /** Bytes of the latched count still to read. */
  latchBytes = 0;
  /** Latched status byte, or -1. */
  status = -1;
  nullCount = false;
  /** Elapsed ticks up to which OUT edges have been delivered (channel 0). */
  doneD = 0;

  period(): number {
    if (this.bcd) {
      const r = this.reload;
      const dec = ((r >> 12) & 15) * 1000 + ((r >> 8) & 15) * 100 + ((r >> 4) & 15) * 10 + (r & 15);
      return dec === 0 ? 10000 : dec;
    }
    return this.reload === 0 ? 0x10000 : this.reload;
  }

  elapsed(tick: number): number {
    if (this.paused) return this.baseD;
    return this.baseD + Math.max(0, tick - this.loadTick);
  }

  countAt(tick: number): number {
    if (!this.armed) return this.heldCount;
    const n = this.period();
    const d = this.elapsed(tick);
    const wrap = this.bcd ? 10000 : 0x10000;
    let c: number;
    switch (this.mode) {
      case 2:
        c = n - (d % n);
        break;
      case 3: {
        const p = d % n;
        const high = (n + 1) >> 1;
        c = p < high ? n - 2 * p : n - 2 * (p - high);
        if (c <= 0) c += 2;
        break;
      }
      default:
        c = (((n - d) % wrap) + wrap) % wrap;
    }
    return c % wrap;
  }

  outAt(tick: number): boolean {
    if (!this.armed) return this.mode !== 0;
    const n = this.period();
    const d = this.elapsed(tick);
    switch (this.mode) {
      case 0:
        return d >= n;
      case 1:
        return this.paused || d >= n;
      case 2:
        return !this.gate || d % n !== n - 1;
      case 3:
        return !this.gate || d % n < (n + 1) >> 1;
      default: // 4, 5: a one-tick low strobe when the count reaches 0
        return this.paused || d !== n;
    }
  }

  /** Elapsed ticks of the first OUT rising edge after `after`, or Infinity. */
  nextEdge(after: number): number {
    if (!this.armed || this.paused || !this.gate) return Infinity;
    const n = this.period();
    switch (this.mode) {
      case 0:
      case 1:
        return after < n ? n : Infinity;
      case 2:
      case 3:
        return (Math.floor(after / n) + 1) * n;
      default:
        return after < n + 1 ? n + 1 : Infinity;
    }
  }

  readByte(tick: number): number {
    if (this.status >= 0) {
      const s = this.status;
      this.status = -1;
      return s;
    }
    let value: number;
    if (this.latch >= 0) {
      value = this.latch;
    } else {
      value = this.countAt(tick);
      if (this.bcd) value = toBcd(value);
    }
    let byte: number;
    if (this.access === 1) byte = value & 0xff;
    else if (this.access === 2) byte = value >> 8;
    else {
      byte = this.readMsbNext ? value >> 8 : value & 0xff;
      this.readMsbNext = !this.readMsbNext;
    }
    if (this.latch >= 0 && --this.latchBytes <= 0) this.latch = -1;
    return byte & 0xff;
  }

  latchCount(tick: number): void {
    if (this.latch >= 0) return; // a second latch before the first is read is ignored
    const c = this.countAt(tick);
    this.latch = this.bcd ? toBcd(c) : c;
    this.latchBytes = this.access === 1 || this.access === 2 ? 1 : 2;
  }

  latchStatus(tick: number): void {
    if (this.status >= 0) return;
    this.status = (this.outAt(tick) ? 0x80 : 0) | (this.nullCount ? 0x40 : 0) | (this.access << 4) | (this.mode << 1) | (this.bcd ? 1 : 0);
  }

  control(v: number, tick: number): void {
    this.heldCount = this.countAt(tick);
    this.access = (v >> 4) & 3;
    let mode = (v >> 1) & 7;
    if (mode > 5) mode -= 4; // 6 and 7 are aliases of 2 and 3
    this.mode = mode;
    this.bcd = (v & 1) !== 0;
    this.armed = false;
    this.nullCount = true;
    this.writeMsbNext = false;
    this.readMsbNext = false;
    this.latch = -1;
    this.status = -1;
  }

  writeByte(v: number, tick: number): void {
    if (this.access === 1) this.reload = v;
    else if (this.access === 2) this.reload = v << 8;
    else if (!this.writeMsbNext) {
      this.writeLow = v;
      this.writeMsbNext = true;
      // Mode 0 stops counting when the first byte of a new count is written.
      if (this.mode === 0 && this.armed) {
        this.heldCount = this.countAt(tick);
        this.armed = false;
      }
      return;
    } else {
      this.reload = this.writeLow | (v << 8);
      this.writeMsbNext = false;
    }
    this.load(tick);
  }

  private load(tick: number): void {
    this.armed = true;
    this.baseD = 0;
    this.loadTick = tick;
    this.doneD = 0;
    this.nullCount = false;
    // Modes 1 and 5 wait for a gate trigger; 2 and 3 wait for the gate to be high.
    this.paused = this.mode === 1 || this.mode === 5 ? true : !this.gate && this.mode !== 2 && this.mode !== 3;
  }

  setGate(level: boolean, tick: number): void {
    if (level === this.gate) return;
    const d = this.elapsed(tick);
    this.gate = level;
    if (!this.armed) return;
    switch (this.mode) {
      case 0:
      case 4:
        // The gate holds and releases the count.
        if (!level) { this.baseD = d; this.paused = true; }
        else { this.baseD = d; this.loadTick = tick; this.paused = false; }
        break;
      case 1:
      case 5:
      case 2:
      case 3:
        // A rising gate (re)triggers or reloads; a falling one stops modes 2 and 3.
        if (level) { this.baseD = 0; this.loadTick = tick; this.paused = false; this.doneD = 0; }
        break;
    }
  }

  save(): PitChannelState {
    const { mode, access, bcd, reload, armed, gate, baseD, loadTick, paused, heldCount, writeMsbNext, writeLow,
      readMsbNext, latch, latchBytes, status, nullCount, doneD } = this;
    return { mode, access, bcd, reload, armed, gate, baseD, loadTick, paused, heldCount, writeMsbNext, writeLow,
      readMsbNext, latch, latchBytes, status, nullCount, doneD };
  }
}

function toBcd(v: number): number {
  return (((v / 1000) | 0) % 10 << 12) | (((v / 100) | 0) % 10 << 8) | (((v / 10) | 0) % 10 << 4) | v % 10;
}

export class Pit8254 {
  private readonly ch = [new Channel(), new Channel(), new Channel()];
  private speakerData = false;

  /**
   * `irq0` pulses IRQ 0; `reschedule` tells the machine channel 0's deadline
   * may have moved (it ends the CPU slice so the new deadline is honoured).
   */
  constructor(
    bus: PortBus,
    private readonly clock: GuestClock,
    private readonly irq0: () => void,
    private readonly reschedule: () => void,
  ) {
    this.ch[2].gate = false; // port 0x61 bit 0 is clear at power-on
    bus.claim('pit', 0x40, 4, (p) => this.read(p), (p, v) => this.write(p, v));
    bus.claim('port-61', 0x61, 1, () => this.readPort61(), (_p, v) => this.writePort61(v));
  }

  private tick(): number {
    return pitTicksAt(this.clock.now());
  }

  private read(port: number): number {
    const i = port - 0x40;
    if (i === 3) return 0xff; // the control register is write-only
    return this.ch[i].readByte(this.tick());
  }

  private write(port: number, v: number): void {
    const i = port - 0x40;
    if (i < 3) {
      this.ch[i].writeByte(v, this.tick());
      if (i === 0) this.reschedule();
      return;
    }
    const sc = v >> 6;
    if (sc === 3) {
      // Read-back: bit 5 clear latches counts, bit 4 clear latches status, bits 1-3 pick counters.
      const tick = this.tick();
      for (let c = 0; c < 3; c++) {
        if (!(v & (2 << c))) continue;
        if (!(v & 0x10)) this.ch[c].latchStatus(tick);
        if (!(v & 0x20)) this.ch[c].latchCount(tick);
      }
      return;
    }
    if (((v >> 4) & 3) === 0) {
      this.ch[sc].latchCount(this.tick());
      return;
    }
    this.ch[sc].control(v, this.tick());
    if (sc === 0) this.reschedule();
  }

  private readPort61(): number {
    const now = this.clock.now();
    const c2 = this.ch[2];
    return (c2.outAt(pitTicksAt(now)) ? 0x20 : 0) | (Math.floor(now / REFRESH_NS) & 1 ? 0x10 : 0) |
      (this.speakerData ? 2 : 0) | (c2.gate ? 1 : 0);
  }

  private writePort61(v: number): void {
    this.speakerData = (v & 2) !== 0;
    this.ch[2].setGate((v & 1) !== 0, this.tick());
  }

  /** Guest time of channel 0's next OUT rising edge (IRQ 0), or Infinity. */
  nextDeadline(): number {
    const c = this.ch[0];
    const edge = c.nextEdge(c.doneD);
    if (edge === Infinity) return Infinity;
    return pitTickTime(c.loadTick + edge - c.baseD);
  }

  /** Timer event at guest time `t`: raise IRQ 0 if channel 0 had a rising edge since the last one (missed edges coalesce). */
  onTimer(t: number): void {
    const c = this.ch[0];
    const d = c.elapsed(pitTicksAt(t));
    if (c.nextEdge(c.doneD) <= d) {
      c.doneD = d;
      this.irq0();
    }
  }

  /** Program channel 0 as a BIOS leaves it: mode `mode`, count `count` (0 = 65536), loaded now. */
  biosInit(mode: number, count: number): void {
    this.write(0x43, 0x30 | (mode << 1));
    this.write(0x40, count & 0xff);
    this.write(0x40, count >> 8);
  }

  save(): Pit8254State {
    return { v: 1, channels: this.ch.map((c) => c.save()), speakerData: this.speakerData };
  }

  load(s: Pit8254State): void {
    if (s.v !== 1) throw new Error(`8254 state: unknown version ${s.v}`);
    s.channels.forEach((cs, i) => Object.assign(this.ch[i], cs));
    this.speakerData = s.speakerData;
    this.reschedule();
  }
}

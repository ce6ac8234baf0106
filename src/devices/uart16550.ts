// National 16550A UART (COM1 at 0x3F8, IRQ 4): THR/RBR, IER, IIR, FCR with
// 16-byte FIFOs, LCR/DLAB, MCR with loopback, LSR, MSR, SCR.
// Transmit is instantaneous: a byte written to THR goes straight to the sink
// and THR is empty again (timing-independent, as QEMU's output looks to a
// guest that waits for THRE). Receive is driven by the machine: it checks
// canReceive() and rxReadyAt() and calls receive(byte) between instructions.
// Like QEMU, the IRQ is not gated by MCR OUT2.

import type { GuestClock } from '../machine/clock.js';
import type { PortBus } from './port-bus.js';

const FIFO_SIZE = 16;
const UART_CLOCK_HZ = 1843200;

const IER_RDI = 1, IER_THRI = 2, IER_RLSI = 4, IER_MSI = 8;
const LSR_DR = 1, LSR_OE = 2, LSR_THRE = 0x20, LSR_TEMT = 0x40;
const MCR_LOOP = 0x10;
const IIR_NONE = 1, IIR_MSI = 0, IIR_THRI = 2, IIR_RDI = 4, IIR_RLSI = 6, IIR_TIMEOUT = 0x0c;
const TRIGGER = [1, 4, 8, 14];

export interface Uart16550State {
  v: 1;
  rx: Uint8Array;
  rxHead: number;
  rxCount: number;
  ier: number;
  lcr: number;
  mcr: number;
  lsr: number;
  msr: number;
  scr: number;
  fcr: number;
  divisor: number;
  thrPending: boolean;
  timeoutPending: boolean;
  lastRxNs: number;
  irqLevel: boolean;
}

export class Uart16550 {
  private readonly rx = new Uint8Array(FIFO_SIZE);
  private rxHead = 0;
  private rxCount = 0;
  private ier = 0;
  private lcr = 0;
  private mcr = 0;
  private lsr = LSR_THRE | LSR_TEMT;
  /** Modem status: bits 4-7 the lines, bits 0-3 their deltas. DCD/DSR/CTS asserted, as QEMU's stdio backend. */
  private msr = 0xb0;
  private scr = 0;
  private fcr = 0;
  private divisor = 12;
  /** The THR-empty interrupt is armed (cleared by reading IIR while it is the source, or by writing THR). */
  private thrPending = false;
  /** The FIFO character-timeout interrupt is asserted. */
  private timeoutPending = false;
  /** Guest time the last byte entered the receiver (for pacing and the FIFO timeout). */
  private lastRxNs = -Infinity;
  private irqLevel = false;

  /** `setIrq` drives IRQ 4; `reschedule` says the receive or timeout deadline moved. */
  constructor(
    bus: PortBus,
    readonly base: number,
    private readonly clock: GuestClock,
    private readonly sink: (byte: number) => void,
    private readonly setIrq: (level: boolean) => void,
    private readonly reschedule: () => void = () => {},
  ) {
    bus.claim(`uart@0x${base.toString(16)}`, base, 8, (p) => this.read(p - base), (p, v) => this.write(p - base, v));
  }

  private get fifoOn(): boolean {
    return (this.fcr & 1) !== 0;
  }

  /** Guest nanoseconds one 10-bit character takes on the line at the programmed divisor. */
  charNs(): number {
    const div = this.divisor || 0x10000;
    return (10 * 16 * div * 1e9) / UART_CLOCK_HZ;
  }

  /** The receiver has room for a byte from outside (not in loopback: the line is disconnected). */
  canReceive(): boolean {
    if (this.mcr & MCR_LOOP) return false;
    return this.fifoOn ? this.rxCount < FIFO_SIZE : this.rxCount === 0;
  }

  /** Earliest guest time the next byte can arrive: one character time after the last. */
  rxReadyAt(): number {
    return this.lastRxNs + this.charNs();
  }

  /** The guest would be interrupted by received data (IER and ... the PIC is the machine's business). */
  rxInterruptEnabled(): boolean {
    return (this.ier & IER_RDI) !== 0;
  }

  /** A byte arrives on the line (from the machine's event loop). */
  receive(byte: number): void {
    this.push(byte);
  }

  /** Guest time of the FIFO character timeout (4 character times after the last byte in or out), or Infinity. */
  nextDeadline(): number {
    if (!this.fifoOn || this.rxCount === 0 || this.timeoutPending || !(this.ier & IER_RDI)) return Infinity;
    if (this.rxCount >= TRIGGER[this.fcr >> 6]) return Infinity;
    return this.lastRxNs + 4 * this.charNs();
  }

  /** Timer event at guest time `t`. */
  onTimer(t: number): void {
    if (this.nextDeadline() <= t) {
      this.timeoutPending = true;
      this.update();
    }
  }

  private push(byte: number): void {
    this.lastRxNs = this.clock.now();
    const cap = this.fifoOn ? FIFO_SIZE : 1;
    if (this.rxCount >= cap) {
      this.lsr |= LSR_OE; // overrun: the new byte is lost
    } else {
      this.rx[(this.rxHead + this.rxCount) % FIFO_SIZE] = byte;
      this.rxCount++;
    }
    this.lsr |= LSR_DR;
    this.timeoutPending = false;
    this.update();
    this.reschedule();
  }

  private read(r: number): number {
    const dlab = (this.lcr & 0x80) !== 0;
    switch (r) {
      case 0: {
        if (dlab) return this.divisor & 0xff;
        if (this.rxCount === 0) return 0;
        const b = this.rx[this.rxHead];
        this.rxHead = (this.rxHead + 1) % FIFO_SIZE;
        this.rxCount--;
        if (this.rxCount === 0) this.lsr &= ~LSR_DR;
        this.timeoutPending = false;
        // A read restarts the timeout clock, as on the chip.
        if (this.rxCount > 0) this.lastRxNs = this.clock.now();
        this.update();
        this.reschedule();
        return b;
      }
      case 1:
        return dlab ? this.divisor >> 8 : this.ier;
      case 2: {
        const iir = this.iir();
        if ((iir & 0x0f) === IIR_THRI) this.thrPending = false;
        this.update();
        return iir | (this.fifoOn ? 0xc0 : 0);
      }
      case 3:
        return this.lcr;
      case 4:
        return this.mcr;
      case 5: {
        const v = this.lsr | (this.rxCount > 0 ? LSR_DR : 0);
        this.lsr &= ~LSR_OE; // error bits clear on read
        this.update();
        return v;
      }
      case 6: {
        const v = this.msr;
        this.msr &= 0xf0;
        this.update();
        return v;
      }
      default:
        return this.scr;
    }
  }

  private write(r: number, v: number): void {
    const dlab = (this.lcr & 0x80) !== 0;
    switch (r) {
      case 0:
        if (dlab) {
          this.divisor = (this.divisor & 0xff00) | v;
          return;
        }
        if (this.mcr & MCR_LOOP) this.push(v);
        else this.sink(v);
        // Transmitted at once: THR is empty again and interrupts if enabled.
        this.thrPending = true;
        this.update();
        return;
      case 1:
        if (dlab) {
          this.divisor = (this.divisor & 0xff) | (v << 8);
          return;
        }
        // Enabling the THR interrupt while THR is empty interrupts at once.
        if ((v & IER_THRI) && !(this.ier & IER_THRI)) this.thrPending = true;
        this.ier = v & 0x0f;
        this.update();
        this.reschedule();
        return;
      case 2: {
        const enabling = (v & 1) !== (this.fcr & 1);
        if ((v & 2) || enabling) {
          this.rxHead = 0;
          this.rxCount = 0;
          this.lsr &= ~LSR_DR;
          this.timeoutPending = false;
        }
        this.fcr = v & 0xc1;
        this.update();
        this.reschedule();
        return;
      }
      case 3:
        this.lcr = v;
        return;
      case 4: {
        this.mcr = v & 0x1f;
        this.updateModemStatus();
        this.update();
        this.reschedule();
        return;
      }
      case 5:
        return; // LSR is read-only on the 16550A (writes are a factory test feature)
      case 6:
        return;
      default:
        this.scr = v;
    }
  }

  /** MSR lines: in loopback they follow MCR (RTS->CTS, DTR->DSR, OUT1->RI, OUT2->DCD). */
  private updateModemStatus(): void {
    let lines: number;
    if (this.mcr & MCR_LOOP) {
      const m = this.mcr;
      lines = ((m & 2) ? 0x10 : 0) | ((m & 1) ? 0x20 : 0) | ((m & 4) ? 0x40 : 0) | ((m & 8) ? 0x80 : 0);
    } else {
      lines = 0xb0;
    }
    const old = this.msr & 0xf0;
    let delta = this.msr & 0x0f;
    const changed = old ^ lines;
    if (changed & 0x10) delta |= 1;
    if (changed & 0x20) delta |= 2;
    if ((old & 0x40) && !(lines & 0x40)) delta |= 4; // trailing edge of RI
    if (changed & 0x80) delta |= 8;
    this.msr = lines | delta;
  }

  /** The interrupt identification, highest priority first. */
  private iir(): number {
    if ((this.ier & IER_RLSI) && (this.lsr & LSR_OE)) return IIR_RLSI;
    if (this.ier & IER_RDI) {
      if (this.timeoutPending && this.rxCount > 0) return IIR_TIMEOUT;
      const level = this.fifoOn ? TRIGGER[this.fcr >> 6] : 1;
      if (this.rxCount >= level) return IIR_RDI;
    }
    if ((this.ier & IER_THRI) && this.thrPending) return IIR_THRI;
    if ((this.ier & IER_MSI) && (this.msr & 0x0f)) return IIR_MSI;
    return IIR_NONE;
  }

  private update(): void {
    const level = this.iir() !== IIR_NONE;
    if (level !== this.irqLevel) {
      this.irqLevel = level;
      this.setIrq(level);
    }
  }

  save(): Uart16550State {
    return {
      v: 1, rx: this.rx.slice(), rxHead: this.rxHead, rxCount: this.rxCount, ier: this.ier, lcr: this.lcr,
      mcr: this.mcr, lsr: this.lsr, msr: this.msr, scr: this.scr, fcr: this.fcr, divisor: this.divisor,
      thrPending: this.thrPending, timeoutPending: this.timeoutPending, lastRxNs: this.lastRxNs, irqLevel: this.irqLevel,
    };
  }

  load(s: Uart16550State): void {
    if (s.v !== 1) throw new Error(`16550 state: unknown version ${s.v}`);
    this.rx.set(s.rx);
    this.rxHead = s.rxHead; this.rxCount = s.rxCount; this.ier = s.ier; this.lcr = s.lcr; this.mcr = s.mcr;
    this.lsr = s.lsr; this.msr = s.msr; this.scr = s.scr; this.fcr = s.fcr; this.divisor = s.divisor;
    this.thrPending = s.thrPending; this.timeoutPending = s.timeoutPending; this.lastRxNs = s.lastRxNs;
    this.irqLevel = s.irqLevel;
    this.setIrq(this.irqLevel);
  }
}

// The PC's two 8259As: master at 0x20/0x21, slave at 0xA0/0xA1 cascaded on
// master IR2. The pair is the CPU's INTR line (InterruptLine).

import type { InterruptLine } from '../cpu/cpu.js';
import type { PortBus } from './port-bus.js';
import { Pic8259, type Pic8259State } from './pic8259.js';

const CASCADE_IR = 2;

export interface PicPairState {
  v: 1;
  master: Pic8259State;
  slave: Pic8259State;
}

export class PicPair implements InterruptLine {
  readonly master = new Pic8259();
  readonly slave = new Pic8259();
  /** Cached INT output of the master, recomputed on every change (the CPU asks often). */
  private out = false;

  /** `wake` is called when the INT output rises, so the CPU looks at it. */
  constructor(bus: PortBus, private readonly wake: () => void) {
    this.master.onChange = () => this.update();
    this.slave.onChange = () => this.update();
    bus.claim('pic-master', 0x20, 2, (p) => (p & 1 ? this.master.readData() : this.master.readCommand()),
      (p, v) => (p & 1 ? this.master.writeData(v) : this.master.writeCommand(v)));
    bus.claim('pic-slave', 0xa0, 2, (p) => (p & 1 ? this.slave.readData() : this.slave.readCommand()),
      (p, v) => (p & 1 ? this.slave.writeData(v) : this.slave.writeCommand(v)));
  }

  /** Raise (level true) or lower an IRQ line 0-15. */
  setIrq(irq: number, level: boolean): void {
    if (irq < 8) this.master.setLine(irq, level);
    else this.slave.setLine(irq - 8, level);
  }

  /** An edge: raise then lower, for devices that pulse their line. */
  pulseIrq(irq: number): void {
    this.setIrq(irq, true);
    this.setIrq(irq, false);
  }

  /** IRQ `irq` cannot reach the CPU because a mask (its own or the cascade's) blocks it. */
  isMasked(irq: number): boolean {
    if (irq < 8) return (this.master.imr & (1 << irq)) !== 0;
    return (this.slave.imr & (1 << (irq - 8))) !== 0 || (this.master.imr & (1 << CASCADE_IR)) !== 0;
  }

  /** IRQ `irq` is in service (acknowledged, no EOI yet) at its own chip; read-only, for the scheduler. */
  inService(irq: number): boolean {
    if (irq < 8) return (this.master.isr & (1 << irq)) !== 0;
    return (this.slave.isr & (1 << (irq - 8))) !== 0;
  }

  pending(): boolean {
    return this.out;
  }

  acknowledge(): number {
    const n = this.master.requested(CASCADE_IR);
    // No request left at INTA: the 8259 answers with IR7 of the chip (a spurious interrupt), not in service.
    if (n < 0) return this.master.base | 7;
    this.master.acknowledge(n);
    if (n !== CASCADE_IR) return this.master.base | n;
    const s = this.slave.requested();
    if (s < 0) return this.slave.base | 7;
    this.slave.acknowledge(s);
    return this.slave.base | s;
  }

  private update(): void {
    // The slave's INT output drives master IR2 as a level (so back-to-back slave requests are never lost).
    const bit = 1 << CASCADE_IR;
    if (this.slave.requested() >= 0) {
      this.master.lines |= bit;
      this.master.irr |= bit;
    } else {
      this.master.lines &= ~bit;
      this.master.irr &= ~bit;
    }
    const out = this.master.requested(CASCADE_IR) >= 0;
    const rose = out && !this.out;
    this.out = out;
    if (rose) this.wake();
  }

  save(): PicPairState {
    return { v: 1, master: this.master.save(), slave: this.slave.save() };
  }

  load(s: PicPairState): void {
    if (s.v !== 1) throw new Error(`PIC pair state: unknown version ${s.v}`);
    this.slave.load(s.slave);
    this.master.load(s.master);
    this.update();
  }
}

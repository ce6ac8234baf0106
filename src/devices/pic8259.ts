// One Intel 8259A programmable interrupt controller: ICW1-4, OCW1-3, edge
// triggering, fully nested priority with rotation, auto-EOI, special mask,
// poll mode, IRR/ISR reads. Two of them make the PC's pair (pic-pair.ts).

export interface Pic8259State {
  v: 1;
  irr: number;
  isr: number;
  imr: number;
  lines: number;
  base: number;
  initStep: number;
  needIcw4: boolean;
  single: boolean;
  levelMode: boolean;
  autoEoi: boolean;
  rotateOnAutoEoi: boolean;
  specialMask: boolean;
  readIsr: boolean;
  poll: boolean;
  lowestPriority: number;
  sfnm: boolean;
}

export class Pic8259 {
  /** Interrupt request register: inputs latched and waiting. */
  irr = 0;
  /** In-service register. */
  isr = 0;
  /** Interrupt mask register (OCW1). */
  imr = 0;
  /** Current level of each input line (for edge detection). */
  lines = 0;
  /** Vector of IR0 (ICW2, low 3 bits clear). */
  base = 0;
  /** 0: operating; 2, 3, 4: the next byte at the data port is ICW2, ICW3, ICW4. */
  initStep = 0;
  needIcw4 = false;
  single = false;
  levelMode = false;
  autoEoi = false;
  rotateOnAutoEoi = false;
  specialMask = false;
  readIsr = false;
  poll = false;
  /** IR number with the lowest priority (7 after init; rotation moves it). */
  lowestPriority = 7;
  /** Special fully nested mode (ICW4 bit 4). */
  sfnm = false;

  /** Called after any change that may alter the INT output. */
  onChange: () => void = () => {};

  /** Drive input line `n` to `level`; a rising edge (or a high level in level mode) requests. */
  setLine(n: number, level: boolean): void {
    const bit = 1 << n;
    if (level) {
      if (this.levelMode || !(this.lines & bit)) this.irr |= bit;
      this.lines |= bit;
    } else {
      this.lines &= ~bit;
      if (this.levelMode) this.irr &= ~bit;
    }
    this.onChange();
  }

  /** Priority rank of IR n: 0 is highest. */
  private rank(n: number): number {
    return (n - this.lowestPriority - 1) & 7;
  }

  /** The highest-priority IR set in `mask`, or -1. */
  private highest(mask: number): number {
    if (mask === 0) return -1;
    for (let r = 0; r < 8; r++) {
      const n = (this.lowestPriority + 1 + r) & 7;
      if (mask & (1 << n)) return n;
    }
    return -1;
  }

  /** The IR that would be acknowledged now, or -1. `cascadeIr` is an input that a slave drives. */
  requested(cascadeIr = -1): number {
    const req = this.irr & ~this.imr;
    const n = this.highest(req);
    if (n < 0) return -1;
    // In special mask mode, masked in-service levels do not block lower ones.
    let blocking = this.specialMask ? this.isr & ~this.imr : this.isr;
    // Special fully nested: the cascade input may interrupt its own in-service level.
    if (this.sfnm && n === cascadeIr) blocking &= ~(1 << n);
    const inService = this.highest(blocking);
    if (inService >= 0 && this.rank(inService) <= this.rank(n)) return -1;
    return n;
  }

  /** INTA for IR n: in service unless auto-EOI; edge requests are consumed. */
  acknowledge(n: number): void {
    const bit = 1 << n;
    if (!this.levelMode) this.irr &= ~bit;
    if (this.autoEoi) {
      if (this.rotateOnAutoEoi) this.lowestPriority = n;
    } else {
      this.isr |= bit;
    }
    this.onChange();
  }

  /** Port A (0x20/0xA0) read: IRR or ISR per OCW3, or the poll word. */
  readCommand(): number {
    if (this.poll) {
      this.poll = false;
      const n = this.requested();
      if (n < 0) return 0;
      this.acknowledge(n);
      return 0x80 | n;
    }
    return this.readIsr ? this.isr : this.irr;
  }

  /** Port B (0x21/0xA1) read: the mask. */
  readData(): number {
    if (this.poll) return this.readCommand();
    return this.imr;
  }

  writeCommand(v: number): void {
    if (v & 0x10) return this.icw1(v);
    if (v & 0x08) return this.ocw3(v);
    this.ocw2(v);
  }

  writeData(v: number): void {
    switch (this.initStep) {
      case 2:
        this.base = v & 0xf8;
        this.initStep = this.single ? (this.needIcw4 ? 4 : 0) : 3;
        return;
      case 3:
        // ICW3: the cascade wiring is fixed on a PC (slave on IR2); the value is not needed.
        this.initStep = this.needIcw4 ? 4 : 0;
        return;
      case 4:
        this.autoEoi = (v & 2) !== 0;
        this.sfnm = (v & 0x10) !== 0;
        this.initStep = 0;
        return;
    }
    this.imr = v;
    this.onChange();
  }

  private icw1(v: number): void {
    // Initialization clears the mask, in-service and pending state and the edge memory.
    this.irr = 0;
    this.isr = 0;
    this.imr = 0;
    this.lines = 0;
    this.lowestPriority = 7;
    this.specialMask = false;
    this.readIsr = false;
    this.poll = false;
    this.autoEoi = false;
    this.rotateOnAutoEoi = false;
    this.sfnm = false;
    this.needIcw4 = (v & 1) !== 0;
    this.single = (v & 2) !== 0;
    this.levelMode = (v & 8) !== 0;
    this.initStep = 2;
    this.onChange();
  }

  private ocw2(v: number): void {
    const level = v & 7;
    switch (v >> 5) {
      case 1: // non-specific EOI
      case 5: { // rotate on non-specific EOI
        const n = this.highest(this.isr);
        if (n >= 0) {
          this.isr &= ~(1 << n);
          if (v >> 5 === 5) this.lowestPriority = n;
        }
        break;
      }
      case 3: // specific EOI
        this.isr &= ~(1 << level);
        break;
      case 7: // rotate on specific EOI
        this.isr &= ~(1 << level);
        this.lowestPriority = level;
        break;
      case 6: // set priority
        this.lowestPriority = level;
        break;
      case 4:
        this.rotateOnAutoEoi = true;
        break;
      case 0:
        this.rotateOnAutoEoi = false;
        break;
    }
    this.onChange();
  }

  private ocw3(v: number): void {
    if (v & 2) this.readIsr = (v & 1) !== 0;
    if (v & 4) this.poll = true;
    if (v & 0x40) this.specialMask = (v & 0x20) !== 0;
    this.onChange();
  }

  save(): Pic8259State {
    return {
      v: 1, irr: this.irr, isr: this.isr, imr: this.imr, lines: this.lines, base: this.base,
      initStep: this.initStep, needIcw4: this.needIcw4, single: this.single, levelMode: this.levelMode,
      autoEoi: this.autoEoi, rotateOnAutoEoi: this.rotateOnAutoEoi, specialMask: this.specialMask,
      readIsr: this.readIsr, poll: this.poll, lowestPriority: this.lowestPriority, sfnm: this.sfnm,
    };
  }

  load(s: Pic8259State): void {
    if (s.v !== 1) throw new Error(`8259 state: unknown version ${s.v}`);
    this.irr = s.irr; this.isr = s.isr; this.imr = s.imr; this.lines = s.lines; this.base = s.base;
    this.initStep = s.initStep; this.needIcw4 = s.needIcw4; this.single = s.single; this.levelMode = s.levelMode;
    this.autoEoi = s.autoEoi; this.rotateOnAutoEoi = s.rotateOnAutoEoi; this.specialMask = s.specialMask;
    this.readIsr = s.readIsr; this.poll = s.poll; this.lowestPriority = s.lowestPriority; this.sfnm = s.sfnm;
    this.onChange();
  }
}

// The 8042 keyboard controller at 0x60/0x64, as QEMU's pc machine has it,
// with a PS/2 keyboard that answers its commands and types the keys of the
// key input (key events, src/machine/key-input.ts) once the guest has
// enabled it (0xF4), and no mouse: controller self-test (0xAA -> 0x55),
// the command byte (0x20/0x60), interface tests (0xAB, 0xA9), keyboard and
// aux enable/disable, the output port (0xD0/0xD1: bit 1 A20, bit 0 low =
// reset), writes into the output buffers (0xD2/0xD3), A20 (0xDD/0xDF) and
// the pulse commands (0xFE resets). IRQ 1 / IRQ 12 follow the output buffer
// while the command byte enables them.

import type { PortBus } from './port-bus.js';
import { set2Of } from './ps2-scancodes.js';

const ST_OBF = 0x01;
const ST_SYS = 0x04;
const ST_CMD = 0x08;
const ST_UNLOCKED = 0x10;
const ST_AUX_OBF = 0x20;
const MODE_KBD_INT = 0x01;
const MODE_AUX_INT = 0x02;
const MODE_KBD_OFF = 0x10;
const MODE_AUX_OFF = 0x20;
/** Command byte bit 6: translate the keyboard's set-2 codes to set 1. */
const MODE_XLATE = 0x40;
/** Keyboard replies. */
const ACK = 0xfa;
const RESEND = 0xfe;
const BAT_OK = 0xaa;

export interface I8042State {
  v: 1;
  status: number;
  mode: number;
  outPort: number;
  /** The command that waits for its data byte at 0x60 (0 none), and the keyboard's (0 none). */
  pending: number;
  kbdPending: number;
  /** Output queue: bytes, with 0x100 set on those from the aux port. */
  queue: number[];
  scanSet: number;
  /** The keyboard scans (sends keys): set by 0xF4, cleared by 0xF5 and reset; absent before key input existed (false). */
  scanning?: boolean;
}

export class I8042 {
  private status = ST_CMD | ST_UNLOCKED;
  private mode = MODE_KBD_INT | MODE_AUX_INT;
  /** Output port: bit 0 not-reset, bit 1 A20. */
  private outPort = 0x03;
  private pending = 0;
  private kbdPending = 0;
  private queue: number[] = [];
  private scanSet = 2;
  private scanning = false;

  constructor(
    bus: PortBus,
    private readonly irq: (line: number, level: boolean) => void,
    private readonly onReset: () => void,
  ) {
    bus.claim('i8042-data', 0x60, 1, () => this.readData(), (_p, v) => this.writeData(v));
    bus.claim('i8042-cmd', 0x64, 1, () => this.readStatus(), (_p, v) => this.command(v));
  }

  /** A key can be typed now: the output buffer is empty, the keyboard interface enabled and the keyboard scanning. */
  canTakeKey(): boolean {
    return this.queue.length === 0 && !(this.mode & MODE_KBD_OFF) && this.scanning;
  }

  /** IRQ 1 is enabled in the command byte (a key would interrupt). */
  get keyInterrupts(): boolean {
    return (this.mode & MODE_KBD_INT) !== 0;
  }

  /** A key event: set-1 code `code` (bit 7: release), sent as set 1 when the command byte translates, else in the keyboard's set. */
  key(code: number): void {
    const bytes = this.mode & MODE_XLATE || this.scanSet === 1 ? [code & 0xff] : set2Of(code);
    for (const b of bytes) this.push(b);
  }

  get a20(): boolean {
    return (this.outPort & 2) !== 0;
  }

  private readStatus(): number {
    const head = this.queue[0];
    return (this.status & ~(ST_OBF | ST_AUX_OBF)) | (head === undefined ? 0 : ST_OBF | (head & 0x100 ? ST_AUX_OBF : 0));
  }

  private readData(): number {
    const head = this.queue.shift();
    this.updateIrq();
    return head === undefined ? 0 : head & 0xff;
  }

  private push(b: number, aux = false): void {
    this.queue.push((b & 0xff) | (aux ? 0x100 : 0));
    this.updateIrq();
  }

  private updateIrq(): void {
    const head = this.queue[0];
    this.irq(1, head !== undefined && !(head & 0x100) && (this.mode & MODE_KBD_INT) !== 0);
    this.irq(12, head !== undefined && (head & 0x100) !== 0 && (this.mode & MODE_AUX_INT) !== 0);
  }

  private command(v: number): void {
    this.status |= ST_CMD;
    switch (v) {
      case 0x20: return this.push(this.mode);
      case 0x60: case 0xd1: case 0xd2: case 0xd3: case 0xd4:
        this.pending = v;
        return;
      case 0xa7: this.mode |= MODE_AUX_OFF; return;
      case 0xa8: this.mode &= ~MODE_AUX_OFF; return;
      case 0xa9: return this.push(0x00); // aux interface test: no error
      case 0xaa:
        this.status |= ST_SYS;
        return this.push(0x55);
      case 0xab: return this.push(0x00);
      case 0xad: this.mode |= MODE_KBD_OFF; return;
      case 0xae: this.mode &= ~MODE_KBD_OFF; return;
      case 0xc0: return this.push(0x00); // input port
      case 0xd0: return this.push(this.outPort);
      case 0xdd: this.outPort &= ~2; return;
      case 0xdf: this.outPort |= 2; return;
    }
    // 0xF0-0xFF pulse output-port bits low for 6 us: bit 0 is the CPU reset line.
    if ((v & 0xf0) === 0xf0 && !(v & 1)) this.onReset();
  }

  private writeData(v: number): void {
    this.status &= ~ST_CMD;
    const cmd = this.pending;
    this.pending = 0;
    switch (cmd) {
      case 0x60:
        this.mode = v;
        return this.updateIrq();
      case 0xd1:
        this.outPort = v;
        if (!(v & 1)) this.onReset();
        return;
      case 0xd2: return this.push(v);
      case 0xd3: return this.push(v, true);
      case 0xd4: return this.push(RESEND, true); // no mouse answers
    }
    this.keyboard(v);
  }

  /** A byte for the keyboard itself: it acknowledges and answers, but has no keys to send. */
  private keyboard(v: number): void {
    this.mode &= ~MODE_KBD_OFF; // writing to the keyboard enables its interface, as on QEMU
    const k = this.kbdPending;
    this.kbdPending = 0;
    if (k === 0xf0) {
      if (v === 0) this.push(ACK), this.push(this.scanSet);
      else this.scanSet = v, this.push(ACK);
      return;
    }
    if (k !== 0) return this.push(ACK); // the argument of 0xED / 0xF3
    switch (v) {
      case 0xee: return this.push(0xee); // echo
      case 0xf2: return this.push(ACK), this.push(0xab), this.push(0x41);
      case 0xed: case 0xf3: case 0xf0:
        this.kbdPending = v;
        return this.push(ACK);
      case 0xf4:
        this.scanning = true;
        return this.push(ACK);
      case 0xf5:
        this.scanning = false;
        return this.push(ACK);
      case 0xf6: return this.push(ACK);
      case 0xff:
        this.scanning = false; // vmrr waits for the guest's 0xF4 before typing (docs/platform.md)
        return this.push(ACK), this.push(BAT_OK);
    }
    this.push(RESEND);
  }

  save(): I8042State {
    return { v: 1, status: this.status, mode: this.mode, outPort: this.outPort, pending: this.pending, kbdPending: this.kbdPending, queue: this.queue.slice(), scanSet: this.scanSet,
      ...(this.scanning ? { scanning: true } : {}) };
  }

  load(s: I8042State): void {
    if (s.v !== 1) throw new Error(`i8042 state: unknown version ${s.v}`);
    ({ status: this.status, mode: this.mode, outPort: this.outPort, pending: this.pending, kbdPending: this.kbdPending, scanSet: this.scanSet } = s);
    this.queue = s.queue.slice();
    this.scanning = s.scanning === true;
    this.updateIrq();
  }
}

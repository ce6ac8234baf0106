// The VGA's register file, enough for text mode: CRT controller (0x3D4/0x3D5,
// and the monochrome alias 0x3B4/0x3B5) with the cursor and start-address
// registers, sequencer (0x3C4/0x3C5), graphics controller (0x3CE/0x3CF),
// attribute controller (0x3C0/0x3C1 and its index/data flip-flop, reset by
// reading input status 1 at 0x3DA/0x3BA), miscellaneous output (0x3C2
// write, 0x3CC read), feature control, and the DAC (0x3C6-0x3C9). The
// frame buffer is not modelled apart from RAM: the text page at 0xB8000 is
// ordinary guest memory (so checkpoints and the state hash carry it), and
// graphics modes draw nothing. Both CRTC port pairs answer whatever the
// miscellaneous register's I/O address bit says (a simplification). textScreen() renders the text page as the
// CRTC describes it (--screen).

import type { PortBus } from './port-bus.js';

const ST01_V_RETRACE = 0x08;
const ST01_DISP_ENABLE = 0x01;

/** The text page the CRTC shows: its size, the characters, the raw cells (character, attribute), the cursor. */
export interface TextScreen {
  cols: number;
  rows: number;
  chars: Uint8Array;
  /** cols * rows cells of two bytes: character, attribute (what ft-check compares). */
  cells: Uint8Array;
  /** Cursor cell relative to the start address. */
  cursor: number;
  /** CR0A bit 5: the cursor is not shown. */
  cursorOff: boolean;
}

export interface VgaState {
  v: 1;
  crtc: Uint8Array;
  seq: Uint8Array;
  gc: Uint8Array;
  attr: Uint8Array;
  dac: Uint8Array;
  /** crtcIndex, seqIndex, gcIndex, attrIndex, attrFlip (0 index, 1 data), misc, feature, st01, dacMask, dacRead, dacWrite, dacSub, dacState */
  regs: number[];
}

/** The register values a VGA BIOS leaves after setting mode 3 (80x25 colour text), from the IBM VGA tables. */
const MODE3 = {
  crtc: [0x5f, 0x4f, 0x50, 0x82, 0x55, 0x81, 0xbf, 0x1f, 0x00, 0x4f, 0x0d, 0x0e, 0x00, 0x00, 0x00, 0x00, 0x9c, 0x8e, 0x8f, 0x28, 0x1f, 0x96, 0xb9, 0xa3, 0xff],
  seq: [0x03, 0x00, 0x03, 0x00, 0x02],
  gc: [0x00, 0x00, 0x00, 0x00, 0x00, 0x10, 0x0e, 0x00, 0xff],
  attr: [0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x14, 0x07, 0x38, 0x39, 0x3a, 0x3b, 0x3c, 0x3d, 0x3e, 0x3f, 0x0c, 0x00, 0x0f, 0x08, 0x00],
  misc: 0x67,
};

export class Vga {
  readonly crtc = new Uint8Array(0x19);
  readonly seq = new Uint8Array(5);
  readonly gc = new Uint8Array(9);
  readonly attr = new Uint8Array(0x15);
  readonly dac = new Uint8Array(768);
  private crtcIndex = 0;
  private seqIndex = 0;
  private gcIndex = 0;
  private attrIndex = 0;
  private attrFlip = 0;
  private misc = 0;
  private feature = 0;
  private st01 = 0;
  private dacMask = 0xff;
  private dacRead = 0;
  private dacWrite = 0;
  private dacSub = 0;
  /** 0: the last DAC index written was the read index (0x3C7 reads 3), 3: the write index (reads 0). */
  private dacState = 0;
  /** True once a guest or a loader touched a register (the state then differs from power-on). */
  touched = false;

  constructor(bus: PortBus) {
    const rd = (p: number): number => this.read(p);
    const wr = (p: number, v: number): void => this.write(p, v);
    bus.claim('vga', 0x3b4, 2, rd, wr);
    bus.claim('vga', 0x3ba, 1, rd, wr);
    bus.claim('vga', 0x3c0, 16, rd, wr);
    bus.claim('vga', 0x3d4, 2, rd, wr);
    bus.claim('vga', 0x3da, 1, rd, wr);
    // 16-bit OUTs to an index port write index then data, as on the real chip.
    for (const p of [0x3b4, 0x3c4, 0x3ce, 0x3d4]) bus.claimWide(p, { write16: (q, v) => { wr(q, v & 0xff); wr(q + 1, v >>> 8); } });
  }

  /** The registers a VGA BIOS leaves in mode 3: what a kernel loaded without a BIOS finds, as under QEMU. */
  setMode3(): void {
    this.crtc.set(MODE3.crtc);
    this.seq.set(MODE3.seq);
    this.gc.set(MODE3.gc);
    this.attr.set(MODE3.attr);
    this.misc = MODE3.misc;
    this.attrIndex = 0x20; // palette address source set: the display is on
    this.touched = true;
  }

  /** CRTC cursor location, in character cells from the start of video memory. */
  get cursor(): number {
    return (this.crtc[0x0e] << 8) | this.crtc[0x0f];
  }

  private read(p: number): number {
    switch (p) {
      case 0x3b5:
      case 0x3d5:
        return this.crtcIndex < this.crtc.length ? this.crtc[this.crtcIndex] : 0;
      case 0x3b4:
      case 0x3d4:
        return this.crtcIndex;
      case 0x3ba:
      case 0x3da:
        // Retrace and display-enable toggle on every read (as QEMU's default, deterministic, model).
        this.attrFlip = 0;
        this.touched = true;
        this.st01 ^= ST01_V_RETRACE | ST01_DISP_ENABLE;
        return this.st01;
      case 0x3c0:
        return this.attrIndex;
      case 0x3c1:
        return (this.attrIndex & 0x1f) < this.attr.length ? this.attr[this.attrIndex & 0x1f] : 0;
      case 0x3c2:
        return 0x10; // input status 0: switch sense (a colour monitor)
      case 0x3c4:
        return this.seqIndex;
      case 0x3c5:
        return this.seqIndex < this.seq.length ? this.seq[this.seqIndex] : 0;
      case 0x3c6:
        return this.dacMask;
      case 0x3c7:
        return this.dacState;
      case 0x3c8:
        return this.dacWrite;
      case 0x3c9: {
        const v = this.dac[this.dacRead * 3 + this.dacSub];
        this.touched = true;
        if (++this.dacSub === 3) { this.dacSub = 0; this.dacRead = (this.dacRead + 1) & 0xff; }
        return v;
      }
      case 0x3ca:
        return this.feature;
      case 0x3cc:
        return this.misc;
      case 0x3ce:
        return this.gcIndex;
      case 0x3cf:
        return this.gcIndex < this.gc.length ? this.gc[this.gcIndex] : 0;
      default:
        return 0xff;
    }
  }

  private write(p: number, v: number): void {
    this.touched = true;
    switch (p) {
      case 0x3b4:
      case 0x3d4:
        this.crtcIndex = v & 0x3f;
        break;
      case 0x3b5:
      case 0x3d5: {
        const i = this.crtcIndex;
        if (i >= this.crtc.length) break;
        // CR11 bit 7 write-protects CR00-CR07 (but CR07 bit 4, line compare bit 8).
        if (this.crtc[0x11] & 0x80 && i <= 7) {
          if (i === 7) this.crtc[7] = (this.crtc[7] & ~0x10) | (v & 0x10);
          break;
        }
        this.crtc[i] = v;
        break;
      }
      case 0x3ba:
      case 0x3da:
        this.feature = v & 0x0b;
        break;
      case 0x3c0:
        if (this.attrFlip === 0) {
          this.attrIndex = v & 0x3f;
        } else {
          const i = this.attrIndex & 0x1f;
          if (i < this.attr.length) this.attr[i] = i < 0x10 ? v & 0x3f : v;
        }
        this.attrFlip ^= 1;
        break;
      case 0x3c2:
        this.misc = v & 0xef;
        break;
      case 0x3c4:
        this.seqIndex = v & 0x07;
        break;
      case 0x3c5:
        if (this.seqIndex < this.seq.length) this.seq[this.seqIndex] = v;
        break;
      case 0x3c6:
        this.dacMask = v;
        break;
      case 0x3c7:
        this.dacRead = v;
        this.dacSub = 0;
        this.dacState = 3;
        break;
      case 0x3c8:
        this.dacWrite = v;
        this.dacSub = 0;
        this.dacState = 0;
        break;
      case 0x3c9:
        this.dac[this.dacWrite * 3 + this.dacSub] = v & 0x3f;
        if (++this.dacSub === 3) { this.dacSub = 0; this.dacWrite = (this.dacWrite + 1) & 0xff; }
        break;
      case 0x3ce:
        this.gcIndex = v & 0x0f;
        break;
      case 0x3cf:
        if (this.gcIndex < this.gc.length) this.gc[this.gcIndex] = v;
        break;
    }
  }

  /**
   * The text screen: rows of characters from the text page the CRTC shows
   * (start address CR0C/CR0D, CR01 + 1 columns; 80x25 at 0xB8000 while no
   * BIOS has programmed it), or null when the graphics controller is in a
   * graphics mode. `read(addr, len)` reads guest-physical memory.
   */
  textScreen(read: (addr: number, len: number) => Uint8Array): TextScreen | null {
    const programmed = this.crtc[1] !== 0;
    if (programmed && this.gc[6] & 1) return null;
    const cols = programmed ? this.crtc[1] + 1 : 80;
    // Rows: vertical display end (CR12 with its overflow bits 8 and 9 in CR07) over the character height (CR09 bits 0-4).
    const vde = this.crtc[0x12] | ((this.crtc[7] & 0x02) << 7) | ((this.crtc[7] & 0x40) << 3);
    const rows = programmed ? Math.max(1, Math.min(60, Math.floor((vde + 1) / ((this.crtc[9] & 0x1f) + 1)))) : 25;
    const base = !programmed || (this.gc[6] & 0x0c) === 0x0c ? 0xb8000 : (this.gc[6] & 0x0c) === 0x08 ? 0xb0000 : 0xa0000;
    const start = (this.crtc[0x0c] << 8) | this.crtc[0x0d];
    const page = read(base + start * 2, cols * rows * 2);
    const chars = new Uint8Array(cols * rows);
    for (let i = 0; i < chars.length; i++) chars[i] = page[i * 2];
    return { cols, rows, chars, cells: page, cursor: this.cursor - start, cursorOff: (this.crtc[0x0a] & 0x20) !== 0 };
  }

  save(): VgaState {
    return {
      v: 1,
      crtc: this.crtc.slice(),
      seq: this.seq.slice(),
      gc: this.gc.slice(),
      attr: this.attr.slice(),
      dac: this.dac.slice(),
      regs: [this.crtcIndex, this.seqIndex, this.gcIndex, this.attrIndex, this.attrFlip, this.misc, this.feature, this.st01, this.dacMask, this.dacRead, this.dacWrite, this.dacSub, this.dacState, this.touched ? 1 : 0],
    };
  }

  load(s: VgaState): void {
    if (s.v !== 1) throw new Error(`VGA state: unknown version ${s.v}`);
    this.crtc.set(s.crtc);
    this.seq.set(s.seq);
    this.gc.set(s.gc);
    this.attr.set(s.attr);
    this.dac.set(s.dac);
    const r = s.regs;
    [this.crtcIndex, this.seqIndex, this.gcIndex, this.attrIndex, this.attrFlip, this.misc, this.feature, this.st01, this.dacMask, this.dacRead, this.dacWrite, this.dacSub, this.dacState] = r;
    this.touched = r[13] === 1;
  }
}

/** Code page 437 for 0x01-0x1F and 0x7F-0xFF (0x00 and 0x20-0x7E are spaces and ASCII). */
const CP437_LOW = '\u263A\u263B\u2665\u2666\u2663\u2660\u2022\u25D8\u25CB\u25D9\u2642\u2640\u266A\u266B\u263C\u25BA\u25C4\u2195\u203C\u00B6\u00A7\u25AC\u21A8\u2191\u2193\u2192\u2190\u221F\u2194\u25B2\u25BC';
const CP437_HIGH =
  '\u2302\u00C7\u00FC\u00E9\u00E2\u00E4\u00E0\u00E5\u00E7\u00EA\u00EB\u00E8\u00EF\u00EE\u00EC\u00C4\u00C5\u00C9\u00E6\u00C6\u00F4\u00F6\u00F2\u00FB\u00F9\u00FF\u00D6\u00DC\u00A2\u00A3\u00A5\u20A7\u0192' +
  '\u00E1\u00ED\u00F3\u00FA\u00F1\u00D1\u00AA\u00BA\u00BF\u2310\u00AC\u00BD\u00BC\u00A1\u00AB\u00BB\u2591\u2592\u2593\u2502\u2524\u2561\u2562\u2556\u2555\u2563\u2551\u2557\u255D\u255C\u255B\u2510' +
  '\u2514\u2534\u252C\u251C\u2500\u253C\u255E\u255F\u255A\u2554\u2569\u2566\u2560\u2550\u256C\u2567\u2568\u2564\u2565\u2559\u2558\u2552\u2553\u256B\u256A\u2518\u250C\u2588\u2584\u258C\u2590\u2580' +
  '\u03B1\u00DF\u0393\u03C0\u03A3\u03C3\u00B5\u03C4\u03A6\u0398\u03A9\u03B4\u221E\u03C6\u03B5\u2229\u2261\u00B1\u2265\u2264\u2320\u2321\u00F7\u2248\u00B0\u2219\u00B7\u221A\u207F\u00B2\u25A0\u00A0';

/** A character cell as text (UTF-8 when written out). */
export function cp437(c: number): string {
  if (c === 0) return ' ';
  if (c < 0x20) return CP437_LOW[c - 1];
  if (c < 0x7f) return String.fromCharCode(c);
  return CP437_HIGH[c - 0x7f];
}

/** The screen as lines of text, trailing spaces and trailing empty lines dropped, each line ending in '\n'. */
export function screenText(s: { cols: number; rows: number; chars: Uint8Array } | null): string {
  if (!s) return '(the VGA is in a graphics mode: no text screen)\n';
  const lines: string[] = [];
  for (let r = 0; r < s.rows; r++) {
    let line = '';
    for (let c = 0; c < s.cols; c++) line += cp437(s.chars[r * s.cols + c]);
    lines.push(line.replace(/[ \u00A0]+$/, ''));
  }
  while (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
  return lines.map((l) => `${l}\n`).join('');
}

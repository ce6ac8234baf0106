// The VGA text screen as an FT output channel ('screen'). A screen is seen
// from outside when it is shown, not when a byte of the text page is
// written, so each guest samples what the CRTC shows at every sync point and
// at its end (the same icounts on both sides), and when it changed since the
// last sample appends an update record to its output log: the changed rows'
// cells (character and attribute bytes), the geometry and the cursor. The
// records are compared byte for byte and released like serial bytes; the
// release side (ScreenModel) applies them and renders the released screen.
//
// Record: 'S', flags (bit 0 graphics mode, bit 1 cursor hidden), cols, rows,
// cursor, n (u16 little-endian each), then n times: row (u16), cols * 2
// bytes. A change of geometry or mode lists every row.

import type { Machine } from '../machine/machine.js';
import { screenText, type TextScreen } from '../devices/vga.js';

const TAG = 0x53;
const HEAD = 10;

/** What one guest shows, as compared: null fields for a graphics mode. */
interface Shown {
  graphics: boolean;
  cols: number;
  rows: number;
  cursor: number;
  cursorOff: boolean;
  cells: Uint8Array;
}

function shownBy(m: Machine): Shown {
  const t: TextScreen | null = m.chipset.vga.textScreen((a, n) => m.readPhys(a, n));
  if (!t) return { graphics: true, cols: 0, rows: 0, cursor: 0, cursorOff: false, cells: new Uint8Array(0) };
  return { graphics: false, cols: t.cols, rows: t.rows, cursor: t.cursor & 0xffff, cursorOff: t.cursorOff, cells: t.cells.slice() };
}

/** One guest's sampler: appends an update record to `sink` when the screen changed since the last sample. */
export class ScreenTap {
  private last: Shown;
  /** Update records appended so far. */
  updates = 0;

  constructor(private readonly machine: Machine, private readonly sink: (byte: number) => void) {
    this.last = shownBy(machine);
  }

  /** Take the machine's screen as the last one seen, appending nothing (after a load or a resync). */
  rebase(): void {
    this.last = shownBy(this.machine);
  }

  sample(): void {
    const now = shownBy(this.machine);
    const rec = updateRecord(this.last, now);
    this.last = now;
    if (!rec) return;
    this.updates++;
    for (const b of rec) this.sink(b);
  }
}

/** The record taking `a` to `b`, or null when they look the same. */
function updateRecord(a: Shown, b: Shown): Uint8Array | null {
  const all = a.graphics !== b.graphics || a.cols !== b.cols || a.rows !== b.rows;
  const rows: number[] = [];
  const w = b.cols * 2;
  for (let r = 0; r < b.rows; r++) {
    if (all || !sameRow(a.cells, b.cells, r * w, w)) rows.push(r);
  }
  if (!all && rows.length === 0 && a.cursor === b.cursor && a.cursorOff === b.cursorOff) return null;
  const out = new Uint8Array(HEAD + rows.length * (2 + w));
  out[0] = TAG;
  out[1] = (b.graphics ? 1 : 0) | (b.cursorOff ? 2 : 0);
  put16(out, 2, b.cols);
  put16(out, 4, b.rows);
  put16(out, 6, b.cursor);
  put16(out, 8, rows.length);
  let o = HEAD;
  for (const r of rows) {
    put16(out, o, r);
    out.set(b.cells.subarray(r * w, r * w + w), o + 2);
    o += 2 + w;
  }
  return out;
}

function sameRow(x: Uint8Array, y: Uint8Array, at: number, w: number): boolean {
  for (let i = at; i < at + w; i++) if (x[i] !== y[i]) return false;
  return true;
}

function put16(b: Uint8Array, at: number, v: number): void {
  b[at] = v & 0xff;
  b[at + 1] = (v >>> 8) & 0xff;
}

/**
 * The receiving end: released screen bytes, in order (a record may come in
 * pieces: a release stops wherever the secondary's confirmation did), applied
 * to a screen that starts as the guest's screen at load.
 */
export class ScreenModel {
  private cols = 80;
  private rows = 25;
  private graphics = false;
  private cells: Uint8Array;
  private pending: number[] = [];
  /** Whole records applied. */
  updates = 0;

  constructor(initial?: Machine) {
    const s = initial ? shownBy(initial) : null;
    if (s) {
      this.graphics = s.graphics;
      this.cols = s.cols;
      this.rows = s.rows;
    }
    this.cells = s ? s.cells : new Uint8Array(this.cols * this.rows * 2);
  }

  write(bytes: ArrayLike<number>): void {
    for (let i = 0; i < bytes.length; i++) this.pending.push(bytes[i] & 0xff);
    for (;;) {
      const p = this.pending;
      if (p.length < HEAD) return;
      if (p[0] !== TAG) throw new Error(`screen channel: a record starts with 0x${p[0].toString(16)}, not 'S'`);
      const cols = p[2] | (p[3] << 8), rows = p[4] | (p[5] << 8), n = p[8] | (p[9] << 8);
      const len = HEAD + n * (2 + cols * 2);
      if (p.length < len) return;
      if (cols !== this.cols || rows !== this.rows) this.cells = new Uint8Array(cols * rows * 2);
      this.cols = cols;
      this.rows = rows;
      this.graphics = (p[1] & 1) !== 0;
      for (let k = 0, o = HEAD; k < n; k++, o += 2 + cols * 2) {
        const r = p[o] | (p[o + 1] << 8);
        if (r < rows) this.cells.set(p.slice(o + 2, o + 2 + cols * 2), r * cols * 2);
      }
      this.pending = p.slice(len);
      this.updates++;
    }
  }

  /** The screen as `--screen` writes it. */
  text(): string {
    if (this.graphics) return screenText(null);
    const chars = new Uint8Array(this.cols * this.rows);
    for (let i = 0; i < chars.length; i++) chars[i] = this.cells[i * 2];
    return screenText({ cols: this.cols, rows: this.rows, chars });
  }
}

/** Where two guests' screens first differ in an update (ft-check's divergence reports). */
export interface ScreenPosition {
  /** Row and column from 0 of the first cell that differs; null when only the cursor or the mode does. */
  row: number | null;
  column: number | null;
  /** 'character' or 'attribute' of that cell, else 'cursor' or 'mode' (text/graphics, geometry). */
  part: 'character' | 'attribute' | 'cursor' | 'mode';
}

/** A screen as the records build it. */
interface Built {
  flags: number;
  cols: number;
  rows: number;
  cursor: number;
  cells: Uint8Array;
}

function recordLength(b: ArrayLike<number>, at = 0): number {
  const cols = b[at + 2] | (b[at + 3] << 8);
  const n = b[at + 8] | (b[at + 9] << 8);
  return HEAD + n * (2 + cols * 2);
}

/** Apply one whole update record to a built screen (in place, or a new one when the geometry changes). */
function applyRecord(s: Built, r: Uint8Array): Built {
  const cols = r[2] | (r[3] << 8), rows = r[4] | (r[5] << 8), n = r[8] | (r[9] << 8);
  const cells = cols === s.cols && rows === s.rows ? s.cells : new Uint8Array(cols * rows * 2);
  for (let k = 0, o = HEAD; k < n; k++, o += 2 + cols * 2) {
    const row = r[o] | (r[o + 1] << 8);
    if (row < rows) cells.set(r.subarray(o + 2, o + 2 + cols * 2), row * cols * 2);
  }
  return { flags: r[1], cols, rows, cursor: r[6] | (r[7] << 8), cells };
}

/** Whole records kept for locating a divergence: a comparison never looks back further than a few. */
const KEEP_RECORDS = 16;

/**
 * Follows one guest's screen-channel bytes as they are produced (whole
 * records or byte by byte, as a worker's mirror gets them), keeping the last
 * few records and the screen they were applied to, so a differing byte can
 * be named as the cell where the two guests' screens part, after the bytes
 * themselves were compared and dropped.
 */
export class ScreenRecords {
  /** The screen before the oldest kept record (blank at first: what no record wrote is alike on both sides). */
  private base: Built = { flags: 0, cols: 80, rows: 25, cursor: 0, cells: new Uint8Array(80 * 25 * 2) };
  private recs: { start: number; bytes: Uint8Array }[] = [];
  private offset = 0;
  private partStart = 0;
  private part: number[] = [];

  feed(byte: number): void {
    if (this.part.length === 0) this.partStart = this.offset;
    this.offset++;
    this.part.push(byte & 0xff);
    if (this.part.length < HEAD || this.part.length < recordLength(this.part)) return;
    this.recs.push({ start: this.partStart, bytes: Uint8Array.from(this.part) });
    this.part = [];
    if (this.recs.length > KEEP_RECORDS) this.base = applyRecord(this.base, this.recs.shift()!.bytes);
  }

  /** The channel's byte count jumped to `offset` (a resync): a new record starts there. */
  restartAt(offset: number): void {
    this.offset = offset;
    this.part = [];
  }

  /**
   * The screen after the record holding channel offset `offset` (before it,
   * if that record is not complete here), with that record's rows; null when
   * the record is older than those kept.
   */
  screenAt(offset: number): { screen: Built; rows: Set<number> } | null {
    let s: Built = { ...this.base, cells: this.base.cells.slice() };
    if (this.recs.length > 0 && offset < this.recs[0].start) return null;
    for (const r of this.recs) {
      const end = r.start + r.bytes.length;
      s = applyRecord(s, r.bytes);
      if (offset < end) return { screen: s, rows: rowsOf(r.bytes) };
    }
    return { screen: s, rows: new Set() };
  }
}

function rowsOf(r: Uint8Array): Set<number> {
  const cols = r[2] | (r[3] << 8), n = r[8] | (r[9] << 8);
  const out = new Set<number>();
  for (let k = 0, o = HEAD; k < n; k++, o += 2 + cols * 2) out.add(r[o] | (r[o + 1] << 8));
  return out;
}

/** The first cell (row by row) where the two sides' screens after the update at `offset` differ, else the cursor or mode. */
export function screenDifference(a: ScreenRecords, b: ScreenRecords, offset: number): ScreenPosition | null {
  const x = a.screenAt(offset), y = b.screenAt(offset);
  if (!x || !y) return null;
  const p = x.screen, q = y.screen;
  if (p.cols !== q.cols || p.rows !== q.rows || (p.flags & 1) !== (q.flags & 1)) return { row: null, column: null, part: 'mode' };
  // Rows neither update wrote are alike on both sides; compare the ones either wrote.
  const rows = [...new Set([...x.rows, ...y.rows])].sort((m, n) => m - n);
  for (const r of rows) {
    for (let i = r * p.cols * 2; i < (r + 1) * p.cols * 2; i++) {
      if (p.cells[i] !== q.cells[i]) return { row: r, column: (i >> 1) % p.cols, part: (i & 1) === 0 ? 'character' : 'attribute' };
    }
  }
  if (p.cursor !== q.cursor || (p.flags & 2) !== (q.flags & 2)) return { row: null, column: null, part: 'cursor' };
  return null;
}

/** A position in words, for messages: "row 0, column 1 (character)". */
export function describeScreenPosition(p: ScreenPosition): string {
  if (p.row === null) return p.part === 'cursor' ? 'the cursor' : 'the screen mode';
  return `row ${p.row}, column ${p.column} (${p.part})`;
}

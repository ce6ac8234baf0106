// Page-sized RAM copies for snapshots and checkpoints. Pages are replaced
// only where they differ, and every page replaced is reported to the dirty
// hub, so incremental consumers (the state hash) redo only those.

import { PAGE_SIZE } from '../memory/phys.js';
import type { Machine } from './machine.js';
import { dirtyPageHub } from './dirty-pages.js';

const WORDS = PAGE_SIZE / 4;

/** A RAM page as checkpoints carry it (the same shape as the log's checkpoint pages). */
export interface RamPage {
  /** Physical page number (address / 4096). */
  index: number;
  data: Uint8Array;
}

/** A copy of page `p`. */
export function copyPage(m: Machine, p: number): Uint8Array {
  return m.mem.ram.slice(p * PAGE_SIZE, (p + 1) * PAGE_SIZE);
}

const ZERO_PAGE = new Uint8Array(PAGE_SIZE);

/**
 * Whether page `p` is all zeros. A page never written since the RAM was
 * allocated is, and is not read (fresh memory faults in slowly); others are
 * compared natively (fast before the JIT has optimized anything: the first
 * state hash or base checkpoint of a machine meets 32 MiB of mostly zeros).
 */
export function pageIsZero(m: Machine, p: number): boolean {
  if (m.mem.touched[p] === 0) return true;
  return Buffer.compare(m.mem.ram.subarray(p * PAGE_SIZE, (p + 1) * PAGE_SIZE), ZERO_PAGE) === 0;
}

/** Make page `p` equal to `data` (4096 bytes); returns whether anything changed. */
export function writePage(m: Machine, p: number, data: Uint8Array): boolean {
  checkPage(m, p, data);
  const ram = m.mem.ram;
  const base = p * PAGE_SIZE;
  if (samePage(m.mem.ram32, ram, base, data)) return false;
  ram.set(data, base);
  m.mem.markTouched(base, PAGE_SIZE);
  dirtyPageHub(m.cpu).mark(p);
  return true;
}

/** Make page `p` zero; returns whether anything changed. */
export function zeroPage(m: Machine, p: number): boolean {
  if (pageIsZero(m, p)) return false;
  m.mem.ram.fill(0, p * PAGE_SIZE, (p + 1) * PAGE_SIZE);
  dirtyPageHub(m.cpu).mark(p);
  return true;
}

function checkPage(m: Machine, p: number, data: Uint8Array): void {
  if (!Number.isInteger(p) || p < 0 || p >= m.mem.pages) throw new RangeError(`RAM page ${p} is outside this machine's ${m.mem.pages} pages`);
  if (data.length !== PAGE_SIZE) throw new RangeError(`RAM page ${p} has ${data.length} bytes, not ${PAGE_SIZE}`);
}

function samePage(ram32: Int32Array, ram: Uint8Array, base: number, data: Uint8Array): boolean {
  // Word compares when the copy is aligned (it is when it came from slice()); bytes otherwise.
  if ((data.byteOffset & 3) === 0) {
    const b = new Int32Array(data.buffer, data.byteOffset, WORDS);
    const w0 = base >>> 2;
    for (let i = 0; i < WORDS; i++) if (ram32[w0 + i] !== b[i]) return false;
    return true;
  }
  for (let i = 0; i < PAGE_SIZE; i++) if (ram[base + i] !== data[i]) return false;
  return true;
}

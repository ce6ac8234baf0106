// The state hash (DESIGN section 7): CPU, device registers, guest clock and
// RAM, as 8 bytes (16 hex digits; hash64.ts says why not SHA-256).
//
// RAM is hashed per 4 KiB page and the page hashes are hashed in page
// order. StateHasher keeps the page hashes and redoes only the pages
// dirtied since its last hash() (dirty-pages.ts), so hashing every few
// million instructions costs a few pages plus one pass over the table;
// stateHashOf() computes the same value from scratch.

import type { Machine } from './machine.js';
import { dirtyPageHub, type DirtySet } from './dirty-pages.js';
import { Hash64, hashWords, toHex } from './hash64.js';
import { saveMachineState } from './machine-state.js';
import { saveCpu } from '../cpu/cpu-state.js';
import { pageIsZero } from './ram-pages.js';

const PAGE_WORDS = 1024;
/** Hex digits of the short form shown in reports. */
export const SHORT_HASH_DIGITS = 8;

export class StateHasher {
  private readonly dirty: DirtySet;
  /** Two words per page: lanes A and B of the page's hash. */
  private readonly pageHashes: Int32Array;
  private primed = false;
  /** Pages rehashed by the last hash() (all of them the first time). */
  rehashed = 0;

  /** `scope` 'guest': only the CPU's state and RAM (what `diff` compares: device registers matter once the guest reads them). */
  constructor(private readonly machine: Machine, private readonly scope: 'machine' | 'guest' = 'machine') {
    this.dirty = dirtyPageHub(machine.cpu).subscribe();
    this.pageHashes = new Int32Array(machine.mem.pages * 2);
  }

  /** The state hash now, 8 bytes. */
  hashBytes(): Uint8Array {
    const m = this.machine;
    const bits = this.dirty.update().bits;
    let n = 0;
    for (let p = 0; p < bits.length; p++) {
      if (this.primed && bits[p] === 0) continue;
      hashPage(m, p, this.pageHashes);
      n++;
    }
    this.dirty.clear();
    this.primed = true;
    this.rehashed = n;
    return combine(m, this.pageHashes, this.scope);
  }

  /**
   * The guest-state hash (CPU and RAM only) from the page hashes of the last
   * hashBytes(): call it right after, with the machine not moved since.
   */
  guestHashOfLast(): Uint8Array {
    return combine(this.machine, this.pageHashes, 'guest');
  }

  /** The state hash now, 16 hex digits. */
  hash(): string {
    return toHex(this.hashBytes());
  }

  /** Stop following the machine's dirty pages. */
  close(): void {
    this.dirty.close();
  }
}

/** The hash of a page of zeros: most of RAM, the first time a machine is hashed. */
const ZERO_PAGE = new Int32Array(2);
hashWords(new Int32Array(PAGE_WORDS), 0, PAGE_WORDS, ZERO_PAGE, 0);

/** Page `p`'s hash into table[2p], table[2p + 1]; a page of zeros is recognised, not hashed. */
function hashPage(m: Machine, p: number, table: Int32Array): void {
  if (pageIsZero(m, p)) {
    table[p * 2] = ZERO_PAGE[0];
    table[p * 2 + 1] = ZERO_PAGE[1];
  } else {
    hashWords(m.mem.ram32, p * PAGE_WORDS, PAGE_WORDS, table, p * 2);
  }
}

/** The state hash from scratch: no cache, and the machine's dirty bits are left alone. */
export function stateHashBytesOf(m: Machine): Uint8Array {
  const pages = m.mem.pages;
  const table = new Int32Array(pages * 2);
  // Every page read and hashed, trusting nothing the machine tracks: the tests' reference for StateHasher.
  for (let p = 0; p < pages; p++) hashWords(m.mem.ram32, p * PAGE_WORDS, PAGE_WORDS, table, p * 2);
  return combine(m, table);
}

export function stateHashOf(m: Machine): string {
  return toHex(stateHashBytesOf(m));
}

/** The short form for reports (a prefix, like an abbreviated commit id). */
export function shortHash(hex: string): string {
  return hex.slice(0, SHORT_HASH_DIGITS);
}

function combine(m: Machine, pageHashes: Int32Array, scope: 'machine' | 'guest' = 'machine'): Uint8Array {
  const h = new Hash64();
  if (scope === 'guest') {
    feed(h, saveCpu(m.cpu));
    h.word(pageHashes.length);
    h.words(pageHashes);
    return h.digest();
  }
  const s = saveMachineState(m);
  // While the drive is busy its buffer is invisible to the guest and may be
  // filling at the host's pace; hostReady is the host's progress too. Both
  // would make record and replay hashes differ for no guest-visible reason.
  if (s.ata?.busy) s.ata = { ...s.ata, hostReady: false, hostError: false, buf: new Uint8Array(0) };
  // Not hashed (yet): the chipset (port 0x92, i8042, PCI, shadow RAM) and the MSR file, which came after
  // logs were first written, so that the sync points of those logs still verify. Checkpoints carry them;
  // a guest-visible difference there reaches the CPU or RAM, which are hashed, at its next use.
  delete s.chipset;
  delete s.cpu.msrs;
  feed(h, s);
  h.word(pageHashes.length);
  h.words(pageHashes);
  return h.digest();
}

// Type tags keep differently shaped values apart (an array of two numbers vs a float).
const T_INT = 1, T_FLOAT = 2, T_BOOL = 3, T_STRING = 4, T_NULL = 5, T_BYTES = 6, T_ARRAY = 7, T_MAP = 8;

/**
 * Hash a saved state map. Integers that fit 32 bits are one word whether the
 * CPU held them signed or unsigned (the same register bits hash alike);
 * anything else is hashed by its IEEE-754 bits. Map keys are hashed in
 * their order, which each save() fixes.
 */
function feed(h: Hash64, v: unknown): void {
  if (typeof v === 'number') {
    if (Number.isInteger(v) && v >= -0x80000000 && v <= 0xffffffff) {
      h.word(T_INT);
      h.word(v | 0);
    } else {
      h.word(T_FLOAT);
      h.float(v);
    }
  } else if (typeof v === 'boolean') {
    h.word(T_BOOL);
    h.word(v ? 1 : 0);
  } else if (typeof v === 'string') {
    h.word(T_STRING);
    h.string(v);
  } else if (v === null || v === undefined) {
    h.word(T_NULL);
  } else if (v instanceof Uint8Array) {
    h.word(T_BYTES);
    h.bytes(v);
  } else if (Array.isArray(v)) {
    h.word(T_ARRAY);
    h.word(v.length);
    for (const x of v) feed(h, x);
  } else if (typeof v === 'object') {
    const o = v as Record<string, unknown>;
    const keys = Object.keys(o);
    h.word(T_MAP);
    h.word(keys.length);
    for (const k of keys) {
      h.string(k);
      feed(h, o[k]);
    }
  } else {
    throw new TypeError(`state hash: cannot hash a ${typeof v}`);
  }
}

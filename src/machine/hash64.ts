// A fast 64-bit non-cryptographic hash over 32-bit words, for state hashes.
//
// Why not SHA-256: src/ may not import the host's crypto module (the
// determinism test), and a JS SHA-256 would cost ~10x more per byte. The
// state hash detects divergence between two runs of the same guest; nobody
// forges it. Two independent 32-bit lanes each take every word through a
// MurmurHash3-style block mix (multiply, rotate, multiply, xor, rotate,
// multiply-add), each with its own constants. Every step is a bijection of
// the lane for a fixed word, and the word enters through a bijection, so
// two inputs that differ in a single word always hash differently; other
// differences collide with a chance of about 2^-64.

const A1 = 0xcc9e2d51 | 0, A2 = 0x1b873593 | 0, AADD = 0xe6546b64 | 0;
const B1 = 0x85ebca6b | 0, B2 = 0xc2b2ae35 | 0, BADD = 0x7f4a7c15 | 0;
export const SEED_A = 0x2545f491 | 0;
export const SEED_B = 0x9e3779b9 | 0;

/** Final avalanche of one lane (bijective), with the input length folded in. */
function fmix(h: number, len: number): number {
  h ^= len;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h | 0;
}

/** Lane A takes word x in (a MurmurHash3 block mix); bijective in the lane for a fixed x. */
function mixA(a: number, x: number): number {
  let k = Math.imul(x, A1);
  k = (k << 15) | (k >>> 17);
  a ^= Math.imul(k, A2);
  a = (a << 13) | (a >>> 19);
  return (Math.imul(a, 5) + AADD) | 0;
}

/** Lane B, with its own constants and rotations. */
function mixB(b: number, x: number): number {
  let j = Math.imul(x, B1);
  j = (j << 16) | (j >>> 16);
  b ^= Math.imul(j, B2);
  b = (b << 17) | (b >>> 15);
  return (Math.imul(b, 9) + BADD) | 0;
}

/**
 * Hash words [start, start + n) of `w` into out[at] (lane A) and out[at + 1]
 * (lane B). The hot loop of the state hash: a 4 KiB page is 1024 words.
 */
export function hashWords(w: Int32Array, start: number, n: number, out: Int32Array, at: number): void {
  let a = SEED_A, b = SEED_B;
  const end = start + n;
  for (let i = start; i < end; i++) {
    const x = w[i];
    a = mixA(a, x);
    b = mixB(b, x);
  }
  out[at] = fmix(a, n);
  out[at + 1] = fmix(b, n);
}

/** The same hash fed a word at a time, for structured state. */
export class Hash64 {
  private a = SEED_A;
  private b = SEED_B;
  private n = 0;
  private readonly f64 = new Float64Array(1);
  private readonly f64w = new Int32Array(this.f64.buffer);

  word(x: number): void {
    this.a = mixA(this.a, x);
    this.b = mixB(this.b, x);
    this.n++;
  }

  /** word() for each of `w`, with the lanes in locals (the state hash feeds the page-hash table through this). */
  words(w: Int32Array): void {
    let a = this.a, b = this.b;
    for (let i = 0; i < w.length; i++) {
      const x = w[i];
      a = mixA(a, x);
      b = mixB(b, x);
    }
    this.a = a;
    this.b = b;
    this.n += w.length;
  }

  /** Any number, exactly: its IEEE-754 bits (two words). */
  float(x: number): void {
    this.f64[0] = x;
    this.word(this.f64w[0]);
    this.word(this.f64w[1]);
  }

  /** Length, then the bytes four to a word (little-endian, zero-padded). */
  bytes(v: Uint8Array): void {
    this.word(v.length);
    let i = 0;
    for (; i + 4 <= v.length; i += 4) this.word(v[i] | (v[i + 1] << 8) | (v[i + 2] << 16) | (v[i + 3] << 24));
    if (i < v.length) {
      let x = 0;
      for (let s = 0; i < v.length; i++, s += 8) x |= v[i] << s;
      this.word(x);
    }
  }

  string(s: string): void {
    this.word(s.length);
    for (let i = 0; i < s.length; i++) this.word(s.charCodeAt(i));
  }

  /** The 8-byte digest: lane A then lane B, big-endian. */
  digest(): Uint8Array {
    const a = fmix(this.a, this.n), b = fmix(this.b, this.n);
    const out = new Uint8Array(8);
    for (let i = 0; i < 4; i++) {
      out[i] = a >>> (24 - 8 * i);
      out[4 + i] = b >>> (24 - 8 * i);
    }
    return out;
  }
}

export function toHex(bytes: Uint8Array): string {
  let s = '';
  for (const b of bytes) s += b.toString(16).padStart(2, '0');
  return s;
}

// Small deterministic PRNG (xoshiro128**, seeded through splitmix32) so that a
// given --seed always produces the same test kernel on every Node version.

function splitmix32(state) {
  let s = state >>> 0;
  return () => {
    s = (s + 0x9e3779b9) >>> 0;
    let z = s;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
    return (z ^ (z >>> 16)) >>> 0;
  };
}

export class Rng {
  constructor(seed) {
    const sm = splitmix32(seed);
    this.s = [sm(), sm(), sm(), sm()];
    if ((this.s[0] | this.s[1] | this.s[2] | this.s[3]) === 0) this.s[0] = 1;
    this.decks = new Map();
  }

  /**
   * Next item from a shuffled deck of `items` kept under `key`: every item
   * comes up once before any repeats, so small families still cover all
   * their variants.
   */
  deal(key, items) {
    let d = this.decks.get(key);
    if (!d || !d.length) {
      d = this.shuffle(items.slice());
      this.decks.set(key, d);
    }
    return d.pop();
  }

  /** deal() over the cartesian product of several lists; returns an array. */
  dealProduct(key, lists) {
    let combos = [[]];
    for (const l of lists) combos = combos.flatMap((c) => l.map((x) => [...c, x]));
    return this.deal(key, combos);
  }

  /** Uniform unsigned 32-bit integer. */
  u32() {
    const s = this.s;
    const result = Math.imul(rotl(Math.imul(s[1], 5), 7), 9) >>> 0;
    const t = s[1] << 9;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 11);
    return result;
  }

  /** Uniform float in [0, 1). */
  f() {
    return this.u32() / 4294967296;
  }

  /** Uniform integer in [0, n). */
  int(n) {
    return Math.floor(this.f() * n);
  }

  /** Uniform integer in [lo, hi] (inclusive). */
  range(lo, hi) {
    return lo + this.int(hi - lo + 1);
  }

  chance(p) {
    return this.f() < p;
  }

  pick(arr) {
    return arr[this.int(arr.length)];
  }

  /** Pick from [[weight, value], ...]. */
  weighted(pairs) {
    let total = 0;
    for (const [w] of pairs) total += w;
    let x = this.f() * total;
    for (const [w, v] of pairs) {
      x -= w;
      if (x < 0) return v;
    }
    return pairs[pairs.length - 1][1];
  }

  shuffle(arr) {
    for (let i = arr.length - 1; i > 0; i--) {
      const j = this.int(i + 1);
      [arr[i], arr[j]] = [arr[j], arr[i]];
    }
    return arr;
  }

  /**
   * An operand value of the given width biased towards edge cases
   * (0, 1, all ones, sign boundaries, single bits, small numbers).
   */
  interesting(bits) {
    const mask = bits === 32 ? 0xffffffff : (1 << bits) - 1;
    const sign = bits === 32 ? 0x80000000 : 1 << (bits - 1);
    const r = this.f();
    let v;
    if (r < 0.12) v = this.int(17);
    else if (r < 0.2) v = mask - this.int(16);
    else if (r < 0.32) v = this.pick([0, 1, mask, sign, sign - 1, sign + 1, mask >>> 1, 2, mask - 1]);
    else if (r < 0.4) {
      v = bits === 32 ? (1 << this.int(32)) >>> 0 : 1 << this.int(bits);
      if (this.chance(0.3)) v = v - 1;
    } else if (r < 0.5) v = this.u32() & 0xff;
    else v = this.u32();
    return (v & mask) >>> 0;
  }
}

function rotl(x, k) {
  return ((x << k) | (x >>> (32 - k))) >>> 0;
}

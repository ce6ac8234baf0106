// LEB128 varints with a few tag bits in the low end of the first byte, exact
// for every safe integer. The obvious `m << tagBits | tag` overflows 32 bits
// and, above 2^53, the float mantissa; this splits the number instead.

/** Malformed packed bytes; the log reader turns it into a LogError with an offset. */
export class PackError extends Error {
  override readonly name = 'PackError';
}

const MAX_VARINT_BYTES = 8; // 53 value bits + 2 tag bits fit in 8 groups of 7

/** Write LEB128(m * 2^tagBits + tag) at out[pos]; m a safe non-negative integer. Returns the new position. */
export function putTagged(out: Uint8Array, pos: number, m: number, tag: number, tagBits: number): number {
  const firstBits = 7 - tagBits;
  const first = 1 << firstBits;
  if (m < first) {
    out[pos] = (m << tagBits) | tag;
    return pos + 1;
  }
  if (m < 0x80000000) {
    out[pos++] = 0x80 | ((m & (first - 1)) << tagBits) | tag;
    m >>>= firstBits;
    while (m >= 0x80) {
      out[pos++] = 0x80 | (m & 0x7f);
      m >>>= 7;
    }
    out[pos++] = m;
    return pos;
  }
  out[pos++] = 0x80 | ((m % first) << tagBits) | tag;
  m = Math.floor(m / first);
  while (m >= 0x80) {
    out[pos++] = 0x80 | (m % 0x80);
    m = Math.floor(m / 0x80);
  }
  out[pos++] = m;
  return pos;
}

/** Zig-zag varint of a signed safe integer: 0, -1, 1, -2 ... become 0, 1, 2, 3 ... */
export function putSigned(out: Uint8Array, pos: number, d: number): number {
  return d >= 0 ? putTagged(out, pos, d, 0, 1) : putTagged(out, pos, -d - 1, 1, 1);
}

export function putU32(out: Uint8Array, pos: number, v: number): number {
  out[pos] = v;
  out[pos + 1] = v >>> 8;
  out[pos + 2] = v >>> 16;
  out[pos + 3] = v >>> 24;
  return pos + 4;
}

/** Reads what the put functions wrote; every read is bounds-checked. */
export class ByteCursor {
  pos = 0;
  /** Tag bits of the last `tagged` read. */
  tag = 0;

  constructor(private readonly bytes: Uint8Array) {}

  get done(): boolean {
    return this.pos >= this.bytes.length;
  }

  tagged(tagBits: number): number {
    const b = this.bytes;
    let p = this.pos;
    let byte = p < b.length ? b[p] : this.eof();
    this.tag = byte & ((1 << tagBits) - 1);
    let m = (byte & 0x7f) >>> tagBits;
    // Common case: one to four bytes, plain integer arithmetic.
    let shift = 7 - tagBits;
    for (let n = 1; n < 4; n++) {
      if ((byte & 0x80) === 0) {
        this.pos = p + 1;
        return m;
      }
      byte = ++p < b.length ? b[p] : this.eof();
      m |= (byte & 0x7f) << shift;
      shift += 7;
    }
    this.pos = p + 1;
    m >>>= 0;
    let scale = 2 ** shift;
    for (let n = 4; byte & 0x80; n++) {
      if (n === MAX_VARINT_BYTES) throw new PackError(`varint longer than ${MAX_VARINT_BYTES} bytes at byte ${this.pos}`);
      byte = this.pos < b.length ? b[this.pos++] : this.eof();
      m += (byte & 0x7f) * scale;
      scale *= 0x80;
    }
    if (m > Number.MAX_SAFE_INTEGER) throw new PackError(`varint above 2^53 ending at byte ${this.pos}`);
    return m;
  }

  signed(): number {
    const m = this.tagged(1);
    return this.tag ? -m - 1 : m;
  }

  u32(): number {
    if (this.pos + 4 > this.bytes.length) this.eof();
    const b = this.bytes, p = this.pos;
    this.pos = p + 4;
    return (b[p] | (b[p + 1] << 8) | (b[p + 2] << 16) | (b[p + 3] << 24)) >>> 0;
  }

  private eof(): never {
    throw new PackError(`packed data ends in the middle of an entry (${this.bytes.length} bytes)`);
  }
}

// CRC-32 (IEEE 802.3, reflected polynomial 0xEDB88320, as zlib and PNG use),
// table-driven with slicing-by-8: every frame of a log is checked on write and
// on read, and checkpoint frames run to megabytes.

const POLY = 0xedb88320;

/** Eight 256-entry tables: T[k][b] is the CRC of byte b followed by k zero bytes. */
function makeTables(): Int32Array {
  const t = new Int32Array(8 * 256);
  for (let b = 0; b < 256; b++) {
    let c = b;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ POLY : c >>> 1;
    t[b] = c;
  }
  for (let b = 0; b < 256; b++) {
    let c = t[b];
    for (let k = 1; k < 8; k++) {
      c = t[c & 0xff] ^ (c >>> 8);
      t[k * 256 + b] = c;
    }
  }
  return t;
}

// Filled once at load and never written again, so sharing it between
// instances (and machines) is safe.
const T = makeTables();

/**
 * CRC-32 of `data[start, end)`. Pass a previous result as `crc` to continue
 * a running CRC over several pieces: crc32(b, 0, n, crc32(a)) === crc32(a ++ b).
 */
export function crc32(data: Uint8Array, start = 0, end = data.length, crc = 0): number {
  let c = ~crc;
  let i = start;
  // Eight bytes per step: two little-endian words looked up in eight tables.
  for (const stop = end - 7; i < stop; i += 8) {
    const lo = c ^ (data[i] | (data[i + 1] << 8) | (data[i + 2] << 16) | (data[i + 3] << 24));
    const hi = data[i + 4] | (data[i + 5] << 8) | (data[i + 6] << 16) | (data[i + 7] << 24);
    c =
      T[1792 + (lo & 0xff)] ^
      T[1536 + ((lo >>> 8) & 0xff)] ^
      T[1280 + ((lo >>> 16) & 0xff)] ^
      T[1024 + (lo >>> 24)] ^
      T[768 + (hi & 0xff)] ^
      T[512 + ((hi >>> 8) & 0xff)] ^
      T[256 + ((hi >>> 16) & 0xff)] ^
      T[hi >>> 24];
  }
  for (; i < end; i++) c = T[(c ^ data[i]) & 0xff] ^ (c >>> 8);
  return ~c >>> 0;
}

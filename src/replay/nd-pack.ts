// Byte packing of an ND block inside its frame. Per entry:
//   varint(icount delta * 4 + kind)     icount delta from the previous entry (0 before the first)
//   RDTSC, clock: zig-zag varint of the delta from the previous value of that kind
//   RDRAND, RDSEED: 4 bytes little-endian, raw
// A guest reading the TSC in a loop costs 1 byte of icount and kind plus 1-2
// bytes of delta, against 8 raw. Every block starts its chains from zero, so
// each frame decodes on its own (seeking starts at any checkpoint).

import { ND_CLOCK, ND_RDRAND, ND_RDSEED, ND_RDTSC, type NdBlock } from './nd-block.js';
import { ByteCursor, PackError, putSigned, putTagged, putU32 } from './varint.js';

const KIND_BITS = 2;
/** Worst case per entry: 8 bytes of icount varint, 8 of value. */
const MAX_ENTRY_BYTES = 16;

/** Pack `block.count` entries; `scratch` is reused when large enough. */
export function packNd(block: NdBlock, scratch?: Uint8Array): Uint8Array {
  const n = block.count;
  const out = scratch && scratch.length >= n * MAX_ENTRY_BYTES ? scratch : new Uint8Array(n * MAX_ENTRY_BYTES);
  const { kinds, icounts, values } = block;
  let pos = 0, prevIcount = 0, prevTsc = 0, prevClock = 0;
  for (let i = 0; i < n; i++) {
    const kind = kinds[i], icount = icounts[i], v = values[i];
    const di = icount - prevIcount;
    if (!(di >= 0) || !Number.isSafeInteger(icount)) {
      throw new RangeError(`ND entry ${i}: icount ${icount} is not a safe integer at or after ${prevIcount}`);
    }
    prevIcount = icount;
    pos = putTagged(out, pos, di, kind, KIND_BITS);
    if (kind === ND_RDTSC || kind === ND_CLOCK) {
      if (!Number.isSafeInteger(v) || v < 0) throw new RangeError(`ND entry ${i}: ${v} is not a counter value`);
      if (kind === ND_RDTSC) {
        pos = putSigned(out, pos, v - prevTsc);
        prevTsc = v;
      } else {
        pos = putSigned(out, pos, v - prevClock);
        prevClock = v;
      }
    } else {
      pos = putU32(out, pos, v);
    }
  }
  return out.subarray(0, pos);
}

/** Unpack `count` entries into fresh typed arrays; throws PackError on anything malformed. */
export function unpackNd(data: Uint8Array, count: number, check: number, at: number): NdBlock {
  // Every entry takes at least 2 bytes: refuse a huge count before allocating for it.
  if (data.length < count * 2) throw new PackError(`${data.length} bytes cannot hold ${count} entries`);
  const kinds = new Uint8Array(count);
  const icounts = new Float64Array(count);
  const values = new Float64Array(count);
  const cur = new ByteCursor(data);
  let icount = 0, tsc = 0, clock = 0;
  for (let i = 0; i < count; i++) {
    icount += cur.tagged(KIND_BITS);
    const kind = cur.tag;
    kinds[i] = kind;
    icounts[i] = icount;
    if (kind === ND_RDRAND || kind === ND_RDSEED) {
      values[i] = cur.u32();
    } else {
      const v = (kind === ND_RDTSC ? tsc : clock) + cur.signed();
      if (v < 0 || v > Number.MAX_SAFE_INTEGER) throw new PackError(`entry ${i}: ${ndName(kind)} value ${v} out of range`);
      if (kind === ND_RDTSC) tsc = v;
      else clock = v;
      values[i] = v;
    }
    if (icount > Number.MAX_SAFE_INTEGER) throw new PackError(`entry ${i}: icount above 2^53`);
  }
  if (!cur.done) throw new PackError(`${data.length - cur.pos} bytes left after ${count} entries`);
  if (count > 0 && icount > at) throw new PackError(`last entry at icount ${icount} is after the flush point ${at}`);
  return { count, kinds, icounts, values, check, at };
}

function ndName(kind: number): string {
  return kind === ND_RDTSC ? 'rdtsc' : 'clock';
}

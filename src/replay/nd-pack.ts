// Byte packing of an ND block inside its frame. Per entry:
//   varint(icount delta * 8 + kind)    icount delta from the previous entry (from 0 for the first);
//                                      kind in 3 bits (room for 8 kinds; format version 1 had 2 bits)
//   RDTSC, clock: zig-zag varint of the value minus its prediction (below)
//   RDRAND, RDSEED: 4 bytes little-endian, raw
// The prediction is the previous value of that kind plus the previous step of
// that kind (a second-order delta), so a guest reading the TSC in a loop pays
// for the jitter of its step, not the step: 2.4 bytes per RDTSC measured on
// fixtures/nondet.mb, against 3.0 with plain deltas and 8 raw. Each block
// starts its chains afresh, so every frame decodes on its own.

import { ND_CLOCK, ND_RDRAND, ND_RDSEED, ND_RDTSC, type NdBlock } from './nd-block.js';
import { ByteCursor, PackError, putSigned, putTagged, putU32 } from './varint.js';

/** Bits of the kind field: 3 from format version 2 (room for 8 ND kinds), 2 in version 1. */
export const KIND_BITS = 3;
export const KIND_BITS_V1 = 2;
/** Worst case per entry: 9 bytes of icount varint, 9 of value. */
const MAX_ENTRY_BYTES = 18;
const MAX = Number.MAX_SAFE_INTEGER;

/** Predicts the next counter value; both sides of the log run the same arithmetic. */
class CounterChain {
  private prev = 0;
  private step = 0;
  private first = true;

  /** Clamped to [0, 2^53), so value minus prediction is always a safe integer. */
  predict(): number {
    const p = this.prev + this.step;
    return p > MAX ? MAX : p < 0 ? 0 : p;
  }

  push(v: number): void {
    // The first value is a base, not a step: predicting the second from it would double it.
    this.step = this.first ? 0 : v - this.prev;
    this.prev = v;
    this.first = false;
  }
}

/** Pack `block.count` entries; `scratch` is reused when large enough. */
export function packNd(block: NdBlock, scratch?: Uint8Array): Uint8Array {
  const n = block.count;
  const out = scratch && scratch.length >= n * MAX_ENTRY_BYTES ? scratch : new Uint8Array(n * MAX_ENTRY_BYTES);
  const { kinds, icounts, values } = block;
  const tsc = new CounterChain(), clock = new CounterChain();
  let pos = 0, prevIcount = 0;
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
      const chain = kind === ND_RDTSC ? tsc : clock;
      pos = putSigned(out, pos, v - chain.predict());
      chain.push(v);
    } else {
      pos = putU32(out, pos, v);
    }
  }
  return out.subarray(0, pos);
}

/** Unpack `count` entries into fresh typed arrays; throws PackError on anything malformed. */
export function unpackNd(data: Uint8Array, count: number, check: number, at: number, kindBits = KIND_BITS): NdBlock {
  // Every entry takes at least 2 bytes: refuse a huge count before allocating for it.
  if (data.length < count * 2) throw new PackError(`${data.length} bytes cannot hold ${count} entries`);
  const kinds = new Uint8Array(count);
  const icounts = new Float64Array(count);
  const values = new Float64Array(count);
  const cur = new ByteCursor(data);
  const tsc = new CounterChain(), clock = new CounterChain();
  let icount = 0;
  for (let i = 0; i < count; i++) {
    icount += cur.tagged(kindBits);
    if (icount > MAX) throw new PackError(`entry ${i}: icount above 2^53`);
    const kind = cur.tag;
    if (kind > ND_CLOCK) throw new PackError(`entry ${i}: unknown ND kind ${kind}`);
    kinds[i] = kind;
    icounts[i] = icount;
    if (kind === ND_RDRAND || kind === ND_RDSEED) {
      values[i] = cur.u32();
    } else {
      const chain = kind === ND_RDTSC ? tsc : clock;
      const v = chain.predict() + cur.signed();
      if (v < 0 || v > MAX) throw new PackError(`entry ${i}: ${kind === ND_RDTSC ? 'rdtsc' : 'clock'} value ${v} out of range`);
      chain.push(v);
      values[i] = v;
    }
  }
  if (!cur.done) throw new PackError(`${data.length - cur.pos} bytes left after ${count} entries`);
  if (count > 0 && icount > at) throw new PackError(`last entry at icount ${icount} is after the flush point ${at}`);
  return { count, kinds, icounts, values, check, at };
}

// One codec per frame kind: body map <-> typed frame, with every field of a
// decoded body checked (FormatError names the field).

import { FormatError } from './log-error.js';
import { arrayField, asMap, bytesField, describe, optUintField, strField, uintField, type CborMap } from './cbor-fields.js';
import { MAX_PAGES_PER_FRAME, PAGE_BYTES } from './log-format.js';
import { MAX_ND_BUFFER } from './nd-buffer.js';
import { KIND_BITS, KIND_BITS_V1, packNd, unpackNd } from './nd-pack.js';
import { PackError } from './varint.js';
import { MAX_INTERVAL_BYTES, type OutputMark } from './output-ledger.js';
import {
  EVENT_KINDS, FRAME_CODES,
  type CheckpointFrame, type EndFrame, type EventsFrame, type Frame, type FrameKind, type LogEvent, type NdFrame, type SyncFrame,
} from './frames.js';

export interface FrameCodec {
  code: number;
  kind: FrameKind;
  /** `scratch`: a reusable buffer for packing, owned by the caller. */
  encode(f: Frame, scratch?: Uint8Array): CborMap;
  decode(body: CborMap): Frame;
}

const MAX_HASH_BYTES = 64;
const U32 = 0xffffffff;

const nd: FrameCodec = {
  code: FRAME_CODES.nd,
  kind: 'nd',
  encode: (f, scratch) => {
    const b = f as NdFrame;
    return { at: b.at, n: b.count, check: b.check, kb: KIND_BITS, data: packNd(b, scratch) };
  },
  decode: (m) => {
    const n = uintField(m, 'n', MAX_ND_BUFFER);
    // `kb`: bits of each entry's kind field (3 from format version 2; absent in version 1, which had 2).
    const kb = m.kb === undefined ? KIND_BITS_V1 : uintField(m, 'kb', KIND_BITS);
    if (kb !== KIND_BITS && kb !== KIND_BITS_V1) throw new FormatError(`field 'kb' is ${kb}, not ${KIND_BITS_V1} or ${KIND_BITS}`);
    try {
      return { kind: 'nd', ...unpackNd(bytesField(m, 'data'), n, uintField(m, 'check', U32), uintField(m, 'at'), kb) };
    } catch (e) {
      if (e instanceof PackError) throw new FormatError(`bad packed ND data: ${e.message}`);
      throw e;
    }
  },
};

const events: FrameCodec = {
  code: FRAME_CODES.events,
  kind: 'events',
  encode: (f) => {
    const b = f as EventsFrame;
    let prev = 0;
    const list = b.events.map((e) => {
      const d = e.icount - prev;
      if (d < 0) throw new RangeError(`events out of icount order: ${e.icount} after ${prev}`);
      const code = EVENT_KINDS.indexOf(e.kind) + 1;
      if (code === 0) throw new RangeError(`unknown event kind ${String(e.kind)}`);
      if (!Number.isSafeInteger(e.value) || e.value < 0) throw new RangeError(`${e.kind} event with value ${e.value}`);
      prev = e.icount;
      if (e.t === undefined) return [code, d, e.eip, e.value];
      if (e.kind !== 'serial' || !Number.isSafeInteger(e.t) || e.t < 0) throw new RangeError(`${e.kind} event with time ${e.t}`);
      return [code, d, e.eip, e.value, e.t];
    });
    return { at: b.at, events: list };
  },
  decode: (m) => {
    let icount = 0;
    const list = arrayField(m, 'events').map((raw, i): LogEvent => {
      if (!Array.isArray(raw) || (raw.length !== 4 && raw.length !== 5)) {
        throw new FormatError(`event ${i} is ${describe(raw)}, not [kind, icount delta, eip, value(, time)]`);
      }
      const [code, d, eip, value, t] = raw as unknown[];
      const kind = typeof code === 'number' ? EVENT_KINDS[code - 1] : undefined;
      if (kind === undefined) throw new FormatError(`event ${i} has unknown kind ${describe(code)}`);
      if (raw.length === 5 && kind !== 'serial') throw new FormatError(`event ${i}: a ${kind} event has no time field`);
      const e = asMap(raw.length === 5 ? { d, eip, value, t } : { d, eip, value }, `event ${i}`);
      icount += uintField(e, 'd');
      if (!Number.isSafeInteger(icount)) throw new FormatError(`event ${i}: icount above 2^53`);
      const v = uintField(e, 'value', kind === 'serial' ? 255 : Number.MAX_SAFE_INTEGER);
      const ev: LogEvent = { kind, icount, eip: uintField(e, 'eip', U32), value: v };
      if (raw.length === 5) ev.t = uintField(e, 't');
      return ev;
    });
    return { kind: 'events', at: uintField(m, 'at'), events: list };
  },
};

const checkpoint: FrameCodec = {
  code: FRAME_CODES.checkpoint,
  kind: 'checkpoint',
  encode: (f) => {
    const c = f as CheckpointFrame;
    return {
      icount: c.icount, seq: c.seq, part: c.part, parts: c.parts, prev: c.prev, state: c.state,
      ...(c.part === 0 && c.out ? { out: encodeOut(c.out) } : {}),
      pages: c.pages.map((p) => {
        if (p.data.length !== PAGE_BYTES) throw new RangeError(`page ${p.index} has ${p.data.length} bytes, not ${PAGE_BYTES}`);
        return [p.index, p.data];
      }),
    };
  },
  decode: (m) => {
    const parts = uintField(m, 'parts');
    const part = uintField(m, 'part');
    if (parts < 1 || part >= parts) throw new FormatError(`part ${part} of ${parts}`);
    const state = part === 0 ? asMap(m.state, "field 'state'") : null;
    const raw = arrayField(m, 'pages');
    if (raw.length > MAX_PAGES_PER_FRAME) throw new FormatError(`${raw.length} pages in one frame (limit ${MAX_PAGES_PER_FRAME})`);
    const pages = raw.map((p, i) => {
      if (!Array.isArray(p) || p.length !== 2) throw new FormatError(`page ${i} is ${describe(p)}, not [index, bytes]`);
      const e = asMap({ index: p[0], data: p[1] }, `page ${i}`);
      return { index: uintField(e, 'index', U32 >>> 12), data: bytesField(e, 'data', PAGE_BYTES) };
    });
    return {
      kind: 'checkpoint', icount: uintField(m, 'icount'), seq: uintField(m, 'seq'), part, parts,
      prev: optUintField(m, 'prev'), state, pages, ...outOf(part === 0 ? decodeOut(m) : null),
    };
  },
};

const sync: FrameCodec = {
  code: FRAME_CODES.sync,
  kind: 'sync',
  encode: (f) => {
    const s = f as SyncFrame;
    return { icount: s.icount, eip: s.eip, hash: s.hash, ...(s.ghash ? { ghash: s.ghash } : {}), ...(s.out ? { out: encodeOut(s.out) } : {}) };
  },
  decode: (m) => ({
    kind: 'sync', icount: uintField(m, 'icount'), eip: uintField(m, 'eip', U32), hash: hashField(m),
    ...(m.ghash === undefined ? {} : { ghash: hashField(m, 'ghash') }), ...outOf(decodeOut(m)),
  }),
};

const end: FrameCodec = {
  code: FRAME_CODES.end,
  kind: 'end',
  encode: (f) => {
    const e = f as EndFrame;
    return {
      icount: e.icount, eip: e.eip, reason: e.reason, exitValue: e.exitValue, hash: e.hash, stats: e.stats,
      ...(e.out ? { out: encodeOut(e.out) } : {}),
    };
  },
  decode: (m) => {
    const raw = asMap(m.stats, "field 'stats'");
    const stats: Record<string, number> = {};
    for (const key of Object.keys(raw)) {
      const v = raw[key];
      if (typeof v !== 'number') throw new FormatError(`stats '${key}' is ${describe(v)}, not a number`);
      stats[key] = v;
    }
    return {
      kind: 'end', icount: uintField(m, 'icount'), eip: uintField(m, 'eip', U32), reason: strField(m, 'reason'),
      exitValue: optUintField(m, 'exitValue', U32), hash: hashField(m), stats, ...outOf(decodeOut(m)),
    };
  },
};

const MAX_CHANNELS = 64;
const CHANNEL_NAME = /^(serial|disk|debugcon:0x[0-9a-f]{1,4})$/;
const DIGEST = /^[0-9a-f]{16}$/;

/** Output channels as `{ name: [count, digest, bytes | null] }`. */
function encodeOut(out: OutputMark): CborMap {
  const m: CborMap = {};
  for (const [name, c] of Object.entries(out)) m[name] = [c.count, c.digest, c.bytes];
  return m;
}

/** `out` only where the frame has it (frames of format version 1 have none). */
const outOf = (out: OutputMark | null): { out?: OutputMark } => (out ? { out } : {});

/** The `out` field, or null when absent (logs of format version 1). */
function decodeOut(m: CborMap): OutputMark | null {
  if (m.out === undefined || m.out === null) return null;
  const raw = asMap(m.out, "field 'out'");
  const names = Object.keys(raw);
  if (names.length > MAX_CHANNELS) throw new FormatError(`field 'out' has ${names.length} channels (limit ${MAX_CHANNELS})`);
  const out: OutputMark = {};
  for (const name of names) {
    if (!CHANNEL_NAME.test(name)) throw new FormatError(`field 'out' has an unknown channel ${describe(name)}`);
    const v = raw[name];
    if (!Array.isArray(v) || v.length !== 3) throw new FormatError(`output channel '${name}' is ${describe(v)}, not [count, digest, bytes]`);
    const e = asMap({ count: v[0], digest: v[1], bytes: v[2] }, `output channel '${name}'`);
    const count = uintField(e, 'count');
    const digest = strField(e, 'digest');
    if (!DIGEST.test(digest)) throw new FormatError(`output channel '${name}' has digest ${describe(digest)}, not 16 hex digits`);
    let bytes: Uint8Array | null = null;
    if (e.bytes !== null) {
      bytes = bytesField(e, 'bytes');
      if (bytes.length > MAX_INTERVAL_BYTES || bytes.length > count) {
        throw new FormatError(`output channel '${name}' holds ${bytes.length} bytes of an interval (count ${count}, limit ${MAX_INTERVAL_BYTES})`);
      }
    }
    out[name] = { count, digest, bytes };
  }
  return out;
}

function hashField(m: CborMap, key = 'hash'): Uint8Array {
  const h = bytesField(m, key);
  if (h.length < 1 || h.length > MAX_HASH_BYTES) throw new FormatError(`field '${key}' has ${h.length} bytes (1 to ${MAX_HASH_BYTES} allowed)`);
  return h;
}

/** The closed list of frame kinds of this format version. */
export const FRAME_CODECS: readonly FrameCodec[] = [nd, events, checkpoint, sync, end];

export function codecForCode(code: unknown): FrameCodec | undefined {
  return FRAME_CODECS.find((c) => c.code === code);
}

export function codecForKind(kind: FrameKind): FrameCodec {
  return FRAME_CODECS.find((c) => c.kind === kind) as FrameCodec;
}

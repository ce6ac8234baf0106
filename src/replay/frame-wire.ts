// One frame as bytes, the same in a log file and on the FT link:
//
//   u32 length | u32 CRC-32 over the 4 length bytes, then the payload | CBOR [kind code, body]
//
// (log-format.ts has the whole file layout, FORMAT_VERSION and the limits.)
// The log writer, the log reader, the FT link and the resync transfer all
// encode and check frames here. Nothing here knows where the bytes live:
// problems are FormatErrors with the problem alone ("bad CRC"), to which
// each caller adds its place (file and offset, link offset).

import type { Encoder } from 'cbor-x';
import { crc32 } from './crc32.js';
import { FormatError } from './log-error.js';
import { FRAME_HEADER_BYTES, MAX_FRAME_BYTES, MAX_PAGES_PER_FRAME } from './log-format.js';
import { FRAME_CODES, type CheckpointFrame, type CheckpointPage, type Frame } from './frames.js';
import { codecForCode, codecForKind } from './frame-codecs.js';

/** The CBOR payload of a frame; a RangeError past MAX_FRAME_BYTES (a writer's bug, not bad input). */
export function encodePayload(cbor: Encoder, frame: Frame, ndScratch?: Uint8Array): Uint8Array {
  const payload = cbor.encode([FRAME_CODES[frame.kind], codecForKind(frame.kind).encode(frame, ndScratch)]);
  if (payload.length > MAX_FRAME_BYTES) throw new RangeError(`${frame.kind} frame of ${payload.length} bytes (limit ${MAX_FRAME_BYTES})`);
  return payload;
}

/** The 8 bytes before a payload (the header's CBOR map is framed the same way). */
export function chunkHeader(payload: Uint8Array): Uint8Array {
  const h = new Uint8Array(FRAME_HEADER_BYTES);
  const dv = new DataView(h.buffer);
  dv.setUint32(0, payload.length, true);
  dv.setUint32(4, crc32(payload, 0, payload.length, crc32(h, 0, 4)), true);
  return h;
}

/** A whole frame in one buffer: length, CRC, payload. */
export function encodeFrame(cbor: Encoder, frame: Frame, ndScratch?: Uint8Array): Uint8Array {
  const payload = encodePayload(cbor, frame, ndScratch);
  const out = new Uint8Array(FRAME_HEADER_BYTES + payload.length);
  out.set(chunkHeader(payload));
  out.set(payload, FRAME_HEADER_BYTES);
  return out;
}

/** The payload length a chunk header announces; 'absurd length' when 0 or over `limit`. */
export function chunkLength(head: Uint8Array, limit: number): number {
  const length = new DataView(head.buffer, head.byteOffset, FRAME_HEADER_BYTES).getUint32(0, true);
  if (length === 0 || length > limit) throw new FormatError(`absurd length ${length} (limit ${limit})`);
  return length;
}

/** Does the CRC field of `head` match its length bytes and `payload`? */
export function crcMatches(head: Uint8Array, payload: Uint8Array, start = 0, end = payload.length): boolean {
  const want = new DataView(head.buffer, head.byteOffset, FRAME_HEADER_BYTES).getUint32(4, true);
  return crc32(payload, start, end, crc32(head, 0, 4)) === want;
}

/**
 * A frame from its CBOR-decoded payload. `maxNd` is the header's ND buffer
 * size: no nd frame may hold more entries.
 */
export function frameFromPayload(raw: unknown, maxNd = Infinity): Frame {
  if (!Array.isArray(raw) || raw.length !== 2) throw new FormatError('payload is not [kind, body]');
  const codec = codecForCode(raw[0]);
  if (!codec) throw new FormatError(`unknown frame kind ${String(raw[0])}`);
  try {
    const body = raw[1];
    if (typeof body !== 'object' || body === null || Array.isArray(body)) throw new FormatError('body is not a map');
    const frame = codec.decode(body as Record<string, unknown>);
    if (frame.kind === 'nd' && frame.count > maxNd) throw new FormatError(`${frame.count} entries, more than the buffer size ${maxNd}`);
    return frame;
  } catch (e) {
    if (e instanceof FormatError) throw new FormatError(`bad ${codec.kind} frame (${e.message})`);
    throw e;
  }
}

/**
 * Decode a whole frame held in one buffer (what encodeFrame made): length,
 * CRC, then payload. The CBOR decoder's own failures are FormatErrors too.
 */
export function decodeFrameBytes(cbor: Encoder, bytes: Uint8Array, maxNd = Infinity): Frame {
  const length = chunkLength(bytes, MAX_FRAME_BYTES);
  if (length !== bytes.length - FRAME_HEADER_BYTES) throw new FormatError('bad frame length');
  if (!crcMatches(bytes, bytes, FRAME_HEADER_BYTES, bytes.length)) throw new FormatError('bad CRC');
  let raw: unknown;
  try {
    raw = cbor.decode(bytes.subarray(FRAME_HEADER_BYTES));
  } catch (e) {
    throw new FormatError(`bad CBOR (${(e as Error).message.replace(/\s+/g, ' ').slice(0, 120)})`);
  }
  return frameFromPayload(raw, maxNd);
}

/** A checkpoint as frames: parts of at most MAX_PAGES_PER_FRAME pages, the state (and output mark) in part 0. */
export function checkpointParts(
  cp: { icount: number; state: CheckpointFrame['state']; pages: readonly CheckpointPage[]; out?: CheckpointFrame['out'] },
  seq: number,
  prev: number | null,
): CheckpointFrame[] {
  const parts = Math.max(1, Math.ceil(cp.pages.length / MAX_PAGES_PER_FRAME));
  const out: CheckpointFrame[] = [];
  for (let part = 0; part < parts; part++) {
    const pages = cp.pages.slice(part * MAX_PAGES_PER_FRAME, (part + 1) * MAX_PAGES_PER_FRAME);
    out.push({ kind: 'checkpoint', icount: cp.icount, seq, part, parts, prev, state: part === 0 ? cp.state : null, pages, out: part === 0 ? cp.out : null });
  }
  return out;
}

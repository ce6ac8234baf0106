// The .vmrr file layout (DESIGN section 6; byte by byte in docs/log-format.md):
//
//   preamble  magic (8) | u16 version | u8 flags | u8 reserved (0)
//   header    u32 length | u32 CRC-32 | CBOR map (LogHeader)
//   frames    u32 length | u32 CRC-32 | CBOR [kind code, body map]   ... up to an `end` frame
//
// Integers are little-endian. Each CRC-32 covers the 4 length bytes and then
// the payload, so a flipped length bit is caught too. Any change to this
// layout, to the frame kinds or their bodies, or to the ND packing needs
// FORMAT_VERSION bumped: readers refuse versions they do not know.

import { FormatError } from './log-error.js';
import { asMap, optStrField, strField, uintField, type CborMap } from './cbor-fields.js';

/** "\x89VMRR\r\n\x1a": the high byte and CR LF catch 7-bit and newline-translating copies. */
export const MAGIC: readonly number[] = [0x89, 0x56, 0x4d, 0x52, 0x52, 0x0d, 0x0a, 0x1a];
/** The newest version this vmrr reads and the one it writes: 3 adds serial events' guest time and the key event (kind 4). */
export const FORMAT_VERSION = 3;
/**
 * The version a log is written with: always 3 now. (Writing 2 for logs without
 * key input would keep them readable by older vmrr, but version 2 cannot hold
 * the guest time of serial events, which a virtual-clock replay needs.)
 */
export function writeVersionOf(_machine: Record<string, unknown>): number {
  return FORMAT_VERSION;
}
/**
 * The oldest version this vmrr reads: 1 has no output digests (`out` in sync, checkpoint and end frames);
 * 1 and 2 have no guest time on serial events (a virtual-clock recording with serial input does not
 * replay from them: the clock skipped while the guest waited for a byte is not in the log).
 */
export const MIN_FORMAT_VERSION = 1;
export const VERSION_OFFSET = 8;
export const FLAGS_OFFSET = 10;
/** Set while recording, cleared in place on a clean finish: a set flag means the recorder did not finish. */
export const FLAG_INCOMPLETE = 1;
export const KNOWN_FLAGS = FLAG_INCOMPLETE;
export const PREAMBLE_BYTES = 12;
export const FRAME_HEADER_BYTES = 8;
/** Limits checked before allocating: anything larger is corruption. */
export const MAX_HEADER_BYTES = 1 << 20;
export const MAX_FRAME_BYTES = 64 << 20;
export const PAGE_BYTES = 4096;
/** Checkpoints larger than this many pages are split over several frames, keeping frames under MAX_FRAME_BYTES. */
export const MAX_PAGES_PER_FRAME = 8192;

export type { ClockMode } from '../machine/clock.js';
import type { ClockMode } from '../machine/clock.js';

/** The header's CBOR map: what a replay needs besides the frames. */
export interface LogHeader {
  /** vmrr version that wrote the log, e.g. "0.1.0". */
  toolVersion: string;
  /** The whole machine configuration (RAM size, devices, ...), as the machine options describe it. */
  machine: CborMap;
  /** Where the image was when recorded (a hint for replay; the hash is what binds). */
  imagePath: string;
  /** SHA-256 of the image bytes, 64 lowercase hex digits. */
  imageSha256: string;
  diskPath: string | null;
  diskSha256: string | null;
  clock: ClockMode;
  /** Entries per ND buffer: no `nd` frame holds more. */
  ndBufferSize: number;
  /** ISO 8601 UTC time the recording started. */
  created: string;
}

const SHA256 = /^[0-9a-f]{64}$/;

export function encodeHeader(h: LogHeader): CborMap {
  return {
    toolVersion: h.toolVersion,
    machine: h.machine,
    imagePath: h.imagePath,
    imageSha256: h.imageSha256,
    diskPath: h.diskPath,
    diskSha256: h.diskSha256,
    clock: h.clock,
    ndBufferSize: h.ndBufferSize,
    created: h.created,
  };
}

export function decodeHeader(raw: unknown): LogHeader {
  const m = asMap(raw, 'the header');
  const h: LogHeader = {
    toolVersion: strField(m, 'toolVersion'),
    machine: asMap(m.machine, "field 'machine'"),
    imagePath: strField(m, 'imagePath'),
    imageSha256: sha(m, 'imageSha256') as string,
    diskPath: optStrField(m, 'diskPath'),
    diskSha256: sha(m, 'diskSha256'),
    clock: strField(m, 'clock') as ClockMode,
    ndBufferSize: uintField(m, 'ndBufferSize', 1 << 20),
    created: strField(m, 'created'),
  };
  if (h.clock !== 'host' && h.clock !== 'virtual') throw new FormatError(`field 'clock' is "${h.clock}", not host or virtual`);
  if (h.ndBufferSize < 1) throw new FormatError(`field 'ndBufferSize' is 0`);
  if (h.imageSha256 === null) throw new FormatError(`field 'imageSha256' is missing`);
  return h;
}

function sha(m: CborMap, key: string): string | null {
  const v = optStrField(m, key);
  if (v !== null && !SHA256.test(v)) throw new FormatError(`field '${key}' is not 64 lowercase hex digits`);
  return v;
}

/** Check a header before writing it, with the reader's rules. */
export function validateHeader(h: LogHeader): void {
  decodeHeader(encodeHeader(h));
}

/** The 12-byte preamble with the given flags. */
export function preamble(flags: number, version = FORMAT_VERSION): Uint8Array {
  const p = new Uint8Array(PREAMBLE_BYTES);
  p.set(MAGIC);
  p[VERSION_OFFSET] = version & 0xff;
  p[VERSION_OFFSET + 1] = version >>> 8;
  p[FLAGS_OFFSET] = flags;
  return p;
}

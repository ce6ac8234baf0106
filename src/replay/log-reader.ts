// Reads a log frame by frame from a file descriptor: never the whole file,
// never more than one frame in memory, and nothing allocated for a length
// before it is checked against the limits and the file's size. Corruption
// raises LogError naming the file and offset; a log that simply stops (a
// killed recorder, a partial copy) is not an error: reading ends at the last
// whole frame and `cut` says where and why.

import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import type { Encoder } from 'cbor-x';
import { makeCbor } from './cbor-fields.js';
import { FormatError, LogError } from './log-error.js';
import {
  FLAG_INCOMPLETE, FLAGS_OFFSET, FORMAT_VERSION, MIN_FORMAT_VERSION, FRAME_HEADER_BYTES, KNOWN_FLAGS, MAGIC, MAX_FRAME_BYTES, MAX_HEADER_BYTES,
  PREAMBLE_BYTES, VERSION_OFFSET, decodeHeader, type LogHeader,
} from './log-format.js';
import type { EndFrame, Frame } from './frames.js';
import { chunkLength, crcMatches, frameFromPayload } from './frame-wire.js';

export interface ReadFrame {
  /** 1 for the first frame after the header. */
  index: number;
  /** Offset of the frame's length field. */
  offset: number;
  /** Bytes in the file, length and CRC fields included. */
  bytes: number;
  frame: Frame;
}

/** Where and why a log without an end frame stops. */
export interface LogCut {
  /** End of the last whole frame: everything before it was read. */
  offset: number;
  /** Whole frames read (0: only the header). */
  afterFrame: number;
  /** The preamble flag said the recorder finished, so the file was cut afterwards. */
  finished: boolean;
  /** Bytes of a partial frame after `offset`. */
  partialBytes: number;
  message: string;
}

export class LogReader {
  readonly header: LogHeader;
  /** The preamble's incomplete flag: set while recording, cleared on a clean finish. */
  readonly incompleteFlag: boolean;
  /** The file's format version (MIN_FORMAT_VERSION to FORMAT_VERSION). */
  readonly version: number;
  /** Offset of the first frame. */
  readonly dataOffset: number;
  /** The end frame, once read. */
  end: EndFrame | null = null;
  /** Set when the log stopped before an end frame. */
  cut: LogCut | null = null;
  private readonly cbor: Encoder = makeCbor();
  private fd: number;
  private size: number;
  private pos: number;
  private index = 0;

  static open(path: string): LogReader {
    let fd: number;
    try {
      fd = openSync(path, 'r');
    } catch (e) {
      throw new LogError(path, -1, `cannot open: ${(e as Error).message}`);
    }
    try {
      return new LogReader(path, fd);
    } catch (e) {
      closeSync(fd);
      throw e;
    }
  }

  private constructor(readonly path: string, fd: number) {
    this.fd = fd;
    this.size = fstatSync(fd).size;
    const pre = this.read(0, Math.min(PREAMBLE_BYTES, this.size));
    if (pre.length === 0) throw new LogError(path, 0, 'not a vmrr log (empty file)');
    for (let i = 0; i < Math.min(MAGIC.length, pre.length); i++) {
      if (pre[i] !== MAGIC[i]) throw new LogError(path, i, 'not a vmrr log (bad magic)');
    }
    if (pre.length < PREAMBLE_BYTES) throw new LogError(path, pre.length, 'cut inside the preamble');
    const version = pre[VERSION_OFFSET] | (pre[VERSION_OFFSET + 1] << 8);
    if (version < MIN_FORMAT_VERSION || version > FORMAT_VERSION) {
      throw new LogError(path, VERSION_OFFSET, `unsupported format version ${version} (this vmrr reads versions ${MIN_FORMAT_VERSION} to ${FORMAT_VERSION})`);
    }
    this.version = version;
    const flags = pre[FLAGS_OFFSET];
    if (flags & ~KNOWN_FLAGS || pre[FLAGS_OFFSET + 1] !== 0) {
      throw new LogError(path, FLAGS_OFFSET, `unknown flags 0x${(flags | (pre[FLAGS_OFFSET + 1] << 8)).toString(16)}`);
    }
    this.incompleteFlag = (flags & FLAG_INCOMPLETE) !== 0;
    const got = this.chunk(PREAMBLE_BYTES, MAX_HEADER_BYTES, 0);
    if (!('payload' in got)) throw new LogError(path, this.size, `cut inside the header (${this.cutReason()})`);
    try {
      this.header = decodeHeader(this.decode(got.payload, PREAMBLE_BYTES, 0));
    } catch (e) {
      if (e instanceof FormatError) throw new LogError(path, PREAMBLE_BYTES, `bad header (${e.message})`);
      throw e;
    }
    this.dataOffset = this.pos = PREAMBLE_BYTES + FRAME_HEADER_BYTES + got.payload.length;
  }

  /** Offset of the next frame. */
  get position(): number {
    return this.pos;
  }

  /** Whole frames read so far. */
  get framesRead(): number {
    return this.index;
  }

  /** The next frame, or null after the end frame or at a cut (see `cut`). */
  next(): ReadFrame | null {
    if (this.end || this.cut) return null;
    const offset = this.pos;
    const index = this.index + 1;
    const got = this.chunk(offset, MAX_FRAME_BYTES, index);
    if (!('payload' in got)) {
      this.cut = this.describeCut(offset, got.partial);
      return null;
    }
    const frame = this.frame(got.payload, offset, index);
    this.pos = offset + FRAME_HEADER_BYTES + got.payload.length;
    this.index = index;
    if (frame.kind === 'end') {
      this.end = frame;
      this.refreshSize();
      if (this.size > this.pos) throw new LogError(this.path, this.pos, `${this.size - this.pos} bytes after the end frame`);
    }
    return { index, offset, bytes: this.pos - offset, frame };
  }

  *frames(): Generator<ReadFrame> {
    for (let f = this.next(); f; f = this.next()) yield f;
  }

  /**
   * After a cut, try again from the last whole frame: a log still being
   * recorded (the FT checker follows one) may have grown since.
   */
  retry(): void {
    this.cut = null;
  }

  /**
   * Continue reading at a frame boundary found earlier (e.g. a checkpoint's
   * offset), numbering the frame there `index`.
   */
  seek(offset: number, index: number): void {
    if (offset < this.dataOffset) throw new RangeError(`offset ${offset} is before the first frame (${this.dataOffset})`);
    this.pos = offset;
    this.index = index - 1;
    this.end = null;
    this.cut = null;
  }

  close(): void {
    if (this.fd >= 0) closeSync(this.fd);
    this.fd = -1;
  }

  /** Read one length-CRC-payload chunk, or say how many bytes of a partial one the file holds. */
  private chunk(offset: number, limit: number, index: number): { payload: Uint8Array } | { partial: number } {
    if (offset + FRAME_HEADER_BYTES > this.size) this.refreshSize();
    if (offset + FRAME_HEADER_BYTES > this.size) return { partial: Math.max(0, this.size - offset) };
    const head = this.read(offset, FRAME_HEADER_BYTES);
    let length: number;
    try {
      length = chunkLength(head, limit);
    } catch (e) {
      if (e instanceof FormatError) throw new LogError(this.path, offset, e.message, index);
      throw e;
    }
    const end = offset + FRAME_HEADER_BYTES + length;
    if (end > this.size) this.refreshSize();
    if (end > this.size) return { partial: this.size - offset };
    const payload = this.read(offset + FRAME_HEADER_BYTES, length);
    if (payload.length < length) return { partial: FRAME_HEADER_BYTES + payload.length };
    if (!crcMatches(head, payload)) throw new LogError(this.path, offset, 'bad CRC', index);
    return { payload };
  }

  private frame(payload: Uint8Array, offset: number, index: number): Frame {
    const raw = this.decode(payload, offset, index);
    try {
      return frameFromPayload(raw, this.header.ndBufferSize);
    } catch (e) {
      if (e instanceof FormatError) throw new LogError(this.path, offset, e.message, index);
      throw e;
    }
  }

  /** CBOR-decode a payload whose CRC matched; a decoder failure (or a RangeError from deep nesting) is a LogError. */
  private decode(payload: Uint8Array, offset: number, index: number): unknown {
    try {
      return this.cbor.decode(payload);
    } catch (e) {
      throw new LogError(this.path, offset, `bad CBOR (${oneLine((e as Error).message)})`, index);
    }
  }

  private describeCut(offset: number, partial: number): LogCut {
    const finished = !this.incompleteFlag;
    const why = this.cutReason();
    const after = this.index === 0 ? 'after the header' : `after frame ${this.index}`;
    const tail = partial > 0 ? `; ${partial} bytes of a partial frame follow` : '';
    return { offset, afterFrame: this.index, finished, partialBytes: partial, message: `${this.path}: cut at offset ${offset} ${after} (${why}${tail})` };
  }

  private cutReason(): string {
    return this.incompleteFlag ? 'incomplete: recorder did not finish' : 'truncated: the recorder finished, the file was cut later';
  }

  /** The file may still be growing (a log being recorded): look again before calling it cut. */
  private refreshSize(): void {
    this.size = fstatSync(this.fd).size;
  }

  private read(offset: number, length: number): Uint8Array {
    const buf = new Uint8Array(length);
    let got = 0;
    try {
      while (got < length) {
        const n = readSync(this.fd, buf, got, length - got, offset + got);
        if (n === 0) break;
        got += n;
      }
    } catch (e) {
      throw new LogError(this.path, offset + got, `cannot read: ${(e as Error).message}`);
    }
    return got === length ? buf : buf.subarray(0, got);
  }
}

function oneLine(s: string): string {
  return s.replace(/\s+/g, ' ').slice(0, 120);
}

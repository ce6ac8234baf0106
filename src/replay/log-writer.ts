// Streams a log to a file descriptor. Whole frames are held in a bounded
// buffer and handed to the kernel every `bufferBytes` or `maxPendingFrames`,
// whichever comes first, and whenever flush() is called: a SIGKILLed
// recorder loses at most that much, and what it leaves ends on a frame
// boundary or inside the last frame. The preamble's incomplete flag is set
// while recording and cleared in place by finish().

import { closeSync, fsyncSync, openSync, writeSync } from 'node:fs';
import type { Encoder } from 'cbor-x';
import { makeCbor } from './cbor-fields.js';
import { LogError } from './log-error.js';
import { FLAG_INCOMPLETE, FLAGS_OFFSET, FRAME_HEADER_BYTES, MAX_HEADER_BYTES, encodeHeader, preamble, validateHeader, writeVersionOf, type LogHeader } from './log-format.js';
import type { CheckpointFrame, EndFrame, Frame, FrameKind } from './frames.js';
import { checkpointParts, chunkHeader, encodePayload } from './frame-wire.js';

export interface LogWriterOptions {
  /** Bytes of whole frames held before a write; default 64 KiB. */
  bufferBytes?: number;
  /** Frames held before a write, however small; default 16. */
  maxPendingFrames?: number;
  /** fsync before clearing the incomplete flag; default true. */
  sync?: boolean;
}

/** Frames and bytes written per kind, for inspect and the benchmarks. */
export type KindTally = Record<FrameKind, { frames: number; bytes: number }>;

/** A checkpoint as the machine gives it; the writer numbers it, links it and splits it into parts. */
export type CheckpointInput = Pick<CheckpointFrame, 'icount' | 'state' | 'pages' | 'out'>;

export class LogWriter {
  private readonly cbor: Encoder = makeCbor();
  private readonly buf: Uint8Array;
  private used = 0;
  private pending = 0;
  /** Bytes handed to the kernel: the file offset where `buf` starts. */
  private written = 0;
  private fd: number;
  private ndScratch: Uint8Array | null = null;
  private lastCheckpoint: number | null = null;
  private checkpoints = 0;
  frames = 0;
  readonly tally: KindTally = { nd: z(), events: z(), checkpoint: z(), sync: z(), end: z() };

  /** Create (or truncate) `path` and write the preamble and header at once, so even an instant kill leaves a readable header. */
  static create(path: string, header: LogHeader, opts: LogWriterOptions = {}): LogWriter {
    validateHeader(header);
    const payload = makeCbor().encode(encodeHeader(header));
    if (payload.length > MAX_HEADER_BYTES) throw new RangeError(`header of ${payload.length} bytes (limit ${MAX_HEADER_BYTES})`);
    let fd: number;
    try {
      fd = openSync(path, 'w', 0o644);
    } catch (e) {
      throw new LogError(path, -1, `cannot create: ${(e as Error).message}`);
    }
    const w = new LogWriter(path, fd, header.ndBufferSize, opts);
    w.put(preamble(FLAG_INCOMPLETE, writeVersionOf(header.machine as Record<string, unknown>)));
    w.put(chunkHeader(payload));
    w.put(payload);
    w.flush();
    return w;
  }

  private constructor(
    readonly path: string,
    fd: number,
    private readonly ndBufferSize: number,
    private readonly opts: LogWriterOptions,
  ) {
    this.fd = fd;
    this.buf = new Uint8Array(Math.max(4096, opts.bufferBytes ?? 64 * 1024));
  }

  /** Offset the next frame will start at. */
  get offset(): number {
    return this.written + this.used;
  }

  get closed(): boolean {
    return this.fd < 0;
  }

  /** Append a frame; returns its offset. */
  write(frame: Frame): number {
    if (this.fd < 0) throw new Error(`${this.path}: write after the log was closed`);
    if (frame.kind === 'end') throw new Error('the end frame is written by finish()');
    return this.put1(frame);
  }

  /** Append a checkpoint, split into parts of at most MAX_PAGES_PER_FRAME pages; returns the offset of part 0. */
  writeCheckpoint(cp: CheckpointInput): number {
    let first = -1;
    for (const f of checkpointParts(cp, this.checkpoints++, this.lastCheckpoint)) {
      const at = this.write(f);
      if (f.part === 0) first = at;
    }
    this.lastCheckpoint = first;
    this.flush();
    return first;
  }

  /** Hand everything buffered to the kernel. */
  flush(): void {
    if (this.used === 0) return;
    this.out(this.buf.subarray(0, this.used));
    this.used = 0;
    this.pending = 0;
  }

  /** Write the end frame, make the data durable, clear the incomplete flag and close. */
  finish(end: Omit<EndFrame, 'kind'>): void {
    if (this.fd < 0) throw new Error(`${this.path}: finish after the log was closed`);
    this.put1({ kind: 'end', ...end });
    this.flush();
    const sync = this.opts.sync ?? true;
    try {
      if (sync) fsyncSync(this.fd);
      writeSync(this.fd, Uint8Array.of(0), 0, 1, FLAGS_OFFSET);
      if (sync) fsyncSync(this.fd);
    } catch (e) {
      throw new LogError(this.path, FLAGS_OFFSET, `cannot finish: ${(e as Error).message}`);
    }
    this.close();
  }

  /** Flush and close without an end frame: the log stays marked incomplete. */
  abort(): void {
    if (this.fd < 0) return;
    try {
      this.flush();
    } finally {
      this.close();
    }
  }

  private put1(frame: Frame): number {
    if (frame.kind === 'nd') {
      if (frame.count > this.ndBufferSize) throw new RangeError(`nd frame of ${frame.count} entries, more than the buffer size ${this.ndBufferSize}`);
      this.ndScratch ??= new Uint8Array(this.ndBufferSize * 16);
    }
    const payload = encodePayload(this.cbor, frame, this.ndScratch ?? undefined);
    const offset = this.offset;
    this.put(chunkHeader(payload));
    this.put(payload);
    this.frames++;
    const t = this.tally[frame.kind];
    t.frames++;
    t.bytes += FRAME_HEADER_BYTES + payload.length;
    if (++this.pending >= (this.opts.maxPendingFrames ?? 16)) this.flush();
    return offset;
  }

  /** Buffer bytes; anything that does not fit goes straight out after what is buffered. */
  private put(bytes: Uint8Array): void {
    if (this.used + bytes.length > this.buf.length) this.flush();
    if (bytes.length > this.buf.length) {
      this.out(bytes);
      return;
    }
    this.buf.set(bytes, this.used);
    this.used += bytes.length;
  }

  private out(bytes: Uint8Array): void {
    let done = 0;
    try {
      while (done < bytes.length) done += writeSync(this.fd, bytes, done, bytes.length - done);
    } catch (e) {
      throw new LogError(this.path, this.written + done, `cannot write: ${(e as Error).message}`);
    } finally {
      this.written += done;
    }
  }

  private close(): void {
    const fd = this.fd;
    this.fd = -1;
    closeSync(fd);
  }
}

function z(): { frames: number; bytes: number } {
  return { frames: 0, bytes: 0 };
}

// The live link from the FT primary's recorder to its secondary (and a replicated log tail, src/cluster/restore.ts): the same
// frames a log file holds, encoded exactly as on disk by the same code
// (replay/frame-wire.ts), kept in memory instead of a file. A later
// step can put these bytes on a socket without changing either side: the
// primary writes through a FrameSink, the secondary reads through
// FrameSources (independent cursors, as replay reads a file twice).

import type { Encoder } from 'cbor-x';
import { makeCbor } from './cbor-fields.js';
import { FormatError } from './log-error.js';
import { checkpointParts, decodeFrameBytes, encodeFrame } from './frame-wire.js';
import type { EndFrame, Frame, FrameKind } from './frames.js';
import { decodeHeader, encodeHeader, type LogHeader } from './log-format.js';
import type { CheckpointInput } from './log-writer.js';
import type { FrameSink } from './recorder.js';
import type { FrameSource } from './replayer.js';

export type LinkFrame = { index: number; offset: number; frame: Frame };

export { encodeFrame };

/** Decode what encodeFrame made; a damaged frame is an Error naming the link offset. */
export function decodeFrame(cbor: Encoder, bytes: Uint8Array, offset: number): Frame {
  try {
    return decodeFrameBytes(cbor, bytes);
  } catch (e) {
    if (e instanceof FormatError) throw new Error(`link: ${e.message} at offset ${offset}`);
    throw e;
  }
}

/** Frames held in memory in order, numbered from 1 like a log's; the oldest can be dropped once read. */
export class FrameLink {
  private readonly cbor = makeCbor();
  private readonly frames: Uint8Array[] = [];
  private readonly offsets: number[] = [];
  /** Index of frames[0]. */
  private base = 1;
  private headerBytes: Uint8Array | null = null;
  private ndScratch: Uint8Array | null = null;
  /** Bytes sent so far (header included). */
  bytes = 0;
  ended = false;
  aborted = false;
  private checkpoints = 0;
  private lastCheckpoint: number | null = null;
  readonly tally: Record<FrameKind, { frames: number; bytes: number }> = {
    nd: { frames: 0, bytes: 0 }, events: { frames: 0, bytes: 0 }, checkpoint: { frames: 0, bytes: 0 },
    sync: { frames: 0, bytes: 0 }, end: { frames: 0, bytes: 0 },
  };
  /** Called with each frame as it is sent, with its index (drop injections count values here). */
  onSend: ((index: number, frame: Frame) => void) | null = null;

  /** The recorder's sink: `new Recorder(opts, (h) => link.sink(h))`. */
  sink(header: LogHeader): FrameSink {
    this.headerBytes = this.cbor.encode(encodeHeader(header));
    this.bytes += this.headerBytes.length;
    this.ndScratch = new Uint8Array(header.ndBufferSize * 16);
    return {
      write: (f) => this.send(f),
      writeCheckpoint: (cp) => this.sendCheckpoint(cp),
      flush: () => {},
      finish: (end: Omit<EndFrame, 'kind'>) => {
        this.send({ kind: 'end', ...end });
        this.ended = true;
      },
      abort: () => {
        this.aborted = true;
      },
      tally: this.tally,
    };
  }

  /** The header as encoded (what a remote secondary is sent first). */
  get encodedHeader(): Uint8Array {
    if (!this.headerBytes) throw new Error('link: no header sent yet');
    return this.headerBytes;
  }

  /** Encoded frames from index `from` on (what a remote secondary has not been sent yet). */
  encodedSince(from: number): Uint8Array[] {
    return this.frames.slice(Math.max(0, from - this.base));
  }

  /** The receiving end of a remote link: the header, then frames, as encoded by the sender. */
  receiveHeader(bytes: Uint8Array): void {
    this.headerBytes = bytes;
    this.bytes += bytes.length;
  }

  receive(bytes: Uint8Array): void {
    const index = this.nextIndex;
    this.offsets.push(this.bytes);
    this.frames.push(bytes);
    this.bytes += bytes.length;
    if (this.onSend) this.onSend(index, decodeFrame(this.cbor, bytes, this.bytes - bytes.length));
  }

  /** The header as the secondary receives it. */
  header(): LogHeader {
    if (!this.headerBytes) throw new Error('link: no header sent yet');
    return decodeHeader(makeCbor().decode(this.headerBytes));
  }

  /** Index the next frame will have. */
  get nextIndex(): number {
    return this.base + this.frames.length;
  }

  private send(frame: Frame): number {
    if (this.ended) throw new Error('link: frame after the end frame');
    const bytes = encodeFrame(this.cbor, frame, frame.kind === 'nd' ? this.ndScratch ?? undefined : undefined);
    const offset = this.bytes;
    this.onSend?.(this.nextIndex, frame);
    this.frames.push(bytes);
    this.offsets.push(offset);
    this.bytes += bytes.length;
    const t = this.tally[frame.kind];
    t.frames++;
    t.bytes += bytes.length;
    return offset;
  }

  private sendCheckpoint(cp: CheckpointInput): number {
    let first = -1;
    for (const f of checkpointParts(cp, this.checkpoints++, this.lastCheckpoint)) {
      const at = this.send(f);
      if (f.part === 0) first = at;
    }
    this.lastCheckpoint = first;
    return first;
  }

  /** Frame `index` decoded, or null when it has not been sent yet. */
  read(index: number, cbor: Encoder): LinkFrame | null {
    const i = index - this.base;
    if (i < 0) throw new Error(`link: frame ${index} was already dropped`);
    if (i >= this.frames.length) return null;
    return { index, offset: this.offsets[i], frame: decodeFrame(cbor, this.frames[i], this.offsets[i]) };
  }

  /** A reader starting at frame `from` (default: the next frame to be sent). */
  cursor(from = this.nextIndex): LinkCursor {
    return new LinkCursor(this, from);
  }

  /** Forget frames before `index`: no cursor will read them again. */
  dropBefore(index: number): void {
    const n = Math.min(this.frames.length, index - this.base);
    if (n <= 0) return;
    this.frames.splice(0, n);
    this.offsets.splice(0, n);
    this.base += n;
  }

  /** The receiving end joined late (a full resync): the next frame received is frame `index`. */
  skipTo(index: number): void {
    if (index < this.nextIndex) return;
    this.frames.length = 0;
    this.offsets.length = 0;
    this.base = index;
  }

  /** Frames held now (not yet dropped). */
  get held(): number {
    return this.frames.length;
  }
}

/** One reader of the link. next() returns null when it has read everything sent so far; more may come. */
export class LinkCursor implements FrameSource {
  private readonly cbor = makeCbor();
  /** Applied to each frame read (drop injections); may return the frame changed. */
  filter: ((f: LinkFrame) => LinkFrame) | null = null;

  constructor(private readonly link: FrameLink, private pos: number) {}

  get position(): number {
    return this.pos;
  }

  next(): LinkFrame | null {
    const f = this.link.read(this.pos, this.cbor);
    if (!f) return null;
    this.pos++;
    return this.filter ? this.filter(f) : f;
  }

  get cut(): { message: string } | null {
    return this.link.aborted && this.pos >= this.link.nextIndex ? { message: 'link: the primary stopped without an end frame' } : null;
  }

  close(): void {}
}

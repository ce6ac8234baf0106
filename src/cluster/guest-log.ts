// The log of a guest on a primary node: the recorder's frames (the same
// bytes a log file holds, replay/frame-wire.ts) kept in memory in segments,
// one per state taken. A state's sync point closes the open segment, so a
// segment holds exactly what a replay needs to go from one state to the
// next: the frames after the previous state's sync point up to and
// including this state's. Segments are content-addressed blobs like pages;
// the node keeps them until a state at or after their end is committed on
// a secondary (dropBefore), and a migrating guest takes them with it.

import type { Encoder } from 'cbor-x';
import { makeCbor } from '../replay/cbor-fields.js';
import { FRAME_HEADER_BYTES } from '../replay/log-format.js';
import { checkpointParts, encodeFrame } from '../replay/frame-wire.js';
import { decodeHeader, encodeHeader, type LogHeader } from '../replay/log-format.js';
import type { Frame, FrameKind } from '../replay/frames.js';
import type { FrameSink } from '../replay/recorder.js';
import { blobHash } from './vm-state.js';

export interface LogSegment {
  /** Icount of the state (sync point) it starts after; 0: power-on. */
  from: number;
  /** Icount of the sync point it ends with. */
  to: number;
  hash: string;
  bytes: Uint8Array;
}

/** What a migrating guest's log carries to its new node. */
export interface LogCarry {
  header: Uint8Array;
  segments: LogSegment[];
  /** Icount of the last sync point written (where the next segment starts). */
  at: number;
  ended: boolean;
}

export class GuestLog {
  private readonly cbor: Encoder = makeCbor();
  private headerBytes: Uint8Array | null;
  private ndScratch: Uint8Array | null = null;
  private open: Uint8Array[] = [];
  private openBytes = 0;
  private at: number;
  /** The recorder wrote the end frame (the guest ended): nothing more comes. */
  ended = false;
  /** Closed segments not yet known to be committed, oldest first. */
  segments: LogSegment[];
  readonly tally: Record<FrameKind, { frames: number; bytes: number }> = {
    nd: { frames: 0, bytes: 0 }, events: { frames: 0, bytes: 0 }, checkpoint: { frames: 0, bytes: 0 },
    sync: { frames: 0, bytes: 0 }, end: { frames: 0, bytes: 0 },
  };

  /** A new log (power-on), or the one a migrated guest brought. */
  constructor(carry?: LogCarry) {
    this.headerBytes = carry?.header ?? null;
    this.segments = carry?.segments.slice() ?? [];
    this.at = carry?.at ?? 0;
    this.ended = carry?.ended ?? false;
  }

  /** The recorder's sink. A migrated guest keeps the header its log started with (the recorder's own is dropped). */
  sink(header: LogHeader): FrameSink {
    this.headerBytes ??= this.cbor.encode(encodeHeader(header));
    this.ndScratch = new Uint8Array(header.ndBufferSize * 16);
    let checkpoints = 0;
    const put = (f: Frame): number => {
      const b = encodeFrame(this.cbor, f, f.kind === 'nd' ? this.ndScratch ?? undefined : undefined);
      const at = this.openBytes;
      this.open.push(b);
      this.openBytes += b.length;
      this.tally[f.kind].frames++;
      this.tally[f.kind].bytes += b.length;
      return at;
    };
    return {
      write: put,
      writeCheckpoint: (cp) => {
        let first = -1;
        for (const f of checkpointParts(cp, checkpoints++, null)) {
          const at = put(f);
          if (f.part === 0) first = at;
        }
        return first;
      },
      flush: () => {},
      finish: (end) => {
        put({ kind: 'end', ...end });
        this.ended = true;
      },
      abort: () => {},
      tally: this.tally,
    };
  }

  get header(): Uint8Array {
    if (!this.headerBytes) throw new Error('guest log: no header yet');
    return this.headerBytes;
  }

  /** Icount of the last sync point (the end of the newest segment). */
  get syncedAt(): number {
    return this.at;
  }

  /** Close the open segment at the sync point just written at `icount`. */
  cut(icount: number): LogSegment {
    const bytes = new Uint8Array(this.openBytes);
    let o = 0;
    for (const b of this.open) {
      bytes.set(b, o);
      o += b.length;
    }
    const s: LogSegment = { from: this.at, to: icount, hash: blobHash(bytes), bytes };
    this.segments.push(s);
    this.open = [];
    this.openBytes = 0;
    this.at = icount;
    return s;
  }

  /** Forget segments that end at or before `icount` (a state there is committed: no replay starts earlier). */
  dropBefore(icount: number): void {
    this.segments = this.segments.filter((s) => s.to > icount);
  }

  carry(): LogCarry {
    return { header: this.header, segments: this.segments.slice(), at: this.at, ended: this.ended };
  }
}

/** The header a guest log's header blob holds. */
export function logHeaderOf(bytes: Uint8Array): LogHeader {
  return decodeHeader(makeCbor().decode(bytes));
}

/** Split a segment blob into its frames (each one whole: length, CRC, payload; checked when decoded). */
export function splitFrames(bytes: Uint8Array): Uint8Array[] {
  const out: Uint8Array[] = [];
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let o = 0;
  while (o < bytes.length) {
    if (o + FRAME_HEADER_BYTES > bytes.length) throw new Error(`log segment: a frame header cut at byte ${o}`);
    const n = FRAME_HEADER_BYTES + dv.getUint32(o, true);
    if (o + n > bytes.length) throw new Error(`log segment: a frame cut at byte ${o}`);
    out.push(bytes.subarray(o, o + n));
    o += n;
  }
  return out;
}

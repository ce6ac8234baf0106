// One streaming pass over a log, counting what `vmrr inspect` and the
// benchmarks report: frames and bytes per kind, ND entries per kind and
// buffer exits, events and their bytes per kind, checkpoints, sync points,
// the end state, or where and why a cut log stops. An optional visitor sees
// every frame as it is read (inspect --events). Throws LogError on a damaged log.

import { ND_KIND_NAMES } from './nd-block.js';
import { LogReader, type LogCut, type ReadFrame } from './log-reader.js';
import type { LogHeader } from './log-format.js';
import { EVENT_KINDS, type EndFrame, type EventKind, type FrameKind, type LogEvent } from './frames.js';

export interface CheckpointInfo {
  icount: number;
  seq: number;
  /** Offset of part 0. */
  offset: number;
  parts: number;
  pages: number;
  /** Bytes of all its frames. */
  bytes: number;
}

export interface LogSummary {
  path: string;
  header: LogHeader;
  /** The file's format version. */
  version: number;
  incompleteFlag: boolean;
  /** Bytes read: up to the end frame, or to the cut. */
  bytes: number;
  /** Size of the file when the pass ended (more than `bytes` when a partial frame follows a cut). */
  fileBytes: number;
  frames: Record<FrameKind, { frames: number; bytes: number }>;
  nd: {
    /** Entries per kind: rdtsc, rdrand, rdseed, clock. */
    perKind: Record<string, number>;
    entries: number;
    /** nd frames: every flush of the buffer, full or not. */
    blocks: number;
    /** Blocks flushed because the buffer was full: the recorder's buffer exits. */
    bufferExits: number;
    /** Bytes of nd frames per entry. */
    bytesPerEntry: number;
  };
  events: Record<EventKind, number>;
  /** CBOR bytes of the events of each kind inside events frames (frame overhead not included). */
  eventBytes: Record<EventKind, number>;
  checkpoints: { count: number; pages: number; lastIcount: number | null };
  /** Every checkpoint, in file order. */
  checkpointList: CheckpointInfo[];
  syncs: { count: number; lastIcount: number | null };
  firstSyncIcount: number | null;
  /** Highest icount a frame vouches for (its `at`, `icount`). */
  lastIcount: number;
  end: EndFrame | null;
  cut: LogCut | null;
  /** For a cut log, the icount up to which every input was logged (cutReplayableTo). Null for a finished log. */
  replayableTo: number | null;
}

export interface SummarizeOptions {
  /** Called with every frame read, in file order. */
  onFrame?(f: ReadFrame): void;
}

export function summarizeLog(path: string, opts: SummarizeOptions = {}): LogSummary {
  const r = LogReader.open(path);
  try {
    const s: LogSummary = {
      path, header: r.header, version: r.version, incompleteFlag: r.incompleteFlag, bytes: r.dataOffset, fileBytes: 0,
      frames: { nd: z(), events: z(), checkpoint: z(), sync: z(), end: z() },
      nd: { perKind: Object.fromEntries(ND_KIND_NAMES.map((k) => [k, 0])), entries: 0, blocks: 0, bufferExits: 0, bytesPerEntry: 0 },
      events: perEventKind(), eventBytes: perEventKind(),
      checkpoints: { count: 0, pages: 0, lastIcount: null }, checkpointList: [],
      syncs: { count: 0, lastIcount: null }, firstSyncIcount: null,
      lastIcount: 0, end: null, cut: null, replayableTo: null,
    };
    let lastNdAt = -1;
    let lastEventsAt = -1;
    for (const read of r.frames()) {
      const { frame: f, bytes } = read;
      opts.onFrame?.(read);
      s.bytes += bytes;
      s.frames[f.kind].frames++;
      s.frames[f.kind].bytes += bytes;
      let icount = 0;
      if (f.kind === 'nd') {
        for (let i = 0; i < f.count; i++) s.nd.perKind[ND_KIND_NAMES[f.kinds[i]]]++;
        s.nd.entries += f.count;
        s.nd.blocks++;
        if (f.count === r.header.ndBufferSize) s.nd.bufferExits++;
        icount = lastNdAt = f.at;
      } else if (f.kind === 'events') {
        let prev = 0;
        for (const e of f.events) {
          s.events[e.kind]++;
          s.eventBytes[e.kind] += eventCborBytes(e, e.icount - prev);
          prev = e.icount;
        }
        icount = lastEventsAt = f.at;
      } else if (f.kind === 'checkpoint') {
        const last = s.checkpointList[s.checkpointList.length - 1];
        if (f.part === 0 || !last) {
          s.checkpoints.count++;
          s.checkpointList.push({ icount: f.icount, seq: f.seq, offset: read.offset, parts: f.parts, pages: 0, bytes: 0 });
        }
        const cp = s.checkpointList[s.checkpointList.length - 1];
        cp.pages += f.pages.length;
        cp.bytes += bytes;
        s.checkpoints.pages += f.pages.length;
        icount = s.checkpoints.lastIcount = f.icount;
      } else if (f.kind === 'sync') {
        s.syncs.count++;
        s.firstSyncIcount ??= f.icount;
        icount = s.syncs.lastIcount = f.icount;
      } else {
        icount = f.icount;
      }
      s.lastIcount = Math.max(s.lastIcount, icount);
    }
    s.nd.bytesPerEntry = s.nd.entries ? s.frames.nd.bytes / s.nd.entries : 0;
    s.end = r.end;
    s.cut = r.cut;
    s.fileBytes = s.cut ? s.cut.offset + s.cut.partialBytes : s.bytes;
    if (s.cut) s.replayableTo = cutReplayableTo(s.syncs.lastIcount ?? 0, lastNdAt, lastEventsAt);
    return s;
  } finally {
    r.close();
  }
}

/**
 * How far a cut log has every input, as the replayer counts it (Replayer.nextPoint):
 * the recorder flushes ND entries and events before each sync point, so the last
 * sync point is covered; past it, both streams are whole up to the older of
 * their last flushes (-1 for a stream with no frame).
 */
/**
 * How far a cut log can be replayed: the recorder writes pending ND values
 * before every events frame and an events frame after every ND block
 * (recorder.ts), so the last events frame's `at`, or the last sync point,
 * bounds what both streams hold. (`lastNdAt` is kept for the report.)
 */
export function cutReplayableTo(lastSync: number, _lastNdAt: number, lastEventsAt: number): number {
  return Math.max(lastSync, lastEventsAt);
}

/** Bytes of one event as the events codec writes it: the CBOR array [kind code, icount delta, eip, value]. */
export function eventCborBytes(e: LogEvent, delta: number): number {
  const code = EVENT_KINDS.indexOf(e.kind) + 1;
  const value: unknown = e.value;
  const valueBytes = value instanceof Uint8Array ? cborHeadBytes(value.length) + value.length : cborHeadBytes(value as number);
  return 1 + cborHeadBytes(code) + cborHeadBytes(delta) + cborHeadBytes(e.eip) + valueBytes;
}

/** Size of a CBOR head for an unsigned argument (an unsigned integer, or a length); 2^32 and above take 9 bytes either as uint64 or float64. */
function cborHeadBytes(n: number): number {
  return n < 24 ? 1 : n < 0x100 ? 2 : n < 0x10000 ? 3 : n < 0x100000000 ? 5 : 9;
}

function perEventKind(): Record<EventKind, number> {
  return Object.fromEntries(EVENT_KINDS.map((k) => [k, 0])) as Record<EventKind, number>;
}

function z(): { frames: number; bytes: number } {
  return { frames: 0, bytes: 0 };
}

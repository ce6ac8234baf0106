// One streaming pass over a log, counting what `vmrr inspect` and the
// benchmarks report: frames and bytes per kind, ND entries per kind and
// buffer exits, events per kind, checkpoints, sync points, the end state,
// or where and why a cut log stops. Throws LogError on a damaged log.

import { ND_KIND_NAMES } from './nd-block.js';
import { LogReader, type LogCut } from './log-reader.js';
import type { LogHeader } from './log-format.js';
import { EVENT_KINDS, type EndFrame, type EventKind, type FrameKind } from './frames.js';

export interface LogSummary {
  path: string;
  header: LogHeader;
  incompleteFlag: boolean;
  /** Bytes read: up to the end frame, or to the cut. */
  bytes: number;
  frames: Record<FrameKind, { frames: number; bytes: number }>;
  nd: {
    /** Entries per kind: rdtsc, rdrand, rdseed, clock. */
    perKind: Record<string, number>;
    entries: number;
    /** Blocks flushed because the buffer was full: the recorder's buffer exits. */
    bufferExits: number;
    /** Bytes of nd frames per entry. */
    bytesPerEntry: number;
  };
  events: Record<EventKind, number>;
  checkpoints: { count: number; pages: number; lastIcount: number | null };
  syncs: { count: number; lastIcount: number | null };
  /** Highest icount a frame vouches for (its `at`, `icount`). */
  lastIcount: number;
  end: EndFrame | null;
  cut: LogCut | null;
}

export function summarizeLog(path: string): LogSummary {
  const r = LogReader.open(path);
  try {
    const s: LogSummary = {
      path, header: r.header, incompleteFlag: r.incompleteFlag, bytes: r.dataOffset,
      frames: { nd: z(), events: z(), checkpoint: z(), sync: z(), end: z() },
      nd: { perKind: Object.fromEntries(ND_KIND_NAMES.map((k) => [k, 0])), entries: 0, bufferExits: 0, bytesPerEntry: 0 },
      events: Object.fromEntries(EVENT_KINDS.map((k) => [k, 0])) as Record<EventKind, number>,
      checkpoints: { count: 0, pages: 0, lastIcount: null },
      syncs: { count: 0, lastIcount: null },
      lastIcount: 0, end: null, cut: null,
    };
    for (const { frame: f, bytes } of r.frames()) {
      s.bytes += bytes;
      s.frames[f.kind].frames++;
      s.frames[f.kind].bytes += bytes;
      let icount = 0;
      if (f.kind === 'nd') {
        for (let i = 0; i < f.count; i++) s.nd.perKind[ND_KIND_NAMES[f.kinds[i]]]++;
        s.nd.entries += f.count;
        if (f.count === r.header.ndBufferSize) s.nd.bufferExits++;
        icount = f.at;
      } else if (f.kind === 'events') {
        for (const e of f.events) s.events[e.kind]++;
        icount = f.at;
      } else if (f.kind === 'checkpoint') {
        if (f.part === 0) s.checkpoints.count++;
        s.checkpoints.pages += f.pages.length;
        icount = s.checkpoints.lastIcount = f.icount;
      } else if (f.kind === 'sync') {
        s.syncs.count++;
        icount = s.syncs.lastIcount = f.icount;
      } else {
        icount = f.icount;
      }
      s.lastIcount = Math.max(s.lastIcount, icount);
    }
    s.nd.bytesPerEntry = s.nd.entries ? s.frames.nd.bytes / s.nd.entries : 0;
    s.end = r.end;
    s.cut = r.cut;
    return s;
  } finally {
    r.close();
  }
}

function z(): { frames: number; bytes: number } {
  return { frames: 0, bytes: 0 };
}

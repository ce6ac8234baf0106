// `vmrr inspect LOG`: one streaming pass over a log, returned as the report
// that --json prints (docs/cli-json.md); inspect-text.ts renders it for people.
import { statSync } from 'node:fs';
import { LogError } from '../replay/log-error.js';
import { summarizeLog, type LogSummary } from '../replay/log-summary.js';
import { ND_KIND_NAMES } from '../replay/nd-block.js';
import { EVENT_KINDS, type FrameKind } from '../replay/frames.js';
import type { ReadFrame } from '../replay/log-reader.js';
import { UsageError } from './exit.js';
import { describeFsError } from './sinks.js';

export interface InspectOptions {
  /** List every event and ND block. */
  events?: boolean;
  json?: boolean;
}

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

export interface InspectEvent {
  frame: number;
  icount: number;
  eip: number;
  kind: string;
  /** A number, or a byte string as lowercase hex. */
  value: number | string;
}

export interface InspectNdBlock {
  frame: number;
  offset: number;
  /** icount when the buffer was flushed. */
  at: number;
  entries: number;
  /** Entries per kind: rdtsc, rdrand, rdseed, clock. */
  perKind: Record<string, number>;
  firstIcount: number | null;
  lastIcount: number | null;
  check: number;
  bytes: number;
}

/** The --json object. */
export interface InspectReport {
  log: string;
  formatVersion: number;
  /** An end frame was read: the recorder finished and the file is whole. */
  complete: boolean;
  /** Bytes read: preamble, header and whole frames. */
  bytes: number;
  fileBytes: number;
  header: {
    toolVersion: string;
    created: string;
    imagePath: string;
    imageSha256: string;
    diskPath: string | null;
    diskSha256: string | null;
    clock: string;
    ndBufferSize: number;
    machine: Json;
    /** Bytes of the preamble and header. */
    bytes: number;
  };
  frames: Record<FrameKind | 'total', { frames: number; bytes: number }>;
  events: Record<string, { count: number; bytes: number }>;
  nd: Record<string, number> & { total: number; blocks: number; bufferExits: number; bytesPerEntry: number };
  checkpoints: { count: number; pages: number; bytes: number; icounts: number[] };
  syncs: { count: number; firstIcount: number | null; lastIcount: number | null };
  /** Highest icount a frame vouches for. */
  lastIcount: number;
  end: {
    icount: number;
    eip: number;
    reason: string;
    exitValue: number | null;
    hash: string;
    stats: Record<string, number>;
  } | null;
  cut: {
    offset: number;
    afterFrame: number;
    partialBytes: number;
    /** The incomplete flag was clear: the recorder finished and the file was cut later. */
    recorderFinished: boolean;
    /** Every input before this icount is in the log. */
    replayableTo: number;
    message: string;
  } | null;
  /** With --events: every event, in file order. */
  eventList?: InspectEvent[];
  /** With --events: every nd frame, in file order. */
  ndBlocks?: InspectNdBlock[];
}

export async function inspectCommand(path: string, opts: InspectOptions): Promise<InspectReport> {
  checkReadable(path);
  const eventList: InspectEvent[] = [];
  const ndBlocks: InspectNdBlock[] = [];
  let summary: LogSummary;
  try {
    summary = summarizeLog(path, opts.events ? { onFrame: (f) => listFrame(f, eventList, ndBlocks) } : {});
  } catch (e) {
    if (e instanceof LogError) throw new UsageError(e.message);
    throw e;
  }
  const report = toReport(summary);
  if (opts.events) Object.assign(report, { eventList, ndBlocks });
  return report;
}

/** A missing or unreadable file gets the same words as a missing image. */
function checkReadable(path: string): void {
  try {
    if (statSync(path).isDirectory()) throw Object.assign(new Error(), { code: 'EISDIR' });
  } catch (e) {
    throw new UsageError(`cannot read log ${path}: ${describeFsError(e)}`);
  }
}

function listFrame({ frame: f, index, offset, bytes }: ReadFrame, events: InspectEvent[], blocks: InspectNdBlock[]): void {
  if (f.kind === 'events') {
    for (const e of f.events) {
      const value: unknown = e.value;
      events.push({ frame: index, icount: e.icount, eip: e.eip, kind: e.kind, value: value instanceof Uint8Array ? hex(value) : (value as number) });
    }
  } else if (f.kind === 'nd') {
    const perKind: Record<string, number> = Object.fromEntries(ND_KIND_NAMES.map((k) => [k, 0]));
    for (let i = 0; i < f.count; i++) perKind[ND_KIND_NAMES[f.kinds[i]]]++;
    blocks.push({
      frame: index, offset, at: f.at, entries: f.count, perKind,
      firstIcount: f.count ? f.icounts[0] : null, lastIcount: f.count ? f.icounts[f.count - 1] : null,
      check: f.check >>> 0, bytes,
    });
  }
}

function toReport(s: LogSummary): InspectReport {
  const h = s.header;
  const frames = { ...s.frames, total: { frames: 0, bytes: s.bytes } } as InspectReport['frames'];
  for (const k of Object.keys(s.frames) as FrameKind[]) frames.total.frames += s.frames[k].frames;
  return {
    log: s.path,
    formatVersion: s.version,
    complete: s.end !== null,
    bytes: s.bytes,
    fileBytes: s.fileBytes,
    header: {
      toolVersion: h.toolVersion, created: h.created, imagePath: h.imagePath, imageSha256: h.imageSha256,
      diskPath: h.diskPath, diskSha256: h.diskSha256, clock: h.clock, ndBufferSize: h.ndBufferSize,
      machine: toJson(h.machine), bytes: s.bytes - sumBytes(s),
    },
    frames,
    events: Object.fromEntries(EVENT_KINDS.map((k) => [k, { count: s.events[k], bytes: s.eventBytes[k] }])),
    nd: { ...s.nd.perKind, total: s.nd.entries, blocks: s.nd.blocks, bufferExits: s.nd.bufferExits, bytesPerEntry: s.nd.bytesPerEntry },
    checkpoints: {
      count: s.checkpoints.count, pages: s.checkpoints.pages, bytes: s.frames.checkpoint.bytes,
      icounts: s.checkpointList.map((c) => c.icount),
    },
    syncs: { count: s.syncs.count, firstIcount: s.firstSyncIcount, lastIcount: s.syncs.lastIcount },
    lastIcount: s.lastIcount,
    end: s.end && {
      icount: s.end.icount, eip: s.end.eip, reason: s.end.reason, exitValue: s.end.exitValue, hash: hex(s.end.hash), stats: s.end.stats,
    },
    cut: s.cut && {
      offset: s.cut.offset, afterFrame: s.cut.afterFrame, partialBytes: s.cut.partialBytes, recorderFinished: s.cut.finished,
      replayableTo: s.replayableTo ?? 0, message: s.cut.message,
    },
  };
}

function sumBytes(s: LogSummary): number {
  let n = 0;
  for (const k of Object.keys(s.frames) as FrameKind[]) n += s.frames[k].bytes;
  return n;
}

/** The header's machine map as JSON: byte strings become hex. */
function toJson(v: unknown): Json {
  if (v instanceof Uint8Array) return hex(v);
  if (Array.isArray(v)) return v.map(toJson);
  if (typeof v === 'object' && v !== null) return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, toJson(x)]));
  if (typeof v === 'bigint') return Number(v);
  if (typeof v === 'number' || typeof v === 'string' || typeof v === 'boolean' || v === null) return v;
  return String(v);
}

export function hex(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length).toString('hex');
}

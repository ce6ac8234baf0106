// A log fuzzer: seeded mutations of real logs, at the byte level and at the
// CBOR level (a frame's payload decoded, one field replaced, re-encoded,
// its length and CRC-32 recomputed so the reader's CRC check passes), run
// through the reader, `inspect`, `replay` (verifying) and `replay --to`, all
// in this process. Each case ends in one outcome:
//   ok          the command finished (a verdict, a divergence or a cut)
//   refused     a clean refusal: one of the CLI's user errors (exit 2)
//   internal    anything else thrown: a bug
//   hang        the command did not finish within its time budget
// Used by test/fuzz/log-fuzz.test.ts (a few thousand cases) and by
// `npm run fuzz` (scripts/fuzz.ts, 100,000 by default).

import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Encoder, decode } from 'cbor-x';
import { crc32 } from '../../src/replay/crc32.js';
import { PREAMBLE_BYTES } from '../../src/replay/log-format.js';
import { isUserError } from '../../src/cli/exit.js';
import { replayCommand } from '../../src/cli/replay.js';
import { inspectCommand } from '../../src/cli/inspect.js';
import { LogReader } from '../../src/replay/log-reader.js';

export type Outcome = 'ok' | 'refused' | 'internal' | 'hang';

export interface FuzzResult {
  counts: Record<Outcome, number>;
  /** Distinct internal-error messages (first line), with a case that shows each. */
  internal: Map<string, string>;
  hangs: string[];
  /** Largest resident-set growth seen over one case, in bytes. */
  maxRssGrowth: number;
  cases: number;
  /** The case that took longest (a hang is one over the budget). */
  slowest: { ms: number; label: string };
}

/** A small deterministic PRNG (mulberry32). */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface FrameAt {
  offset: number;
  length: number;
}

/** Frame boundaries of a log (header included, as frame 0). */
export function framesOf(bytes: Uint8Array): FrameAt[] {
  const out: FrameAt[] = [];
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  for (let at = PREAMBLE_BYTES; at + 8 <= bytes.length;) {
    const len = dv.getUint32(at, true);
    if (at + 8 + len > bytes.length) break;
    out.push({ offset: at, length: len });
    at += 8 + len;
  }
  return out;
}

const cbor = new Encoder({ useRecords: false, mapsAsObjects: true, tagUint8Array: false, variableMapSize: true });

/** Values to put where a field was: wrong kinds, edge numbers, deep or huge shapes. */
function oddValue(r: () => number, old: unknown): unknown {
  const pick = Math.floor(r() * 16);
  switch (pick) {
    case 0: return undefined;
    case 1: return null;
    case 2: return -1;
    case 3: return 2 ** 53;
    case 4: return 1.5;
    case 5: return 'x';
    case 6: return BigInt('18446744073709551615');
    case 7: return {};
    case 8: return [];
    case 9: return new Uint8Array(Math.floor(r() * 40));
    case 10: return Number.NaN;
    case 11: return typeof old === 'number' ? old + 1 : 0;
    case 12: return typeof old === 'number' ? (old ^ 0xffffffff) >>> 0 : true;
    case 13: return Array.isArray(old) ? old.slice(0, Math.max(0, old.length - 1)) : [old];
    case 14: return typeof old === 'number' ? Math.floor(r() * 2 ** 32) : -Infinity;
    default: return Array.isArray(old) ? [...old, ...old] : { v: 1 };
  }
}

/** Replace one field somewhere inside `v` (a random walk down maps and arrays). */
function mutateValue(v: unknown, r: () => number, depth = 0): unknown {
  if (v === null || typeof v !== 'object' || v instanceof Uint8Array || depth > 8 || r() < 0.15) return oddValue(r, v);
  if (Array.isArray(v)) {
    if (v.length === 0) return oddValue(r, v);
    const i = Math.floor(r() * v.length);
    const copy = v.slice();
    copy[i] = mutateValue(v[i], r, depth + 1);
    return copy;
  }
  const keys = Object.keys(v as object);
  if (keys.length === 0) return oddValue(r, v);
  const k = keys[Math.floor(r() * keys.length)];
  const copy: Record<string, unknown> = { ...(v as Record<string, unknown>) };
  const nv = mutateValue(copy[k], r, depth + 1);
  if (nv === undefined) delete copy[k];
  else copy[k] = nv;
  return copy;
}

/** One frame's payload decoded, a field replaced, re-encoded with a correct length and CRC. */
function cborMutation(bytes: Uint8Array, r: () => number, frames: FrameAt[], kinds: number[]): Uint8Array | null {
  // Half the time a checkpoint frame (code 3): machine states are what the decode layer must guard.
  const cps = frames.filter((_, i) => kinds[i] === 3);
  const f = cps.length > 0 && r() < 0.5 ? cps[Math.floor(r() * cps.length)] : frames[Math.floor(r() * frames.length)];
  let payload: unknown;
  try {
    payload = decode(bytes.subarray(f.offset + 8, f.offset + 8 + f.length));
  } catch {
    return null;
  }
  let enc: Uint8Array;
  try {
    // Mostly inside the body ([code, body]): a whole payload replaced only tests the frame layer.
    const mutated = Array.isArray(payload) && payload.length === 2 && r() < 0.9 ? [payload[0], mutateValue(payload[1], r, 1)] : mutateValue(payload, r);
    enc = cbor.encode(mutated);
  } catch {
    return null;
  }
  return replaceFrame(bytes, f, enc);
}

/**
 * The log with frame `f`'s payload rewritten by `edit` (given the decoded
 * [code, body]) and a CRC that matches: a damage past the frame layer.
 */
export function rewriteFrame(bytes: Uint8Array, f: FrameAt, edit: (payload: unknown) => unknown): Uint8Array {
  const payload = decode(bytes.subarray(f.offset + 8, f.offset + 8 + f.length));
  return replaceFrame(bytes, f, cbor.encode(edit(payload)));
}

function replaceFrame(bytes: Uint8Array, f: FrameAt, enc: Uint8Array): Uint8Array {
  const head = new Uint8Array(8);
  const dv = new DataView(head.buffer);
  dv.setUint32(0, enc.length, true);
  const crc = crc32(enc, 0, enc.length, crc32(head, 0, 4));
  dv.setUint32(4, crc >>> 0, true);
  const out = new Uint8Array(bytes.length - f.length + enc.length);
  out.set(bytes.subarray(0, f.offset), 0);
  out.set(head, f.offset);
  out.set(enc, f.offset + 8);
  out.set(bytes.subarray(f.offset + 8 + f.length), f.offset + 8 + enc.length);
  return out;
}

function byteMutation(bytes: Uint8Array, r: () => number): Uint8Array {
  const out = Uint8Array.from(bytes);
  const kind = Math.floor(r() * 4);
  const at = Math.floor(r() * out.length);
  if (kind === 0) {
    out[at] ^= 1 << Math.floor(r() * 8);
    return out;
  }
  if (kind === 1) {
    for (let i = 0; i < 1 + r() * 16 && at + i < out.length; i++) out[at + i] = Math.floor(r() * 256);
    return out;
  }
  if (kind === 2) return out.subarray(0, at);
  const ins = Array.from({ length: 1 + Math.floor(r() * 8) }, () => Math.floor(r() * 256));
  const grown = new Uint8Array(out.length + ins.length);
  grown.set(out.subarray(0, at), 0);
  grown.set(ins, at);
  grown.set(out.subarray(at), at + ins.length);
  return grown;
}

export interface Corpus {
  /** The seed logs' bytes and the icounts their checkpoints are at (for replay --to). */
  logs: { name: string; bytes: Uint8Array; seekTo: number[]; image: string }[];
}

/** Checkpoint icounts of a log, read back, for seeking targets. */
export function checkpointIcounts(path: string): number[] {
  const r = LogReader.open(path);
  const out: number[] = [];
  try {
    for (const f of r.frames()) if (f.frame.kind === 'checkpoint' && f.frame.part === 0) out.push(f.frame.icount);
  } finally {
    r.close();
  }
  return out;
}

const sinks = { guestStdout: () => {}, warn: () => {} };

async function within<T>(ms: number, body: (signal: AbortSignal) => Promise<T>): Promise<T | 'hang'> {
  const ac = new AbortController();
  const t = setTimeout(() => ac.abort(), ms);
  try {
    const v = await body(ac.signal);
    return ac.signal.aborted ? 'hang' : v;
  } finally {
    clearTimeout(t);
  }
}

/** Run `cases` mutated logs from `corpus` through the commands; `seed` fixes every choice. */
export interface FuzzOptions {
  caseMs?: number;
  onCase?: (i: number) => void;
  /** Run only this case (every random choice of the others is still drawn, so it is the same case). */
  only?: number;
  /** Keep the case's log here (with `only`). */
  keep?: string;
  /** Relative weights of the targets: read, inspect, replay, replay --to (default 1 each). */
  weights?: [number, number, number, number];
}

function pickTarget(r: () => number, w: [number, number, number, number]): number {
  let x = r() * (w[0] + w[1] + w[2] + w[3]);
  for (let i = 0; i < 3; i++) {
    if (x < w[i]) return i;
    x -= w[i];
  }
  return 3;
}

export async function fuzzLogs(corpus: Corpus, cases: number, seed: number, opts: FuzzOptions = {}): Promise<FuzzResult> {
  const r = rng(seed);
  const dir = mkdtempSync(join(tmpdir(), 'vmrr-fuzz-'));
  const res: FuzzResult = { counts: { ok: 0, refused: 0, internal: 0, hang: 0 }, internal: new Map(), hangs: [], maxRssGrowth: 0, cases: 0, slowest: { ms: 0, label: '' } };
  const frameCache = new Map<string, { frames: FrameAt[]; kinds: number[] }>();
  for (let i = 0; i < cases; i++) {
    const seedLog = corpus.logs[Math.floor(r() * corpus.logs.length)];
    let cached = frameCache.get(seedLog.name);
    if (!cached) {
      const frames = framesOf(seedLog.bytes);
      const kinds = frames.map((f, i) => {
        if (i === 0) return -1;
        try {
          const p = decode(seedLog.bytes.subarray(f.offset + 8, f.offset + 8 + f.length));
          return Array.isArray(p) ? Number(p[0]) : -1;
        } catch {
          return -1;
        }
      });
      frameCache.set(seedLog.name, (cached = { frames, kinds }));
    }
    const cborLevel = r() < 0.6;
    const bytes = (cborLevel ? cborMutation(seedLog.bytes, r, cached.frames, cached.kinds) : null) ?? byteMutation(seedLog.bytes, r);
    const target = pickTarget(r, opts.weights ?? [1, 1, 1, 1]);
    const to = seedLog.seekTo.length > 0 && r() < 0.8 ? seedLog.seekTo[Math.floor(r() * seedLog.seekTo.length)] + Math.floor(r() * 1000) : Math.floor(r() * 50_000);
    const withEvents = r() < 0.5;
    if (opts.only !== undefined && opts.only !== i) continue;
    const path = join(dir, `case-${i % 8}.vmrr`);
    writeFileSync(path, bytes);
    if (opts.keep) writeFileSync(opts.keep, bytes);
    const label = `seed ${seed} case ${i}: ${seedLog.name}, ${cborLevel ? 'cbor' : 'byte'} mutation, ${['read', 'inspect', 'replay', `replay --to ${to}`][target]}`;
    const rss = process.memoryUsage().rss;
    const t0 = performance.now();
    let outcome: Outcome;
    try {
      const v = await within(opts.caseMs ?? 10_000, async (signal) => {
        switch (target) {
          case 0: {
            const lr = LogReader.open(path);
            try {
              for (const f of lr.frames()) void f;
            } finally {
              lr.close();
            }
            return 'ok';
          }
          case 1:
            await inspectCommand(path, { events: withEvents });
            return 'ok';
          case 2:
            await replayCommand(path, { image: seedLog.image, force: false, verify: true, json: true }, { ...sinks, signal });
            return 'ok';
          default:
            await replayCommand(path, { image: seedLog.image, force: false, verify: true, json: true, to }, { ...sinks, signal });
            return 'ok';
        }
      });
      outcome = v === 'hang' ? 'hang' : 'ok';
    } catch (e) {
      if (isUserError(e)) outcome = 'refused';
      else {
        outcome = 'internal';
        const msg = `${(e as Error)?.name ?? typeof e}: ${String((e as Error)?.message ?? e).split('\n')[0]}`;
        const key = msg.replace(/\d+/g, 'N');
        if (!res.internal.has(key)) res.internal.set(key, `${label}: ${msg}\n${String((e as Error)?.stack ?? '').split('\n').slice(1, 4).join('\n')}`);
      }
    }
    const ms = performance.now() - t0;
    if (ms > res.slowest.ms) res.slowest = { ms, label };
    if (outcome === 'hang') res.hangs.push(label);
    res.counts[outcome]++;
    res.cases++;
    res.maxRssGrowth = Math.max(res.maxRssGrowth, process.memoryUsage().rss - rss);
    opts.onCase?.(i);
  }
  return res;
}

/** The seed corpus: logs recorded by the CLI under test/fuzz/corpus (made by makeCorpus). */
export function loadCorpus(entries: { name: string; path: string; image: string }[]): Corpus {
  return { logs: entries.map((e) => ({ name: e.name, bytes: new Uint8Array(readFileSync(e.path)), seekTo: checkpointIcounts(e.path), image: e.image })) };
}

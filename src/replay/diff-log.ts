// What `diff` reads from the two logs without replaying them: the sync
// points that bracket the first difference (by the logs' state hashes), and
// the logged inputs (ND values, events) compared in log order, which name
// the input that made two executions part.

import { LogReader } from './log-reader.js';
import type { SyncFrame, EndFrame } from './frames.js';
import { ndKindName } from './nd-block.js';
import type { ResumePoint } from './replay-cursor.js';
import type { OutputMark } from './output-ledger.js';

export interface LoggedSync {
  frame: SyncFrame;
  /** Where a replay restored at this sync point goes on reading. */
  resume: ResumePoint;
}

/** Sync points and the end frame of a log, read without replaying it. */
export function syncPointsOf(path: string): { syncs: LoggedSync[]; end: EndFrame | null } {
  const r = LogReader.open(path);
  try {
    const syncs: LoggedSync[] = [];
    for (const f of r.frames()) {
      const fr = f.frame;
      if (fr.kind === 'sync') syncs.push({ frame: fr, resume: { icount: fr.icount, offset: r.position, index: r.framesRead + 1, out: fr.out ?? null } });
    }
    return { syncs, end: r.end };
  } finally {
    r.close();
  }
}

/** A log's inputs (ND values and events) at or after `from`, in log order, ending at the first sync frame after `to`. */
export function* loggedInputs(path: string, from: number, to = Infinity): Generator<{ icount: number; kind: string; value: string; key: string }> {
  const r = LogReader.open(path);
  try {
    for (const f of r.frames()) {
      const fr = f.frame;
      if (fr.kind === 'nd') {
        for (let k = 0; k < fr.count; k++) {
          const ic = fr.icounts[k];
          if (ic >= from) yield { icount: ic, kind: ndKindName(fr.kinds[k]), value: String(fr.values[k]), key: `${ic}:${fr.kinds[k]}:${fr.values[k]}` };
        }
      } else if (fr.kind === 'events') {
        for (const e of fr.events) {
          if (e.icount >= from) yield { icount: e.icount, kind: `${e.kind} event`, value: String(e.value), key: `${e.icount}:${e.kind}:${e.eip}:${e.value}` };
        }
      } else if (fr.kind === 'sync' && fr.icount > to) {
        return;
      }
    }
  } finally {
    r.close();
  }
}

/** ND entries and events a log has at icounts in [from, to], by "icount:kind". */
export function inputsNear(path: string, from: number, to: number): Map<string, string> {
  const found = new Map<string, string>();
  for (const x of loggedInputs(path, from, to)) {
    if (x.icount > to) continue;
    const key = `${x.icount}:${x.kind}`;
    found.set(key, found.has(key) && x.kind.endsWith('event') ? `${found.get(key)}, ${x.value}` : x.value);
  }
  return found;
}

export const hexOf = (b: Uint8Array): string => Buffer.from(b).toString('hex');

/**
 * The icount of the first input (ND value or event) at or after `from` in
 * which the logs differ, and how many were equal before it. Equal states at
 * `from` and equal inputs after it mean equal executions (determinism).
 */
export function firstInputDifference(a: string, b: string, from: number, limit = 1): { icount: number | null; compared: number; at: number[] } {
  const ia = loggedInputs(a, from), ib = loggedInputs(b, from);
  let compared = 0;
  const at: number[] = [];
  try {
    for (;;) {
      const x = ia.next(), y = ib.next();
      if (x.done && y.done) break;
      if (x.done || y.done) {
        at.push(Math.min(x.done ? Infinity : x.value.icount, y.done ? Infinity : y.value.icount));
        break;
      }
      // Paired in log order: once the logs' positions part, later pairs say nothing more.
      if (x.value.icount !== y.value.icount) {
        at.push(Math.min(x.value.icount, y.value.icount));
        break;
      }
      if (x.value.key !== y.value.key) {
        if (at[at.length - 1] !== x.value.icount) at.push(x.value.icount);
        if (at.length >= limit) break;
      } else if (at.length === 0) {
        compared++;
      }
    }
  } finally {
    ia.return(undefined);
    ib.return(undefined);
  }
  return { icount: at[0] ?? null, compared, at };
}

/** The two sides' positions bracketing the first difference, from their logs' sync hashes. */
export interface Bracket {
  lastCommon: number;
  firstDiffer: number | null;
  endA: EndFrame | null;
  endB: EndFrame | null;
  /** B's sync point at lastCommon, when B can adopt A's state there (same output so far, by the logs' digests). */
  adoptAt: ResumePoint | null;
}

export function bracket(a: string, b: string, fromStart: boolean): Bracket {
  const ca = syncPointsOf(a), cb = syncPointsOf(b);
  const bySync = new Map(cb.syncs.map((s) => [s.frame.icount, s]));
  let lastCommon = 0;
  let firstDiffer: number | null = null;
  let adoptAt: ResumePoint | null = null;
  for (const s of fromStart ? [] : ca.syncs) {
    const other = bySync.get(s.frame.icount);
    if (other === undefined) continue;
    // The guest-state hashes where both logs have them: device and clock state (host time) differ between any two host-clock recordings.
    const same = s.frame.ghash && other.frame.ghash ? hexOf(s.frame.ghash) === hexOf(other.frame.ghash) : hexOf(s.frame.hash) === hexOf(other.frame.hash);
    if (!same || other.frame.eip !== s.frame.eip) {
      firstDiffer = s.frame.icount;
      break;
    }
    lastCommon = s.frame.icount;
    // B can take A's whole state only where the whole states agree (device and clock state included).
    const sameOut = s.frame.out && other.frame.out && JSON.stringify(marks(s.frame.out)) === JSON.stringify(marks(other.frame.out));
    adoptAt = sameOut && hexOf(s.frame.hash) === hexOf(other.frame.hash) ? other.resume : null;
  }
  return { lastCommon, firstDiffer, endA: ca.end, endB: cb.end, adoptAt };
}

/** Counts and digests of an output mark (the interval bytes differ in where intervals start). */
export const marks = (m: OutputMark): [string, number, string][] => Object.entries(m).map(([k, c]) => [k, c.count, c.digest]);

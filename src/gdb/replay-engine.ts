// A replay that can be put at any icount, as rr does it: restore the nearest
// earlier state (an in-memory snapshot, a checkpoint of the log, or power-on)
// and replay forward. Snapshots are taken on the way: at the quarter points of
// every backward seek (so repeated reverse steps replay less and less) and
// every AUTO_SNAPSHOT_EVERY instructions of forward replay; at most
// MAX_SNAPSHOTS are kept, the power-on one always, then those nearest the
// current position. Forward replay goes through the log's control points
// (sync points are checked: EIP, as `vmrr replay` does without --verify).

import type { Machine, StopInfo } from '../machine/machine.js';
import { CheckpointTracker, applyCheckpoints, type Checkpoint } from '../machine/checkpoints.js';
import { ReplayDivergence, type ControlPoint, type ReplayCursor, type Replayer } from '../replay/replayer.js';
import { NdDivergence } from '../replay/nd-buffer.js';
import { findSeekPoint } from '../replay/seek.js';
import { LogReader } from '../replay/log-reader.js';

export const MAX_SNAPSHOTS = 24;
/** Instructions of forward replay between automatic snapshots. */
export const AUTO_SNAPSHOT_EVERY = 5_000_000;
/** A backward seek shorter than this replays without taking snapshots on the way. */
export const MIN_SNAPSHOT_GAP = 2_000;

export interface Snapshot {
  icount: number;
  ckpt: Checkpoint;
  cursor: ReplayCursor;
  cp: ControlPoint | null;
}

/** How a stretch of forward replay ended. */
export type Advance =
  | { kind: 'reached' }
  /** Stopped early by Machine.requestBreak (a watchpoint) after the current instruction. */
  | { kind: 'break' }
  /** The log's end (or where a cut log stops): nothing to replay beyond. */
  | { kind: 'end'; stop: StopInfo | null }
  | { kind: 'divergence'; message: string };

export class ReplayEngine {
  readonly snapshots: Snapshot[] = [];
  /** icounts of the log's own checkpoints. */
  readonly logCheckpoints: number[];
  private readonly tracker: CheckpointTracker;
  private cp: ControlPoint | null = null;
  private nextAuto = AUTO_SNAPSHOT_EVERY;
  /** Where the log ends, once known. */
  endIcount: number | null = null;
  /** The furthest icount replayed so far: guest output before it has been shown once already. */
  frontier = 0;
  /** Instructions replayed and states restored, for `monitor when` and the cost figures. */
  readonly stats = { replayed: 0, restores: 0 };
  /**
   * Seeks replay through breakpoints and watchpoints: a Machine.requestBreak
   * stop on the way is handed to this (to clear the hit and pass the trap)
   * and the replay goes on.
   */
  onSeekBreak: () => void = () => {};
  private seeking = false;

  constructor(readonly machine: Machine, readonly rp: Replayer, readonly logPath: string) {
    this.tracker = new CheckpointTracker(machine);
    this.logCheckpoints = listCheckpoints(logPath);
    const nd = rp.input.nd;
    machine.sliceHook = () => {
      if (nd.pending) nd.serviceExit();
    };
    this.snapshot();
  }

  get icount(): number {
    return this.machine.cpu.icount;
  }

  get atEnd(): boolean {
    return this.endIcount !== null && this.icount >= this.endIcount;
  }

  /** Keep the state now as an in-memory snapshot. */
  snapshot(): void {
    const at = this.icount;
    if (this.snapshots.some((s) => s.icount === at)) return;
    const s: Snapshot = { icount: at, ckpt: this.tracker.take({ full: true }), cursor: this.rp.saveCursor(), cp: this.cp };
    const i = this.snapshots.findIndex((x) => x.icount > at);
    this.snapshots.splice(i < 0 ? this.snapshots.length : i, 0, s);
    while (this.snapshots.length > MAX_SNAPSHOTS) {
      let far = 1;
      for (let k = 2; k < this.snapshots.length; k++) {
        if (Math.abs(this.snapshots[k].icount - at) > Math.abs(this.snapshots[far].icount - at)) far = k;
      }
      this.snapshots.splice(far, 1);
    }
  }

  /** The latest state strictly before `icount` that can be restored (always exists: power-on). */
  baseBefore(icount: number): number {
    let best = 0;
    for (const s of this.snapshots) if (s.icount < icount && s.icount > best) best = s.icount;
    for (const c of this.logCheckpoints) if (c < icount && c > best) best = c;
    return best;
  }

  /** Put the machine at `icount` exactly (before the instruction there). */
  seekTo(icount: number): Advance {
    this.seeking = true;
    try {
      return this.seekExactly(icount);
    } finally {
      this.seeking = false;
    }
  }

  private seekExactly(icount: number): Advance {
    if (icount === this.icount) return { kind: 'reached' };
    const base = this.baseBefore(icount + 1);
    if (icount < this.icount || base > this.icount) this.restore(base);
    const gap = icount - this.icount;
    if (gap >= MIN_SNAPSHOT_GAP) {
      for (let k = 1; k <= 3; k++) {
        const r = this.advance(this.icount + Math.floor((icount - this.icount) / (5 - k)));
        if (r.kind !== 'reached') return r;
        this.snapshot();
      }
    }
    return this.advance(icount);
  }

  /** Restore the snapshot or log checkpoint at exactly `icount`. */
  private restore(icount: number): void {
    this.stats.restores++;
    const s = this.snapshots.find((x) => x.icount === icount);
    if (s) {
      applyCheckpoints(this.machine, [s.ckpt]);
      this.rp.restoreCursor(s.cursor);
      this.cp = s.cp;
    } else {
      const sp = findSeekPoint(this.logPath, icount);
      if (!sp || sp.icount !== icount) throw new Error(`no checkpoint at icount ${icount}`);
      applyCheckpoints(this.machine, sp.chain);
      this.rp.seek(sp.offset, sp.index);
      this.cp = null;
      this.snapshot();
    }
    this.tracker.markCommon();
    this.nextAuto = (Math.floor(this.icount / AUTO_SNAPSHOT_EVERY) + 1) * AUTO_SNAPSHOT_EVERY;
  }

  /**
   * Replay forward to `target` (absolute), through the log's control points.
   * Synchronous: a replay never waits for the host.
   */
  advance(target: number): Advance {
    const m = this.machine;
    try {
      while (this.icount < target) {
        this.cp ??= this.rp.nextPoint();
        const cp = this.cp;
        const at = cp.kind === 'cut' ? cp.safeIcount : cp.kind === 'end' ? cp.frame.icount : cp.frame.icount;
        if ((cp.kind === 'end' || cp.kind === 'cut') && this.icount >= at) {
          this.endIcount = this.icount;
          return { kind: 'end', stop: null };
        }
        const to = Math.min(target, at, this.nextAuto);
        const before = this.icount;
        const stop = m.run(to);
        this.stats.replayed += this.icount - before;
        if (this.icount > this.frontier) this.frontier = this.icount;
        this.rp.input.nd.serviceExit();
        if (stop.reason === 'interrupted') {
          if (!this.seeking) return { kind: 'break' };
          this.onSeekBreak();
          continue;
        }
        if (stop.reason !== 'limit') {
          this.endIcount = this.icount;
          if (cp.kind === 'end' && stop.icount === cp.frame.icount && stop.reason === cp.frame.reason) return { kind: 'end', stop };
          return { kind: 'divergence', message: `the replay stopped (${stop.reason}) at icount ${stop.icount}, where the recording did not` };
        }
        if (this.icount === this.nextAuto) {
          this.snapshot();
          this.nextAuto += AUTO_SNAPSHOT_EVERY;
        }
        if (this.icount !== at) continue;
        if (cp.kind === 'sync' && (m.cpu.eip >>> 0) !== cp.frame.eip) {
          return { kind: 'divergence', message: `EIP differs at sync point icount ${at}: the log has 0x${cp.frame.eip.toString(16)}, the replay 0x${(m.cpu.eip >>> 0).toString(16)}` };
        }
        if (cp.kind === 'sync' || cp.kind === 'checkpoint') this.cp = null;
      }
      return { kind: 'reached' };
    } catch (e) {
      if (e instanceof ReplayDivergence || e instanceof NdDivergence) return { kind: 'divergence', message: e.message };
      throw e;
    }
  }
}

/** The icounts of a log's checkpoints (one pass over its frames). */
function listCheckpoints(path: string): number[] {
  const r = LogReader.open(path);
  const out: number[] = [];
  try {
    for (const f of r.frames()) {
      const fr = f.frame;
      if (fr.kind === 'checkpoint' && fr.part === fr.parts - 1) out.push(fr.icount);
    }
  } catch {
    // A damaged tail: the checkpoints before it are still usable.
  } finally {
    r.close();
  }
  return out;
}

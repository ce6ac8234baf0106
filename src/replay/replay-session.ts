// A replay as an object to drive: open (the caller builds the machine from
// the log), seek to any icount through the nearest snapshot or checkpoint,
// step one instruction, run to an icount or the end, read registers and
// memory without side effects, and the verdict. One ReplayCursor moves it
// forward, so every caller (replay, replay --to, diff, the gdb stub) counts
// the same instructions and checks the same sync points.
//
// Going back, as rr does it: the machine is restored to the nearest earlier
// clean place (an in-memory snapshot, a checkpoint in the log, or the start,
// by reopening) and replayed forward. In-memory snapshots can be taken at any
// icount (the machine's state and the cursor's together); the session takes
// them on its own where its options say: at the sync points it passes, every
// N instructions of forward replay, and at the quarter points of a long seek
// (so repeated steps back replay less and less). At most `max` are kept: the
// earliest always, then those nearest the current position.

import type { Machine } from '../machine/machine.js';
import { CheckpointTracker, applyCheckpoints, type Checkpoint } from '../machine/checkpoints.js';
import { restoreSnapshot, takeSnapshot, type Snapshot } from '../machine/snapshot.js';
import { StateHasher } from '../machine/state-hash.js';
import { peekLinear } from '../cpu/paging.js';
import type { Replayer } from './replayer.js';
import { findSeekPoint, listCheckpoints } from './seek.js';
import { ReplayCursor, type CursorState, type ReplayResult, type ResumePoint } from './replay-cursor.js';

/** A machine at icount 0, built from the log and fed by its replayer. */
export interface SessionParts {
  machine: Machine;
  replayer: Replayer;
}

/** Where the session keeps in-memory snapshots on its own. */
export interface SnapshotPolicy {
  /** At most this many (the earliest is never dropped). */
  max: number;
  /** At every sync point passed with matching state. */
  atSyncPoints?: boolean;
  /** Every this many instructions of forward replay. */
  every?: number;
  /** At the quarter points of a seek that replays at least this many instructions. */
  seekGap?: number;
}

export interface SessionOptions {
  /** Compare state hashes and output digests at sync points and the end (default true). */
  verify?: boolean;
  /** In-memory snapshots taken on the way (default: none, only pinned and kept ones). */
  snapshots?: SnapshotPolicy;
  /** Build the machine again at icount 0 (seeking before the first snapshot or checkpoint). */
  reopen?: () => Promise<SessionParts>;
  signal?: AbortSignal;
  onYield?: (icount: number) => void;
  /** Called when the machine was put back at `icount` (a snapshot, a checkpoint, or 0 on reopening): host-side copies of its output should drop what came later. */
  onRestore?: (icount: number) => void;
}

interface Kept {
  icount: number;
  ckpt: Checkpoint;
  cursor: CursorState;
}

export class ReplaySession {
  private parts: SessionParts;
  private cursor!: ReplayCursor;
  private hasher!: StateHasher;
  private tracker!: CheckpointTracker;
  private kept: Kept[] = [];
  private nextAuto = Number.POSITIVE_INFINITY;
  private checkpointList: number[] | null = null;
  /** Instructions replayed and states restored (for a debugger's `monitor when` and cost figures). */
  readonly stats = { replayed: 0, restores: 0 };

  constructor(readonly log: string, parts: SessionParts, private readonly opts: SessionOptions = {}) {
    this.parts = parts;
    this.attach();
  }

  private attach(): void {
    const { machine, replayer } = this.parts;
    this.hasher = new StateHasher(machine);
    this.tracker = new CheckpointTracker(machine);
    this.cursor = new ReplayCursor(machine, replayer, {
      verify: this.opts.verify ?? true,
      hash: () => this.hasher.hashBytes(),
      outputs: replayer.outputs,
      signal: this.opts.signal,
      onYield: this.opts.onYield,
    });
    if (this.opts.snapshots?.atSyncPoints) this.cursor.onResumePoint = () => this.keepHere();
    this.scheduleAuto();
  }

  get machine(): Machine {
    return this.parts.machine;
  }

  get replayer(): Replayer {
    return this.parts.replayer;
  }

  get icount(): number {
    return this.parts.machine.cpu.icount;
  }

  /** The verdict once the replay reached the log's end, a cut or a divergence; null while it can go on. */
  get finished(): ReplayResult | null {
    return this.cursor.finished;
  }

  /** The icounts of the log's checkpoints (read once). */
  get logCheckpoints(): readonly number[] {
    this.checkpointList ??= listCheckpoints(this.log);
    return this.checkpointList;
  }

  /** Run forward to `icount` (stopping early at the end, a divergence, a break or an abort: see the result's reason). */
  async runTo(icount: number): Promise<ReplayResult> {
    for (;;) {
      const before = this.icount;
      const to = Math.min(icount, this.nextAuto);
      const r = await this.cursor.advance(Number.isFinite(to) ? to : undefined);
      this.stats.replayed += this.icount - before;
      if (this.icount === this.nextAuto) {
        this.keepHere();
        this.scheduleAuto();
      }
      if (r.verdict !== 'reached' || r.reason === 'interrupted' || this.icount >= icount || this.icount < to) return r;
    }
  }

  runToEnd(): Promise<ReplayResult> {
    return this.runTo(Number.POSITIVE_INFINITY);
  }

  stepOne(): Promise<ReplayResult> {
    return this.runTo(this.icount + 1);
  }

  /** The latest place strictly before `icount` a seek can restore without replaying from the start (0: the start). */
  baseBefore(icount: number): number {
    let best = 0;
    for (const k of this.kept) if (k.icount < icount && k.icount > best) best = k.icount;
    for (const c of this.logCheckpoints) if (c < icount && c > best) best = c;
    return best;
  }

  /**
   * Be at `icount`, forwards or backwards: from the nearest clean place at or
   * before it that is closer than the current position.
   */
  async seekTo(icount: number): Promise<ReplayResult> {
    const here = this.icount;
    const base = this.baseBefore(icount + 1);
    const forward = icount >= here && base <= here && (!this.cursor.finished || icount === here);
    if (!forward) await this.restore(base, icount >= here && !this.cursor.finished);
    const gap = this.opts.snapshots?.seekGap;
    if (gap !== undefined && icount - this.icount >= gap) {
      for (let k = 1; k <= 3; k++) {
        const r = await this.runTo(this.icount + Math.floor((icount - this.icount) / (5 - k)));
        if (r.verdict !== 'reached' || r.reason === 'interrupted') return r;
        this.keepHere();
      }
    }
    return this.runTo(icount);
  }

  /**
   * Put the machine at `icount`, which is a kept snapshot, a log checkpoint or 0.
   * `orStay`: the caller can go on forward from here instead, so a checkpoint the
   * log lists but cannot give whole (a damaged chain) leaves the machine where it is.
   */
  private async restore(icount: number, orStay = false): Promise<void> {
    const k = this.kept.find((x) => x.icount === icount);
    const cp = k ? null : icount > 0 ? findSeekPoint(this.log, icount) : null;
    if (!k && !(cp && cp.icount === icount) && orStay && !this.opts.reopen) return;
    this.stats.restores++;
    if (k) {
      applyCheckpoints(this.machine, [k.ckpt]);
      this.cursor.load(k.cursor);
    } else if (cp && cp.icount === icount) {
      applyCheckpoints(this.machine, cp.chain);
      this.cursor.resumeAt({ icount: cp.icount, offset: cp.offset, index: cp.index, out: cp.out });
      this.keepHere();
    } else {
      await this.restart();
    }
    this.tracker.markCommon();
    this.scheduleAuto();
    this.opts.onRestore?.(this.icount);
  }

  private scheduleAuto(): void {
    const every = this.opts.snapshots?.every;
    this.nextAuto = every ? (Math.floor(this.icount / every) + 1) * every : Number.POSITIVE_INFINITY;
  }

  /** A snapshot of the machine now (for another session to adopt). */
  snapshot(): Snapshot {
    return takeSnapshot(this.machine);
  }

  /**
   * Take another machine's state as this one's, and continue reading this
   * log at `resume` (diff: both executions are equal up to a sync point, so
   * one side is replayed there and the other adopts its state).
   */
  adopt(snap: Snapshot, resume: ResumePoint): void {
    restoreSnapshot(this.machine, snap);
    this.cursor.resumeAt(resume);
    this.tracker.markCommon();
    this.scheduleAuto();
    this.opts.onRestore?.(this.icount);
  }

  /** Keep a snapshot of the machine here, beyond the policy's limit (diff keeps the place both sides agree). */
  pin(): void {
    this.keepHere(Number.MAX_SAFE_INTEGER);
  }

  /** Keep an in-memory snapshot of the replay at this icount (machine and cursor state together). */
  keepHere(limit = this.opts.snapshots?.max ?? 0): void {
    const at = this.icount;
    if (this.kept.some((k) => k.icount === at)) return;
    const k: Kept = { icount: at, ckpt: this.tracker.take({ full: true }), cursor: this.cursor.save() };
    const i = this.kept.findIndex((x) => x.icount > at);
    this.kept.splice(i < 0 ? this.kept.length : i, 0, k);
    while (this.kept.length > Math.max(limit, 1)) {
      let far = 1;
      for (let j = 2; j < this.kept.length; j++) {
        if (Math.abs(this.kept[j].icount - at) > Math.abs(this.kept[far].icount - at)) far = j;
      }
      this.kept.splice(far, 1);
    }
  }

  private async restart(): Promise<void> {
    if (!this.opts.reopen) throw new Error('this replay session cannot go back before its first snapshot (no reopen)');
    const next = await this.opts.reopen();
    this.parts.replayer.close();
    this.hasher.close();
    this.parts = next;
    this.kept = [];
    this.attach();
  }

  /** Icounts the session can restore without replaying from the start: snapshots kept in memory. */
  snapshots(): number[] {
    return this.kept.map((k) => k.icount);
  }

  /** The state hash now, 16 hex digits (as sync points store it). */
  stateHash(): string {
    return this.hasher.hash();
  }

  /** Linear memory through the guest's current paging, without side effects; stops at the first unmapped byte (undefined if none is mapped). */
  readMemory(lin: number, length: number): Uint8Array | undefined {
    return peekLinear(this.machine.cpu, lin, length);
  }

  close(): void {
    this.hasher.close();
    this.parts.replayer.close();
  }
}

// A replay as an object to drive: open (the caller builds the machine from
// the log), seek to any icount through the nearest snapshot or checkpoint,
// step one instruction, run to an icount or the end, read registers and
// memory without side effects, and the verdict. One ReplayCursor moves it
// forward, so every caller (replay, replay --to, diff, a debugger) counts
// the same instructions.
//
// Going back: the machine is restored to the nearest earlier clean place
// (an in-memory snapshot taken at a sync point the session passed, a
// checkpoint in the log, or the start, by reopening) and replayed forward.

import type { Machine } from '../machine/machine.js';
import { applyCheckpoints } from '../machine/checkpoints.js';
import { restoreSnapshot, takeSnapshot, type Snapshot } from '../machine/snapshot.js';
import { StateHasher } from '../machine/state-hash.js';
import { peekTranslate } from '../cpu/paging.js';
import type { Replayer } from './replayer.js';
import { findSeekPoint } from './seek.js';
import { ReplayCursor, type ReplayResult, type ResumePoint } from './replay-cursor.js';

/** A machine at icount 0, built from the log and fed by its replayer. */
export interface SessionParts {
  machine: Machine;
  replayer: Replayer;
}

export interface SessionOptions {
  /** Compare state hashes and output digests at sync points and the end (default true). */
  verify?: boolean;
  /** Keep in-memory snapshots at the sync points passed, up to this many (default 0: only pinned ones). */
  autoSnapshots?: number;
  /** Build the machine again at icount 0 (seeking before the first snapshot or checkpoint). */
  reopen?: () => Promise<SessionParts>;
  signal?: AbortSignal;
  onYield?: (icount: number) => void;
  /** Called when the machine was put back at `icount` (a snapshot, a checkpoint, or 0 on reopening): host-side copies of its output should drop what came later. */
  onRestore?: (icount: number) => void;
}

interface Kept {
  resume: ResumePoint;
  snap: Snapshot;
}

export class ReplaySession {
  private parts: SessionParts;
  private cursor!: ReplayCursor;
  private hasher!: StateHasher;
  private kept: Kept[] = [];
  /** The last sync point passed, while the machine has not moved from it. */
  private atResume: ResumePoint | null = null;

  constructor(readonly log: string, parts: SessionParts, private readonly opts: SessionOptions = {}) {
    this.parts = parts;
    this.attach();
  }

  private attach(): void {
    const { machine, replayer } = this.parts;
    this.hasher = new StateHasher(machine);
    this.cursor = new ReplayCursor(machine, replayer, {
      verify: this.opts.verify ?? true,
      hash: () => this.hasher.hashBytes(),
      outputs: replayer.outputs,
      signal: this.opts.signal,
      onYield: (ic) => {
        this.atResume = null;
        this.opts.onYield?.(ic);
      },
    });
    this.cursor.onResumePoint = (p) => {
      this.atResume = p;
      const n = this.opts.autoSnapshots ?? 0;
      if (n > 0) this.keep(p, n);
    };
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

  /** Run forward to `icount` (stopping early at the end or a divergence). */
  async runTo(icount: number): Promise<ReplayResult> {
    this.atResume = null;
    return this.cursor.advance(icount);
  }

  runToEnd(): Promise<ReplayResult> {
    this.atResume = null;
    return this.cursor.advance();
  }

  stepOne(): Promise<ReplayResult> {
    return this.runTo(this.icount + 1);
  }

  /**
   * Be at `icount`, forwards or backwards: from the nearest clean place at or
   * before it that is closer than the current position.
   */
  async seekTo(icount: number): Promise<ReplayResult> {
    const here = this.icount;
    const mem = [...this.kept].reverse().find((k) => k.resume.icount <= icount) ?? null;
    const cp = findSeekPoint(this.log, icount);
    const best = Math.max(mem?.resume.icount ?? -1, cp?.icount ?? -1);
    if (icount >= here && best <= here && !this.cursor.finished) return this.runTo(icount);
    if (mem && mem.resume.icount === best) {
      restoreSnapshot(this.machine, mem.snap);
      this.cursor.resumeAt(mem.resume);
    } else if (cp && cp.icount === best) {
      applyCheckpoints(this.machine, cp.chain);
      this.cursor.resumeAt({ icount: cp.icount, offset: cp.offset, index: cp.index, out: cp.out });
    } else {
      await this.restart();
    }
    this.opts.onRestore?.(this.icount);
    return this.runTo(icount);
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
    this.atResume = resume;
    this.opts.onRestore?.(this.icount);
  }

  /** Keep a snapshot of the machine here, if it is at a sync point it has not moved from; true if kept. */
  pin(): boolean {
    if (!this.atResume) return false;
    this.keep(this.atResume, Number.MAX_SAFE_INTEGER);
    return true;
  }

  private keep(p: ResumePoint, limit: number): void {
    if (p.offset < 0 || this.kept.some((k) => k.resume.icount === p.icount)) return;
    const reuse = this.kept.length >= limit ? this.kept.shift()!.snap : undefined;
    this.kept.push({ resume: p, snap: takeSnapshot(this.machine, reuse) });
    this.kept.sort((a, b) => a.resume.icount - b.resume.icount);
  }

  private async restart(): Promise<void> {
    if (!this.opts.reopen) throw new Error('this replay session cannot go back before its first snapshot (no reopen)');
    const next = await this.opts.reopen();
    this.parts.replayer.close();
    this.parts = next;
    this.kept = [];
    this.atResume = null;
    this.attach();
  }

  /** Icounts the session can restore without replaying from the start: snapshots kept in memory. */
  snapshots(): number[] {
    return this.kept.map((k) => k.resume.icount);
  }

  /** The state hash now, 16 hex digits (as sync points store it). */
  stateHash(): string {
    return this.hasher.hash();
  }

  /** Linear memory through the guest's current paging, without side effects; null for bytes nothing maps. */
  readMemory(lin: number, length: number): (number | null)[] {
    const cpu = this.machine.cpu;
    const ram = this.machine.mem.ram;
    const out: (number | null)[] = [];
    for (let i = 0; i < length; i++) {
      const pa = peekTranslate(cpu, (lin + i) >>> 0);
      out.push(pa >= 0 && pa < ram.length ? ram[pa] : null);
    }
    return out;
  }

  close(): void {
    this.hasher.close();
    this.parts.replayer.close();
  }
}

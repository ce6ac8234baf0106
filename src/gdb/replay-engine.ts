// gdb's view of a replay session (src/replay/replay-session.ts): forward
// replay that stops at breakpoint and watchpoint hits (Machine.requestBreak)
// except while seeking, the log's end and a divergence as stops, and the
// frontier of guest output already shown. Seeking, snapshots and checking
// are the session's: under gdb a replay checks what `vmrr replay` checks
// (positions, state hashes and output digests at every sync point passed).

import type { Machine, StopInfo } from '../machine/machine.js';
import type { Replayer } from '../replay/replayer.js';
import type { ReplayResult } from '../replay/replay-cursor.js';
import { ReplaySession } from '../replay/replay-session.js';

export const MAX_SNAPSHOTS = 24;
/** Instructions of forward replay between automatic snapshots. */
export const AUTO_SNAPSHOT_EVERY = 5_000_000;
/** A seek shorter than this replays without taking snapshots on the way. */
export const MIN_SNAPSHOT_GAP = 2_000;

/** How a stretch of forward replay ended. */
export type Advance =
  | { kind: 'reached' }
  /** Stopped early by Machine.requestBreak (a watchpoint) after the current instruction. */
  | { kind: 'break' }
  /** The log's end (or where a cut log stops): nothing to replay beyond. */
  | { kind: 'end'; stop: StopInfo | null }
  | { kind: 'divergence'; message: string };

export class ReplayEngine {
  readonly session: ReplaySession;
  /** Where the log ends, once known. */
  endIcount: number | null = null;
  /** The furthest icount replayed so far: guest output before it has been shown once already. */
  frontier = 0;
  /**
   * Seeks replay through breakpoints and watchpoints: a Machine.requestBreak
   * stop on the way is handed to this (to clear the hit and pass the trap)
   * and the replay goes on.
   */
  onSeekBreak: () => void = () => {};

  constructor(readonly machine: Machine, readonly rp: Replayer, readonly logPath: string, opts: { verify?: boolean } = {}) {
    this.session = new ReplaySession(logPath, { machine, replayer: rp }, {
      verify: opts.verify ?? true,
      snapshots: { max: MAX_SNAPSHOTS, every: AUTO_SNAPSHOT_EVERY, seekGap: MIN_SNAPSHOT_GAP },
    });
    this.session.keepHere();
  }

  get icount(): number {
    return this.machine.cpu.icount;
  }

  get atEnd(): boolean {
    return this.endIcount !== null && this.icount >= this.endIcount;
  }

  get stats(): { replayed: number; restores: number } {
    return this.session.stats;
  }

  /** icounts of the in-memory snapshots a seek can start from. */
  get snapshots(): number[] {
    return this.session.snapshots();
  }

  get logCheckpoints(): readonly number[] {
    return this.session.logCheckpoints;
  }

  baseBefore(icount: number): number {
    return this.session.baseBefore(icount);
  }

  /** Put the machine at `icount` exactly (before the instruction there), replaying through breakpoints. */
  async seekTo(icount: number): Promise<Advance> {
    let r = await this.session.seekTo(icount);
    while (r.verdict === 'reached' && r.reason === 'interrupted' && this.icount < icount) {
      this.onSeekBreak();
      r = await this.session.runTo(icount);
    }
    return this.classify(r, true);
  }

  /** Replay forward to `target` (absolute); a watchpoint hit stops it early ('break'). */
  async advance(target: number): Promise<Advance> {
    return this.classify(await this.session.runTo(target), false);
  }

  private classify(r: ReplayResult, seeking: boolean): Advance {
    if (this.icount > this.frontier) this.frontier = this.icount;
    switch (r.verdict) {
      case 'reached':
        return r.reason === 'interrupted' && !seeking ? { kind: 'break' } : { kind: 'reached' };
      case 'divergence':
        this.endIcount = this.icount;
        return { kind: 'divergence', message: r.divergence?.message ?? 'the replay diverged' };
      default:
        this.endIcount = this.icount;
        return { kind: 'end', stop: null };
    }
  }
}

// A replay (`vmrr replay LOG --gdb`) as a gdb target, with reverse
// execution. Forward: as a live machine, but the log's end is a stop
// (replaylog:end), never an exit, so gdb can still go back. Backward: bs is a
// seek to icount - 1; bc searches windows [base, hi) backwards, each replayed
// forward from its base recording the last breakpoint or watchpoint hit, and
// seeks to it; with none before, it stops at icount 0 (replaylog:begin).

import type { DebugPoints } from './points.js';
import type { DebugTarget, ResumeControl, StopReason } from './target.js';
import { WatchControl, type WatchHit } from './watch-hook.js';
import { pcLinear, readLinear, readRegister } from './cpu-view.js';
import { ReplayEngine, type Advance } from './replay-engine.js';
import { replayMonitor } from './replay-monitor.js';

const SIGTRAP = 5;
/** Instructions replayed between looks at Ctrl-C. */
const CHUNK = 1_000_000;
/** Instructions stepped between looks at Ctrl-C while breakpoints are set. */
const STEP_BATCH = 4096;

type Hit = { at: number; reason: StopReason };

const tick = (): Promise<void> => new Promise((res) => setImmediate(res));

export class ReplayTarget implements DebugTarget {
  private readonly watch: WatchControl;
  /** The last divergence message, for `monitor when`. */
  divergence: string | null = null;

  constructor(readonly engine: ReplayEngine) {
    this.watch = new WatchControl(engine.machine.cpu, () => engine.machine.requestBreak());
  }

  private get cpu() { return this.engine.machine.cpu; }
  readRegister(n: number) { return readRegister(this.cpu, n); }
  /** A replay is what the log says: registers and memory cannot be changed. */
  writeRegister() { return false; }
  readMemory(a: number, l: number) { return readLinear(this.cpu, a, l); }
  writeMemory() { return false; }
  pointsChanged(points: DebugPoints): void { this.watch.update(points); }
  monitor(cmd: string): Promise<string | undefined> { return Promise.resolve(replayMonitor(this, cmd)); }

  /** An Advance as gdb's stop, or null when it just reached its target. */
  private classify(a: Advance): StopReason | null {
    const hit = this.watch.take();
    if (a.kind === 'divergence') {
      this.divergence = a.message;
      return { kind: 'fault', signal: SIGTRAP, message: `vmrr: the replay diverged at icount ${this.engine.icount}: ${a.message}` };
    }
    if (hit) return watchStop(hit);
    if (a.kind === 'end') return { kind: 'replaylog', end: 'end' };
    return null;
  }

  async step(): Promise<StopReason> {
    if (this.engine.atEnd) return { kind: 'replaylog', end: 'end' };
    return this.classify(this.engine.advance(this.engine.icount + 1)) ?? { kind: 'step' };
  }

  async resume(ctl: ResumeControl): Promise<StopReason> {
    const e = this.engine;
    if (e.atEnd) return { kind: 'replaylog', end: 'end' };
    const stepping = ctl.points.hasBreakpoints;
    for (let n = 1; ; n++) {
      const r = this.classify(e.advance(e.icount + (stepping ? 1 : CHUNK)));
      if (r) return r;
      if (stepping) {
        const bp = ctl.points.breakpointAt(pcLinear(this.cpu));
        if (bp) return { kind: 'breakpoint', addr: pcLinear(this.cpu), hw: bp.hw };
      }
      if (!stepping || n % STEP_BATCH === 0) {
        await tick();
        if (ctl.signal.aborted) return { kind: 'interrupted' };
      }
    }
  }

  async reverseStep(): Promise<StopReason> {
    const e = this.engine;
    if (e.icount === 0) return { kind: 'replaylog', end: 'begin' };
    this.watch.take();
    const r = e.seekTo(e.icount - 1);
    this.watch.take(); // the step back replays the instruction before: its accesses are not a new hit
    return this.classify(r) ?? { kind: 'step' };
  }

  async reverseResume(ctl: ResumeControl): Promise<StopReason> {
    const e = this.engine;
    for (let hi = e.icount; hi > 0;) {
      const lo = e.baseBefore(hi);
      const hit = await this.lastHitIn(lo, hi, ctl);
      if (hit === 'interrupted') return { kind: 'interrupted' };
      if (hit !== null && 'kind' in hit) return hit;
      if (hit !== null) {
        this.watch.take();
        const r = e.seekTo(hit.at);
        this.watch.take();
        return this.classify(r) ?? hit.reason;
      }
      hi = lo;
      await tick();
      if (ctl.signal.aborted) return { kind: 'interrupted' };
    }
    e.seekTo(0);
    this.watch.take();
    return { kind: 'replaylog', end: 'begin' };
  }

  /**
   * Replay [lo, hi) forward and return the last breakpoint (position j with
   * the PC on one) or watchpoint hit (position j: before the instruction that
   * touched the data); null when there is none; a StopReason when the replay
   * failed on the way.
   */
  private async lastHitIn(lo: number, hi: number, ctl: ResumeControl): Promise<Hit | null | 'interrupted' | StopReason> {
    const e = this.engine;
    const pts = ctl.points;
    let last: Hit | null = null;
    const fail = (a: Advance): StopReason | null => (a.kind === 'divergence' || a.kind === 'end' ? this.classify(a) : null);
    let r = e.seekTo(lo);
    if (fail(r)) return fail(r)!;
    this.watch.take();
    for (let n = 1; e.icount < hi; n++) {
      const at = e.icount;
      if (pts.hasBreakpoints) {
        const bp = pts.breakpointAt(pcLinear(this.cpu));
        if (bp) last = { at, reason: { kind: 'breakpoint', addr: pcLinear(this.cpu), hw: bp.hw } };
      }
      r = e.advance(pts.hasBreakpoints ? at + 1 : Math.min(hi, at + CHUNK));
      const hit = this.watch.take();
      if (hit) last = { at: e.icount - 1, reason: watchStop(hit) };
      if (r.kind === 'divergence' || r.kind === 'end') break;
      if (n % STEP_BATCH === 0 || !pts.hasBreakpoints) {
        await tick();
        if (ctl.signal.aborted) return 'interrupted';
      }
    }
    return last;
  }
}

const watchStop = (h: WatchHit): StopReason => ({ kind: 'watch', type: h.kind, addr: h.addr });

// A replay (`vmrr replay LOG --gdb`) as a gdb target, with reverse
// execution. Forward: as a live machine, but the log's end is a stop
// (replaylog:end), never an exit, so gdb can still go back. Backward: bs is a
// seek to icount - 1; bc searches windows [base, hi) backwards, each replayed
// forward from its base recording the last breakpoint or watchpoint hit, and
// seeks to it; with none before, it stops at icount 0 (replaylog:begin).

import type { DebugPoints } from './points.js';
import type { DebugTarget, ResumeControl, StopReason } from './target.js';
import { DebugHooks } from './hooks.js';
import { readLinear, readRegister } from './cpu-view.js';
import type { ReplayEngine, Advance } from './replay-engine.js';
import { replayMonitor } from './replay-monitor.js';

const SIGTRAP = 5;
/** Instructions replayed between looks at Ctrl-C. */
const CHUNK = 1_000_000;

type Hit = { at: number; reason: StopReason };

const tick = (): Promise<void> => new Promise((res) => setImmediate(res));

export class ReplayTarget implements DebugTarget {
  private readonly hooks: DebugHooks;
  /** The last divergence message, for `monitor when`. */
  divergence: string | null = null;

  /** `engine` replays the log; `name` gives ` <function+0xoff>` for an EIP (or '' without symbols). */
  constructor(readonly engine: ReplayEngine, readonly name: (eip: number) => string = () => '') {
    this.hooks = new DebugHooks(engine.machine);
    engine.onSeekBreak = () => this.hooks.resumingAt(engine.icount);
  }

  private get cpu() { return this.engine.machine.cpu; }
  readRegister(n: number) { return readRegister(this.cpu, n); }
  /** A replay is what the log says: registers and memory cannot be changed. */
  writeRegister() { return false; }
  readMemory(a: number, l: number) { return readLinear(this.cpu, a, l); }
  writeMemory() { return false; }
  pointsChanged(points: DebugPoints): void { this.hooks.update(points); }
  monitor(cmd: string): Promise<string | undefined> { return replayMonitor(this, cmd); }

  /** An Advance as gdb's stop, or null when it just reached its target. */
  private classify(a: Advance): StopReason | null {
    const hit = this.hooks.take();
    if (a.kind === 'divergence') {
      this.divergence = a.message;
      return { kind: 'fault', signal: SIGTRAP, message: `vmrr: the replay diverged at icount ${this.engine.icount}: ${a.message}` };
    }
    if (hit) return hit;
    if (a.kind === 'end') return { kind: 'replaylog', end: 'end' };
    return null;
  }

  async step(): Promise<StopReason> {
    if (this.engine.atEnd) return { kind: 'replaylog', end: 'end' };
    this.hooks.resumingAt(this.engine.icount);
    return this.classify(await this.engine.advance(this.engine.icount + 1)) ?? { kind: 'step' };
  }

  async resume(ctl: ResumeControl): Promise<StopReason> {
    const e = this.engine;
    if (e.atEnd) return { kind: 'replaylog', end: 'end' };
    this.hooks.resumingAt(e.icount);
    for (;;) {
      const r = this.classify(await e.advance(e.icount + CHUNK));
      if (r) return r;
      await tick();
      if (ctl.signal.aborted) return { kind: 'interrupted' };
    }
  }

  /** Move without stopping at what the replay on the way touches (a seek is not a resume). */
  private async quietSeek(icount: number): Promise<Advance> {
    this.hooks.resumingAt(this.engine.icount);
    const r = await this.engine.seekTo(icount);
    this.hooks.take();
    return r;
  }

  async reverseStep(): Promise<StopReason> {
    const e = this.engine;
    if (e.icount === 0) return { kind: 'replaylog', end: 'begin' };
    return this.classifySeek(await this.quietSeek(e.icount - 1)) ?? { kind: 'step' };
  }

  private classifySeek(a: Advance): StopReason | null {
    return a.kind === 'divergence' || a.kind === 'end' ? this.classify(a) : null;
  }

  async reverseResume(ctl: ResumeControl): Promise<StopReason> {
    const e = this.engine;
    for (let hi = e.icount; hi > 0;) {
      const lo = e.baseBefore(hi);
      const hit = await this.lastHitIn(lo, hi, ctl);
      if (hit === 'interrupted') return { kind: 'interrupted' };
      if (hit !== null && 'kind' in hit) return hit;
      if (hit !== null) return this.classifySeek(await this.quietSeek(hit.at)) ?? hit.reason;
      hi = lo;
      await tick();
      if (ctl.signal.aborted) return { kind: 'interrupted' };
    }
    await this.quietSeek(0);
    return { kind: 'replaylog', end: 'begin' };
  }

  /**
   * Replay [lo, hi) forward and return the last breakpoint hit (position j:
   * about to run the instruction at a breakpoint) or watchpoint hit
   * (position j: before the instruction that touched the data); null when
   * there is none; a StopReason when the replay failed on the way.
   */
  private async lastHitIn(lo: number, hi: number, ctl: ResumeControl): Promise<Hit | null | 'interrupted' | StopReason> {
    const e = this.engine;
    let last: Hit | null = null;
    const r0 = this.classifySeek(await this.quietSeek(lo));
    if (r0) return r0;
    this.hooks.resumingAt(-1); // a breakpoint at lo itself counts
    while (e.icount < hi) {
      const r = await e.advance(Math.min(hi, e.icount + CHUNK));
      const hit = this.hooks.take();
      if (hit?.kind === 'breakpoint') last = { at: e.icount, reason: hit };
      else if (hit) last = { at: e.icount - 1, reason: hit };
      if (r.kind === 'divergence' || r.kind === 'end') break;
      // A breakpoint stops before its instruction: go on from there without stopping at it again.
      if (hit) this.hooks.resumingAt(e.icount);
      await tick();
      if (ctl.signal.aborted) return 'interrupted';
    }
    return last;
  }
}

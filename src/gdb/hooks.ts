// The CPU hooks a debugger installs on a machine: breakpoints (break-hook.ts)
// and watchpoints (watch-hook.ts), both stopping the run through
// Machine.requestBreak. Both hooks are null, and the CPU runs as without a
// debugger, while no breakpoint or watchpoint is set.

import type { Machine } from '../machine/machine.js';
import type { DebugPoints } from './points.js';
import type { StopReason } from './target.js';
import { BreakControl } from './break-hook.js';
import { WatchControl } from './watch-hook.js';

export class DebugHooks {
  private readonly breaks: BreakControl;
  private readonly watch: WatchControl;

  constructor(machine: Machine) {
    const stop = (): void => machine.requestBreak();
    this.breaks = new BreakControl(machine.cpu, stop);
    this.watch = new WatchControl(machine.cpu, stop);
  }

  update(points: DebugPoints): void {
    this.breaks.update(points);
    this.watch.update(points);
  }

  /** Resuming at `icount`: a breakpoint there does not stop the run (it is where gdb resumes from). */
  resumingAt(icount: number): void {
    this.breaks.passIcount = icount;
    this.breaks.take();
    this.watch.take();
  }

  /** The breakpoint or watchpoint that stopped the last run, cleared; null if none did. */
  take(): StopReason | null {
    const b = this.breaks.take();
    const w = this.watch.take();
    if (w) return { kind: 'watch', type: w.kind, addr: w.addr };
    if (b) return { kind: 'breakpoint', addr: b.addr, hw: b.hw };
    return null;
  }
}

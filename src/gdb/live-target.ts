// A running machine (`vmrr run --gdb`) as a gdb target. Continue runs the
// machine in chunks (Ctrl-C from gdb is looked at between them) at full
// speed; breakpoints and watchpoints stop it through the CPU hooks (hooks.ts).

import type { Machine, StopInfo } from '../machine/machine.js';
import type { DebugPoints } from './points.js';
import type { DebugTarget, ResumeControl, StopReason } from './target.js';
import { DebugHooks } from './hooks.js';
import { readLinear, readRegister, writeLinear, writeRegister } from './cpu-view.js';

/** Instructions run between looks at Ctrl-C. */
export const RUN_CHUNK = 1_000_000;

const SIGSEGV = 11;
const SIGXCPU = 24;

export interface LiveTargetOptions {
  /** --max-insns: the run ends there (reason 'limit'). */
  maxInsns?: number;
  /** Called when the machine yields to the host (flush guest output). */
  onYield?: (icount: number) => void;
}

/** The stop a machine's end becomes for gdb. */
export function endStop(stop: StopInfo): StopReason {
  switch (stop.reason) {
    case 'exit': return { kind: 'exited', status: (stop.exitValue ?? 0) & 0xff };
    case 'halt': return { kind: 'exited', status: 0 };
    case 'triple-fault': return { kind: 'fault', signal: SIGSEGV, message: `vmrr: triple fault at icount ${stop.icount} (${stop.faults ?? ''})` };
    default: return { kind: 'fault', signal: SIGXCPU, message: `vmrr: instruction limit reached at icount ${stop.icount}` };
  }
}

export class LiveTarget implements DebugTarget {
  protected readonly hooks: DebugHooks;
  /** Set once the guest has ended; the machine does not run again. */
  ended: StopInfo | null = null;

  constructor(protected readonly machine: Machine, protected readonly opts: LiveTargetOptions = {}) {
    this.hooks = new DebugHooks(machine);
  }

  readRegister(n: number) { return readRegister(this.machine.cpu, n); }
  writeRegister(n: number, b: Uint8Array) { return writeRegister(this.machine.cpu, n, b); }
  readMemory(a: number, l: number) { return readLinear(this.machine.cpu, a, l); }
  writeMemory(a: number, d: Uint8Array) { return writeLinear(this.machine.cpu, a, d); }
  pointsChanged(points: DebugPoints): void { this.hooks.update(points); }

  private get limit(): number {
    return this.opts.maxInsns ?? Number.MAX_SAFE_INTEGER;
  }

  /** Run to absolute icount `to` (or a stop); the machine's own loop delivers events and waits for the host. */
  protected run(to: number, signal?: AbortSignal): Promise<StopInfo> {
    return this.machine.runAsync({ maxInsns: Math.min(to, this.limit), signal, onYield: this.opts.onYield });
  }

  /** A StopInfo as gdb's stop, or null when the run just reached its target icount. */
  protected classify(stop: StopInfo): StopReason | null {
    const hit = this.hooks.take();
    if (hit) return hit;
    if (stop.reason === 'interrupted') return { kind: 'interrupted' };
    if (stop.reason === 'limit' && stop.icount < this.limit) return null;
    this.ended = stop;
    return endStop(stop);
  }

  async step(ctl: ResumeControl): Promise<StopReason> {
    if (this.ended) return endStop(this.ended);
    this.hooks.resumingAt(this.machine.cpu.icount);
    const stop = await this.run(this.machine.cpu.icount + 1, ctl.signal);
    return this.classify(stop) ?? { kind: 'step' };
  }

  async resume(ctl: ResumeControl): Promise<StopReason> {
    if (this.ended) return endStop(this.ended);
    const cpu = this.machine.cpu;
    this.hooks.resumingAt(cpu.icount);
    for (;;) {
      const r = this.classify(await this.run(cpu.icount + RUN_CHUNK, ctl.signal));
      if (r) return r;
      await new Promise((res) => setImmediate(res));
      if (ctl.signal.aborted) return { kind: 'interrupted' };
    }
  }

  async monitor(cmd: string): Promise<string | undefined> {
    const c = this.machine.cpu;
    const words = cmd.split(/\s+/).filter(Boolean);
    switch (words[0]) {
      case 'help':
        return 'vmrr monitor commands:\n  icount      instructions retired so far\n  when        icount and EIP\n';
      case 'icount':
        return `${c.icount}\n`;
      case 'when':
        return `icount ${c.icount}, EIP 0x${(c.eip >>> 0).toString(16).padStart(8, '0')}\n`;
      default:
        return undefined;
    }
  }
}

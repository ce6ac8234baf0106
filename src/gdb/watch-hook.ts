// Installs the CPU's watch hook (cpu.ts WatchHook) for gdb's watchpoints.
// While none is set the hook is null and the CPU runs as without a debugger.
// While some are set, compiled blocks are turned off (a block runs to its
// end before the loop looks again; a watchpoint must stop right after the
// instruction that touched the data) and the TLB is dropped so the watched
// pages' entries are rebuilt denying the fast path.

import type { Cpu } from '../cpu/cpu.js';
import type { DebugPoints, WatchKind } from './points.js';

export interface WatchHit {
  kind: WatchKind;
  addr: number;
}

export class WatchControl {
  hit: WatchHit | null = null;
  private savedThreshold = -1;

  /** `stop` ends the machine's run after the current instruction (Machine.requestBreak). */
  constructor(private readonly cpu: Cpu, private readonly stop: () => void) {}

  update(points: DebugPoints): void {
    const cpu = this.cpu;
    if (points.watches.length === 0) {
      if (cpu.watch === null) return;
      cpu.watch = null;
      if (this.savedThreshold >= 0) cpu.blockThreshold = this.savedThreshold;
      this.savedThreshold = -1;
      cpu.flushTlb();
      return;
    }
    const pages = new Uint8Array(1 << 20);
    for (const p of points.watchedPages()) pages[p] = 1;
    cpu.watch = {
      pages,
      access: (lin, size, write) => {
        if (this.hit) return;
        const h = points.watchHit(lin, size, write);
        if (h) {
          this.hit = h;
          this.stop();
        }
      },
    };
    if (this.savedThreshold < 0) {
      this.savedThreshold = cpu.blockThreshold;
      cpu.blockThreshold = 0;
      dropBlocks(cpu);
    }
    cpu.flushTlb();
  }

  /** The hit since the last call, cleared. */
  take(): WatchHit | null {
    const h = this.hit;
    this.hit = null;
    return h;
  }
}

/** Forget compiled blocks (decoded instructions stay). */
function dropBlocks(cpu: Cpu): void {
  for (const cp of cpu.codePages) {
    if (!cp) continue;
    for (const insts of [cp.m16, cp.m32]) {
      if (!insts) continue;
      for (const inst of insts) {
        if (inst) { inst.blk = null; inst.hits = 0; }
      }
    }
  }
}

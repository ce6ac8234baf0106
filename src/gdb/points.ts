// Breakpoints and watchpoints as gdb sets them with Z/z packets. Addresses
// are linear (CS base + EIP for breakpoints). Watchpoints take any address
// and length: they are checked against every access the CPU makes
// (watch-hook.ts), not limited to the four debug registers of real x86.

export type WatchKind = 'watch' | 'rwatch' | 'awatch';

export interface Watchpoint {
  kind: WatchKind;
  addr: number;
  len: number;
}

/** The longest watched range accepted (gdb splits nothing for us; a huge range would make every access slow). */
export const MAX_WATCH_LEN = 1 << 20;

export class DebugPoints {
  /** Z0 software and Z1 hardware breakpoints, by linear address. */
  readonly soft = new Set<number>();
  readonly hard = new Set<number>();
  readonly watches: Watchpoint[] = [];

  get hasBreakpoints(): boolean {
    return this.soft.size > 0 || this.hard.size > 0;
  }

  /** The breakpoint at linear `lin`, if any. */
  breakpointAt(lin: number): { hw: boolean } | undefined {
    if (this.soft.has(lin)) return { hw: false };
    if (this.hard.has(lin)) return { hw: true };
    return undefined;
  }

  /** The first watchpoint an access of `size` bytes at `lin` triggers, with the watched address it touched. */
  watchHit(lin: number, size: number, write: boolean): { kind: WatchKind; addr: number } | undefined {
    const lo = lin >>> 0;
    const hi = lo + size;
    for (const w of this.watches) {
      if (write ? w.kind === 'rwatch' : w.kind === 'watch') continue;
      if (lo < w.addr + w.len && w.addr < hi) return { kind: w.kind, addr: Math.max(lo, w.addr) };
    }
    return undefined;
  }

  /**
   * Apply a Z or z packet (`Z2,addr,len`). Returns 'OK', an error reply, or
   * '' for a kind it does not know (gdb then tries another way).
   */
  apply(packet: string): string {
    const m = /^([Zz])([0-4]),([0-9a-fA-F]+),([0-9a-fA-F]+)/.exec(packet);
    if (!m) return 'E01';
    const add = m[1] === 'Z';
    const type = Number(m[2]);
    const addr = parseInt(m[3], 16) >>> 0;
    const len = parseInt(m[4], 16);
    if (type === 0 || type === 1) {
      const set = type === 0 ? this.soft : this.hard;
      if (add) set.add(addr); else set.delete(addr);
      return 'OK';
    }
    const kind: WatchKind = type === 2 ? 'watch' : type === 3 ? 'rwatch' : 'awatch';
    if (len < 1 || len > MAX_WATCH_LEN) return 'E22';
    const i = this.watches.findIndex((w) => w.kind === kind && w.addr === addr && w.len === len);
    if (add && i < 0) this.watches.push({ kind, addr, len });
    if (!add && i >= 0) this.watches.splice(i, 1);
    return 'OK';
  }

  /** Linear page numbers holding a watched byte. */
  watchedPages(): Set<number> {
    const pages = new Set<number>();
    for (const w of this.watches) {
      for (let p = w.addr >>> 12; p <= ((w.addr + w.len - 1) >>> 12) && p < 1 << 20; p++) pages.add(p);
    }
    return pages;
  }
}

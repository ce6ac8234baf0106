// Checkpoints (DESIGN section 7): the whole machine, with RAM as the pages
// dirtied since the previous checkpoint. The first checkpoint a tracker
// takes is a base: it lists every non-zero page, and pages it omits are
// zero. Restoring checkpoint k applies k, k-1, ... back to the base, newest
// page first; applying deltas alone moves a machine that is at the
// previous checkpoint (an FT resync).

import type { Machine } from './machine.js';
import { dirtyPageHub, type DirtySet } from './dirty-pages.js';
import { loadMachineState, saveMachineState, type MachineState } from './machine-state.js';
import { copyPage, pageIsZero, writePage, zeroPage, type RamPage } from './ram-pages.js';
import { checkMachineState, StateError } from './state-check.js';
import { PAGE_SIZE } from '../memory/phys.js';

export interface Checkpoint {
  v: 1;
  icount: number;
  /** A base: pages not listed are zero. Otherwise pages not listed are as at the previous checkpoint. */
  full: boolean;
  state: MachineState;
  /** Ascending page numbers. */
  pages: RamPage[];
  /** Where it was read from, for errors (e.g. "run.vmrr: checkpoint 2 (frame 40 at offset 81234)"). */
  origin?: string;
}

export interface TakeOptions {
  /** Take a base even if this tracker has taken checkpoints before. */
  full?: boolean;
  /**
   * Pages to include besides this machine's dirty ones. The FT resync passes
   * the pages the *secondary* dirtied since the common point: they differ
   * from that point on the secondary even if the primary never wrote them.
   */
  extraPages?: Iterable<number>;
}

/** Takes a machine's checkpoints; one tracker per chain of checkpoints. */
export class CheckpointTracker {
  private readonly dirty: DirtySet;
  private haveBase = false;

  constructor(private readonly machine: Machine) {
    this.dirty = dirtyPageHub(machine.cpu).subscribe();
  }

  /** A checkpoint of the machine now: a base the first time, then the pages dirtied since the last one. */
  take(opts: TakeOptions = {}): Checkpoint {
    const m = this.machine;
    const full = opts.full === true || !this.haveBase;
    const bits = this.dirty.update().bits;
    const pages: RamPage[] = [];
    if (full) {
      for (let p = 0; p < bits.length; p++) if (!pageIsZero(m, p)) pages.push({ index: p, data: copyPage(m, p) });
    } else {
      const want = bits.slice();
      for (const p of opts.extraPages ?? []) {
        if (!Number.isInteger(p) || p < 0 || p >= want.length) throw new RangeError(`checkpoint: extra page ${p} is outside RAM`);
        want[p] = 1;
      }
      for (let p = 0; p < want.length; p++) if (want[p] !== 0) pages.push({ index: p, data: copyPage(m, p) });
    }
    this.dirty.clear();
    this.haveBase = true;
    return { v: 1, icount: m.cpu.icount, full, state: saveMachineState(m), pages };
  }

  /** Pages dirtied since the last take() or markCommon(), ascending (nothing is taken). */
  pagesDirtiedSince(): number[] {
    return this.dirty.update().list();
  }

  /**
   * The machine's state now is this tracker's reference point, e.g. after
   * applyCheckpoints() restored the checkpoint the tracker took last, or the
   * secondary's side of an FT resync: nothing counts as dirty any more.
   */
  markCommon(): void {
    this.dirty.update().clear();
    this.haveBase = true;
  }

  /** Stop tracking (the hub then no longer feeds this tracker). */
  close(): void {
    this.dirty.close();
  }
}

/**
 * Put `m` in the state of the last checkpoint of `chain` (oldest first).
 * From the newest back, each page is taken from the newest checkpoint that
 * has it; a base ends the walk and zeroes the pages no checkpoint had. A
 * chain without a base applies on top of the machine's RAM, which must then
 * be as at the checkpoint before chain[0].
 */
export function applyCheckpoints(m: Machine, chain: readonly Checkpoint[]): void {
  if (chain.length === 0) throw new Error('applyCheckpoints: empty chain');
  const pages = m.mem.pages;
  // Everything is checked before anything is applied: a bad checkpoint leaves the machine as it was.
  for (const c of chain) {
    const where = c.origin ? `${c.origin}: ` : `checkpoint at icount ${c.icount}: `;
    try {
      if (c.v !== 1) throw new StateError(`unknown checkpoint version ${String(c.v)}`);
      for (const pg of c.pages) {
        if (!Number.isInteger(pg.index) || pg.index < 0 || pg.index >= pages) {
          throw new StateError(`RAM page ${pg.index} is outside this machine's ${pages} pages`);
        }
        if (!(pg.data instanceof Uint8Array) || pg.data.length !== PAGE_SIZE) throw new StateError(`RAM page ${pg.index} does not hold ${PAGE_SIZE} bytes`);
      }
      checkMachineState(m, c.state);
    } catch (e) {
      if (e instanceof StateError) throw new StateError(where + e.message);
      throw e;
    }
  }
  const done = new Uint8Array(pages);
  for (let k = chain.length - 1; k >= 0; k--) {
    const c = chain[k];
    for (const pg of c.pages) {
      if (pg.index < pages && done[pg.index] !== 0) continue;
      writePage(m, pg.index, pg.data);
      done[pg.index] = 1;
    }
    if (c.full) {
      for (let p = 0; p < pages; p++) if (done[p] === 0) zeroPage(m, p);
      break;
    }
  }
  loadMachineState(m, chain[chain.length - 1].state);
}

/** Bytes of page data in a checkpoint (for reports: compare with RAM size). */
export function checkpointPageBytes(c: Checkpoint): number {
  let n = 0;
  for (const p of c.pages) n += p.data.length;
  return n;
}

// Fans the CPU's one set of dirty-page bits out to several consumers
// (checkpoints, the state hash, the FT checker's resync). The CPU keeps a
// single `pageDirty` array and notices only the first write to each page
// after clearDirty(), so whoever clears it must hand the bits on to
// everybody else first: collect() folds them into every consumer's own set,
// then clears the CPU's. One hub per CPU, so two machines side by side never
// share one.

import type { Cpu } from '../cpu/cpu.js';

/** One consumer's view: the pages written since it last called clear(). */
export class DirtySet {
  /** 1 for each page written (or replaced by a restore) since clear(). */
  readonly bits: Uint8Array;

  constructor(private readonly hub: DirtyPageHub) {
    this.bits = new Uint8Array(hub.pages);
  }

  /** Bring the set up to date with the CPU's bits (all consumers get them). */
  update(): this {
    this.hub.collect();
    return this;
  }

  /** Pages in the set, ascending (call update() first for an up-to-date answer). */
  list(): number[] {
    const out: number[] = [];
    const b = this.bits;
    for (let p = 0; p < b.length; p++) if (b[p] !== 0) out.push(p);
    return out;
  }

  count(): number {
    let n = 0;
    const b = this.bits;
    for (let p = 0; p < b.length; p++) n += b[p];
    return n;
  }

  clear(): void {
    this.bits.fill(0);
  }

  /** Stop receiving bits (a consumer that is done). */
  close(): void {
    this.hub.unsubscribe(this);
  }
}

export class DirtyPageHub {
  readonly pages: number;
  private sets: DirtySet[] = [];

  constructor(private readonly cpu: Cpu) {
    this.pages = cpu.pageDirty.length;
  }

  subscribe(): DirtySet {
    const s = new DirtySet(this);
    this.sets.push(s);
    return s;
  }

  unsubscribe(s: DirtySet): void {
    this.sets = this.sets.filter((x) => x !== s);
  }

  /** Fold the CPU's dirty bits into every set and clear them (writes per page are noticed again). */
  collect(): void {
    const d = this.cpu.pageDirty;
    const sets = this.sets;
    let any = false;
    for (let p = 0; p < d.length; p++) {
      if (d[p] === 0) continue;
      any = true;
      for (let i = 0; i < sets.length; i++) sets[i].bits[p] = 1;
    }
    // Nothing new: leave the TLB's write permissions alone.
    if (any) this.cpu.clearDirty();
  }

  /** RAM page `p` was replaced behind the CPU's back (a restore): every consumer must see it. */
  mark(p: number): void {
    for (const s of this.sets) s.bits[p] = 1;
  }
}

const hubs = new WeakMap<Cpu, DirtyPageHub>();

/** The hub of `cpu`'s dirty bits (made on first use). */
export function dirtyPageHub(cpu: Cpu): DirtyPageHub {
  let h = hubs.get(cpu);
  if (h === undefined) {
    h = new DirtyPageHub(cpu);
    hubs.set(cpu, h);
  }
  return h;
}

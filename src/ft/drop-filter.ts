// drop:KIND@N injections. The Nth value (ND entry) or event of a kind is
// counted in the primary's stream as frames are sent, and removed from the
// secondary's copy of that frame as it is read off the link: the secondary
// then replays without it, exactly as if the link had lost it.

import { ND_KIND_NAMES } from '../replay/nd-block.js';
import type { Frame } from '../replay/frames.js';
import type { DropKind, Injection, InjectionOutcome } from './inject.js';
import type { LinkFrame } from '../replay/frame-link.js';

type Drop = Extract<Injection, { kind: 'drop' }>;

interface Target {
  drop: Drop;
  /** Frame index and entry (or event) index inside it, once the primary has sent it. */
  frame: number;
  entry: number;
  icount: number;
  applied: boolean;
}

export class DropFilter {
  private readonly seen = new Map<DropKind, number>();
  private readonly pending: Drop[];
  private readonly targets: Target[] = [];

  constructor(drops: readonly Drop[]) {
    this.pending = [...drops];
  }

  get empty(): boolean {
    return this.pending.length === 0 && this.targets.length === 0;
  }

  /** The link's onSend hook: count values per kind and pin each drop to its frame and entry. */
  onSend = (index: number, frame: Frame): void => {
    if (this.pending.length === 0) return;
    if (frame.kind === 'nd') {
      for (let i = 0; i < frame.count; i++) this.count(ND_KIND_NAMES[frame.kinds[i]] as DropKind, index, i, frame.icounts[i]);
    } else if (frame.kind === 'events') {
      frame.events.forEach((e, i) => this.count(e.kind, index, i, e.icount));
    }
  };

  private count(kind: DropKind, frame: number, entry: number, icount: number): void {
    const n = (this.seen.get(kind) ?? 0) + 1;
    this.seen.set(kind, n);
    for (let k = this.pending.length - 1; k >= 0; k--) {
      const d = this.pending[k];
      if (d.what === kind && d.n === n) {
        this.targets.push({ drop: d, frame, entry, icount, applied: false });
        this.pending.splice(k, 1);
      }
    }
  }

  /** A cursor filter: the frame as the secondary sees it, without the dropped entries. */
  filter = (f: LinkFrame): LinkFrame => {
    const hits = this.targets.filter((t) => t.frame === f.index);
    if (hits.length === 0) return f;
    const drop = new Set(hits.map((t) => t.entry));
    for (const t of hits) t.applied = true;
    const fr = f.frame;
    if (fr.kind === 'nd') {
      const keep: number[] = [];
      for (let i = 0; i < fr.count; i++) if (!drop.has(i)) keep.push(i);
      const kinds = Uint8Array.from(keep, (i) => fr.kinds[i]);
      const icounts = Float64Array.from(keep, (i) => fr.icounts[i]);
      const values = Float64Array.from(keep, (i) => fr.values[i]);
      return { ...f, frame: { ...fr, count: keep.length, kinds, icounts, values } };
    }
    if (fr.kind === 'events') return { ...f, frame: { ...fr, events: fr.events.filter((_, i) => !drop.has(i)) } };
    return f;
  };

  outcomes(): InjectionOutcome[] {
    return [
      ...this.targets.map((t) => ({ spec: t.drop.spec, applied: t.applied, icount: t.applied ? t.icount : null })),
      ...this.pending.map((d) => ({ spec: d.spec, applied: false, icount: null })),
    ];
  }
}

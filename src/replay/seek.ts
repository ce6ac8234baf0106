// Seeking (DESIGN section 7): the nearest checkpoint at or before an icount,
// and the chain of checkpoints that rebuilds it. The recorder flushes every
// event and ND value before writing a checkpoint, so a replay restored from
// one resumes reading the log right after it.

import type { Checkpoint } from '../machine/checkpoints.js';
import type { MachineState } from '../machine/machine-state.js';
import type { CheckpointFrame } from './frames.js';
import { LogReader } from './log-reader.js';
import type { OutputMark } from './output-ledger.js';

export interface SeekPoint {
  icount: number;
  /** Oldest first, starting at the base checkpoint. */
  chain: Checkpoint[];
  /** Where reading resumes: the frame after the checkpoint's last part. */
  offset: number;
  index: number;
  /** The recording's output counts and digests at the checkpoint (null in a version 1 log). */
  out: OutputMark | null;
}

/** The checkpoint chain for the last checkpoint at or before `icount`, or null if there is none. */
export function findSeekPoint(path: string, icount: number): SeekPoint | null {
  const r = LogReader.open(path);
  try {
    const chain: Checkpoint[] = [];
    let best: SeekPoint | null = null;
    let current: { frame: CheckpointFrame; pages: CheckpointFrame['pages']; origin: string } | null = null;
    for (const f of r.frames()) {
      const fr = f.frame;
      if (fr.kind !== 'checkpoint') continue;
      if (fr.icount > icount) break;
      if (fr.part === 0) current = { frame: fr, pages: [...fr.pages], origin: `${path}: checkpoint ${fr.seq} (frame ${f.index} at offset ${f.offset})` };
      else if (current && fr.seq === current.frame.seq) current.pages.push(...fr.pages);
      if (current && fr.part === fr.parts - 1) {
        const c = current.frame;
        chain.push({ v: 1, icount: c.icount, full: c.seq === 0, state: c.state as unknown as MachineState, pages: current.pages, origin: current.origin });
        best = { icount: c.icount, chain: chain.slice(), offset: r.position, index: r.framesRead + 1, out: c.out ?? null };
        current = null;
      }
    }
    return best;
  } finally {
    r.close();
  }
}

/** The icounts of a log's checkpoints, ascending (one pass over its frames; a damaged tail ends the list). */
export function listCheckpoints(path: string): number[] {
  const r = LogReader.open(path);
  const out: number[] = [];
  try {
    for (const f of r.frames()) {
      const fr = f.frame;
      if (fr.kind === 'checkpoint' && fr.part === fr.parts - 1) out.push(fr.icount);
    }
  } catch {
    // A damaged tail: the checkpoints before it are still usable.
  } finally {
    r.close();
  }
  return out;
}

// One pass over a log before it is replayed: the icounts of its control
// points (sync points, checkpoints, the end) must not go backwards, and none
// may lie past the end. A log that breaks this is damaged (CRCs only cover a
// frame against itself), and replaying it would run the guest towards a
// position the recording never reached: a sync point rewritten to icount
// 4,294,937,295 in a 113,980-instruction log took minutes to reach (npm run
// fuzz, seed 1 case 12524). The pass also gives the end's icount, for
// progress lines.
import { LogError } from './log-error.js';
import { LogReader } from './log-reader.js';

export interface LogOrder {
  /** The end frame's icount, or undefined for a cut log. */
  endIcount: number | undefined;
  /** What is out of order, or null. */
  problem: string | null;
}

/**
 * Check the frames a reader can read; a frame it cannot read ends the pass
 * quietly (the replay itself reports that damage, where it meets it, after
 * replaying what comes before).
 */
export function checkLogOrder(log: string): LogOrder {
  let r: LogReader;
  try {
    r = LogReader.open(log);
  } catch (e) {
    if (e instanceof LogError) return { endIcount: undefined, problem: null };
    throw e;
  }
  try {
    let last = 0;
    let lastWhat = 'power-on';
    for (const f of r.frames()) {
      const fr = f.frame;
      if (fr.kind !== 'sync' && fr.kind !== 'end' && !(fr.kind === 'checkpoint' && fr.part === 0)) continue;
      const what = `the ${fr.kind === 'end' ? 'end frame' : fr.kind === 'sync' ? 'sync point' : 'checkpoint'} at offset ${f.offset} (frame ${f.index})`;
      if (fr.icount < last) return { endIcount: r.end?.icount, problem: `${log}: ${what} is at icount ${fr.icount}, before ${lastWhat} at icount ${last}: the log is damaged` };
      last = fr.icount;
      lastWhat = what;
    }
    return { endIcount: r.end?.icount, problem: null };
  } catch (e) {
    if (e instanceof LogError) return { endIcount: undefined, problem: null };
    throw e;
  } finally {
    r.close();
  }
}

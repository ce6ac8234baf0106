// `vmrr replay LOG`: re-execute a recording from its log alone.
import type { ReplayResult } from '../replay/session.js';
import { ReplaySession } from '../replay/replay-session.js';
import { LogError } from '../replay/log-error.js';
import { checkLogOrder } from '../replay/log-order.js';
import type { RunIo } from './run.js';
import { UsageError } from './exit.js';
import { BufferedSink, discardSink, writeTextFile, type ByteSink } from './sinks.js';
import { openReplay } from './replay-machine.js';
import { findSeekPoint } from '../replay/seek.js';
import { jitSummary, type JitSummary } from './jit-stats.js';

export interface ReplayOptions {
  image?: string;
  force: boolean;
  /** Compare state hashes and output digests at every sync point and the end (--no-verify: false). */
  verify: boolean;
  to?: number;
  json: boolean;
  /** With --to, start from the nearest checkpoint (default true; false replays from power-on, for comparison). */
  seek?: boolean;
  /** Replay with another TLB configuration than the recording's. */
  tlb?: { entries?: number; ways?: number; tracking?: boolean };
  /** --screen FILE: the VGA text screen where the replay stopped. */
  screen?: string;
  /** --no-jit / --jit-threshold (absent: the default engine). */
  jitThreshold?: number;
}

/** The --json object of `vmrr replay` (docs/cli-json.md). */
export interface ReplaySummary extends ReplayResult {
  log: string;
  image: string;
  /** With --to: the checkpoint icount the replay started from (null: from power-on). */
  seekedFrom: number | null;
  /** The block compiler's counters over this replay (docs/cli-json.md). */
  jit: JitSummary;
}

export async function replayCommand(log: string, opts: ReplayOptions, io: RunIo): Promise<ReplaySummary> {
  const out: ByteSink = opts.json ? discardSink : new BufferedSink((b) => io.guestStdout(b));
  const open = { image: opts.image, force: opts.force, output: (b: number) => out.write(b), tlb: opts.tlb, jitThreshold: opts.jitThreshold };
  // One pass over the frames: control points in order (a damaged log is refused before it runs), and where it ends.
  const order = checkLogOrder(log);
  if (order.problem) throw new UsageError(order.problem);
  const opened = await openReplay(log, open);
  // With a progress line: where the log ends, for its percentage and ETA.
  const total = io.progress ? (opts.to ?? order.endIcount) : undefined;
  const session = new ReplaySession(log, opened, {
    verify: opts.verify,
    signal: io.signal,
    onYield: (ic) => {
      out.flush();
      io.progress?.(ic, total === undefined ? undefined : { total });
    },
  });
  try {
    // --to: start from the nearest checkpoint at or before it instead of from power-on.
    let seekedFrom: number | null = null;
    let result;
    if (opts.to === undefined) {
      result = await session.runToEnd();
    } else if (opts.seek !== false) {
      seekedFrom = findSeekPoint(log, opts.to)?.icount ?? null;
      result = await session.seekTo(opts.to);
    } else {
      result = await session.runTo(opts.to);
    }
    out.flush();
    if (opts.screen !== undefined) writeTextFile(opts.screen, opened.machine.screenText(), 'screen');
    return { ...result, log, image: opened.imagePath, seekedFrom, jit: jitSummary(opened.machine.cpu, result.icount - (seekedFrom ?? 0)) };
  } catch (e) {
    if (e instanceof LogError) throw new UsageError(e.message);
    throw e;
  } finally {
    out.close();
    session.close();
  }
}

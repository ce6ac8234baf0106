// `vmrr replay LOG`: re-execute a recording from its log alone.
import { replayLoop, type ReplayResult } from '../replay/session.js';
import { LogError } from '../replay/log-error.js';
import { StateHasher } from '../machine/state-hash.js';
import type { RunIo } from './run.js';
import { UsageError } from './exit.js';
import { BufferedSink, discardSink, type ByteSink } from './sinks.js';
import { openReplay } from './replay-machine.js';
import { findSeekPoint } from '../replay/seek.js';
import { applyCheckpoints } from '../machine/checkpoints.js';

export interface ReplayOptions {
  image?: string;
  force: boolean;
  verify: boolean;
  to?: number;
  json: boolean;
  /** With --to, start from the nearest checkpoint (default true; false replays from power-on, for comparison). */
  seek?: boolean;
  /** Replay with another TLB configuration than the recording's. */
  tlb?: { entries?: number; ways?: number; tracking?: boolean };
}

/** The --json object of `vmrr replay` (docs/cli-json.md). */
export interface ReplaySummary extends ReplayResult {
  log: string;
  image: string;
  /** With --to: the checkpoint icount the replay started from (null: from power-on). */
  seekedFrom: number | null;
}

export async function replayCommand(log: string, opts: ReplayOptions, io: RunIo): Promise<ReplaySummary> {
  const out: ByteSink = opts.json ? discardSink : new BufferedSink((b) => io.guestStdout(b));
  const { machine, replayer: rp, imagePath } = await openReplay(log, { image: opts.image, force: opts.force, output: (b) => out.write(b), tlb: opts.tlb });
  try {
    // --to: start from the nearest checkpoint at or before it instead of from power-on.
    let seekedFrom: number | null = null;
    if (opts.to !== undefined && opts.seek !== false) {
      const sp = findSeekPoint(log, opts.to);
      if (sp) {
        applyCheckpoints(machine, sp.chain);
        rp.seek(sp.offset, sp.index);
        seekedFrom = sp.icount;
      }
    }
    const hasher = new StateHasher(machine);
    const result = await replayLoop(machine, rp, {
      verify: opts.verify,
      hash: () => hasher.hashBytes(),
      to: opts.to,
      startedAt: seekedFrom ?? undefined,
      signal: io.signal,
      onYield: (ic) => {
        out.flush();
        io.progress?.(ic);
      },
    });
    out.flush();
    return { ...result, log, image: imagePath, seekedFrom };
  } catch (e) {
    if (e instanceof LogError) throw new UsageError(e.message);
    throw e;
  } finally {
    out.close();
    rp.close();
  }
}

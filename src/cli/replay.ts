// `vmrr replay LOG`: re-execute a recording from its log alone.
import { replayLoop, type ReplayResult } from '../replay/session.js';
import { LogError } from '../replay/log-error.js';
import { StateHasher } from '../machine/state-hash.js';
import type { RunIo } from './run.js';
import { UsageError } from './exit.js';
import { BufferedSink, discardSink, type ByteSink } from './sinks.js';
import { openReplay } from './replay-machine.js';

export interface ReplayOptions {
  image?: string;
  force: boolean;
  verify: boolean;
  to?: number;
  json: boolean;
}

/** The --json object of `vmrr replay` (docs/cli-json.md). */
export interface ReplaySummary extends ReplayResult {
  log: string;
  image: string;
  logIcount: number | null;
}

export async function replayCommand(log: string, opts: ReplayOptions, io: RunIo): Promise<ReplaySummary> {
  const out: ByteSink = opts.json ? discardSink : new BufferedSink((b) => io.guestStdout(b));
  const { machine, replayer: rp, imagePath } = await openReplay(log, { image: opts.image, force: opts.force, output: (b) => out.write(b) });
  try {
    const hasher = new StateHasher(machine);
    const result = await replayLoop(machine, rp, {
      verify: opts.verify,
      hash: () => hasher.hashBytes(),
      to: opts.to,
      signal: io.signal,
      onYield: (ic) => {
        out.flush();
        io.progress?.(ic);
      },
    });
    out.flush();
    return { ...result, log, image: imagePath, logIcount: null };
  } catch (e) {
    if (e instanceof LogError) throw new UsageError(e.message);
    throw e;
  } finally {
    out.close();
    rp.close();
  }
}

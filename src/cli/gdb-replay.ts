// `vmrr replay LOG --gdb [HOST:]PORT`: the replay waits at icount 0 for gdb,
// which can then run it forward and backward (reverse-stepi,
// reverse-continue). The session ends when gdb detaches or kills.
import { GdbServer, type SessionEnd } from '../gdb/server.js';
import { ReplayEngine } from '../gdb/replay-engine.js';
import { ReplayTarget } from '../gdb/replay-target.js';
import { openReplay } from './replay-machine.js';
import { listenForGdb, sessionEnd } from './gdb-run.js';
import type { GdbAddress } from './options.js';
import { BufferedSink } from './sinks.js';
import { symbolNamer } from './replay-text.js';

export interface GdbReplayOptions {
  image?: string;
  force: boolean;
  gdb: GdbAddress;
  /** --no-jit / --jit-threshold (reverse execution's re-runs use the same machine). */
  jitThreshold?: number;
}

export interface GdbReplayIo {
  guestStdout(bytes: Uint8Array): void;
  note(line: string): void;
  signal?: AbortSignal;
}

export interface GdbReplaySummary {
  log: string;
  /** How the session ended. */
  ended: SessionEnd | 'interrupted';
  /** The replay's position then. */
  icount: number;
}

export async function replayUnderGdb(log: string, opts: GdbReplayOptions, io: GdbReplayIo): Promise<GdbReplaySummary> {
  const out = new BufferedSink((b) => io.guestStdout(b));
  let engine: ReplayEngine | null = null;
  // Guest output once: not again when a step back replays a stretch already shown.
  const output = (b: number): void => {
    if (engine === null || engine.machine.cpu.icount >= engine.frontier) out.write(b);
  };
  const { machine, replayer, imagePath } = await openReplay(log, { image: opts.image, force: opts.force, output, jitThreshold: opts.jitThreshold });
  const flusher = setInterval(() => out.flush(), 100);
  try {
    engine = new ReplayEngine(machine, replayer, log);
    const server = new GdbServer(new ReplayTarget(engine, symbolNamer(imagePath)), { ...opts.gdb, log: io.note });
    await listenForGdb(server, opts.gdb, io);
    let ended: SessionEnd | 'interrupted';
    try {
      ended = await sessionEnd(server, () => false, io.signal);
    } finally {
      server.close();
    }
    return { log, ended, icount: engine.icount };
  } finally {
    clearInterval(flusher);
    out.close();
    replayer.close();
  }
}

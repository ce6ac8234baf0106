// `vmrr record IMAGE -o LOG`: run like `vmrr run`, logging every input.
import { resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { readFileSync, statSync } from 'node:fs';
import { configFromFlags, type MachineFlags } from './options.js';
import { buildMachine, encodeMachineConfig } from '../machine/config.js';
import { Recorder } from '../replay/recorder.js';
import { hostInputFor } from '../replay/input-source.js';
import { recordLoop } from '../replay/session.js';
import { sha256File, sha256Hex } from '../replay/digest.js';
import { LogError } from '../replay/log-error.js';
import { StateHasher } from '../machine/state-hash.js';
import { CheckpointTracker } from '../machine/snapshot.js';
import { loadPlan, type RunIo } from './run.js';
import { UsageError } from './exit.js';
import { writeTextFile } from './sinks.js';
import { guestWiring, openGuestIo, stopFields, type StopFields } from './guest-io.js';
import { jitSummary, type JitSummary } from './jit-stats.js';

export interface RecordOptions extends MachineFlags {
  output: string;
  ndBuffer: number;
  syncEvery: number;
  checkpointEvery: number;
  json: boolean;
  serial?: string;
  /** --screen FILE: the final VGA text screen. */
  screen?: string;
}

/** The --json object of `vmrr record` (docs/cli-json.md). */
export interface RecordSummary extends StopFields {
  image: string;
  log: string;
  logBytes: number;
  nd: Record<string, number>;
  events: number;
  syncPoints: number;
  checkpoints: number;
  jit: JitSummary;
}

const version: string = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')).version;

export async function recordCommand(image: string | undefined, opts: RecordOptions, io: RunIo): Promise<RecordSummary> {
  const { plan, path } = await loadPlan(image, { ...opts, exitCode: 'vmrr', json: opts.json });
  for (const w of plan.warnings) io.warn(w);
  const imagePath = opts.bios ?? path;
  const imageSha256 = sha256Hex(readFileSync(imagePath));
  const g = await openGuestIo(opts, io);
  let rec: Recorder | undefined;
  let icount = 0;
  try {
    const diskSha256 = opts.disk !== undefined ? await sha256File(opts.disk) : null;
    // The guest's command line starts with the image path as given; replay must rebuild it exactly.
    const config = configFromFlags(opts, path);
    try {
      rec = new Recorder({
        path: opts.output,
        ndBufferSize: opts.ndBuffer,
        mhz: opts.mhz,
        // Frames are cut at deterministic points only, so identical recordings give identical logs.
        periodicFlush: 'bytes',
        host: hostInputFor(config),
        header: {
          toolVersion: version,
          machine: encodeMachineConfig(config),
          imagePath: resolve(imagePath),
          imageSha256,
          diskPath: opts.disk !== undefined ? resolve(opts.disk) : null,
          diskSha256,
          clock: opts.clock,
        },
      });
    } catch (e) {
      if (e instanceof LogError) throw new UsageError(e.message);
      throw e;
    }
    const r = rec;
    const machine = buildMachine(config, r.input, r.outputs.tap({ ...guestWiring(g), onEvent: r.onEvent }));
    r.input.attach(machine.cpu);
    machine.load(plan);
    const hasher = new StateHasher(machine);
    const hash = (): Uint8Array => hasher.hashBytes();
    const tracker = opts.checkpointEvery > 0 ? new CheckpointTracker(machine) : null;
    let checkpoints = 0;
    const start = performance.now();
    const stop = await recordLoop(machine, r, {
      maxInsns: opts.maxInsns,
      syncEvery: opts.syncEvery,
      checkpointEvery: opts.checkpointEvery,
      hash,
      guestHash: () => hasher.guestHashOfLast(),
      checkpoint: tracker
        ? () => {
            checkpoints++;
            const cp = tracker.take();
            return { state: cp.state as unknown as Record<string, unknown>, pages: cp.pages };
          }
        : undefined,
      signal: io.signal,
      onYield: (ic) => {
        icount = ic;
        g.flush();
        io.progress?.(ic);
      },
    });
    const wallSeconds = (performance.now() - start) / 1000;
    icount = stop.icount;
    g.flush();
    if (opts.screen !== undefined) writeTextFile(opts.screen, machine.screenText(), 'screen');
    if (stop.reason === 'interrupted') {
      r.abort(stop.icount);
    } else {
      // No host time in the end frame: two identical recordings give identical logs (wallSeconds is in the summary).
      r.finish(stop, hash(), {});
    }
    await g.commitDisk();
    return {
      image: imagePath,
      log: opts.output,
      ...stopFields(stop, wallSeconds, machine.bus.unclaimed()),
      logBytes: fileBytes(opts.output),
      nd: r.input.nd.counters.toJSON(),
      events: r.events,
      syncPoints: r.syncs,
      checkpoints,
      jit: jitSummary(machine.cpu, stop.icount),
    };
  } catch (e) {
    // Keep what was recorded: the log stays marked incomplete and replays to its last whole frame.
    rec?.abort(icount);
    throw e;
  } finally {
    await g.close();
  }
}

/** Size of the finished log on disk (preamble, header and frames). */
function fileBytes(path: string): number {
  try {
    return statSync(path).size;
  } catch {
    return 0;
  }
}

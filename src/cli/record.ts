// `vmrr record IMAGE -o LOG`: run like `vmrr run`, logging every input.
import { resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { readFileSync, statSync } from 'node:fs';
import { FileDisk } from '../machine/file-disk.js';
import { diskTimingOf, type MachineOptions } from '../machine/options.js';
import { Recorder } from '../replay/recorder.js';
import { recordLoop } from '../replay/session.js';
import { sha256File, sha256Hex } from '../replay/digest.js';
import { LogError } from '../replay/log-error.js';
import { StateHasher } from '../machine/state-hash.js';
import { CheckpointTracker } from '../machine/snapshot.js';
import { loadPlan, newMachine, type RunIo } from './run.js';
import { UsageError, type StopReason } from './exit.js';
import { BufferedSink, discardSink, fileSink, type ByteSink } from './sinks.js';
import { openSerialInput, type StreamByteSource } from './serial-input.js';

export interface RecordOptions extends MachineOptions {
  output: string;
  ndBuffer: number;
  syncEvery: number;
  checkpointEvery: number;
  json: boolean;
  serial?: string;
}

/** The --json object of `vmrr record` (docs/cli-json.md). */
export interface RecordSummary {
  image: string;
  log: string;
  reason: StopReason;
  icount: number;
  eip: number;
  exitValue: number | null;
  faults: string[];
  wallSeconds: number;
  mips: number;
  logBytes: number;
  nd: Record<string, number>;
  events: number;
  syncPoints: number;
  checkpoints: number;
}

const version: string = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')).version;

export async function recordCommand(image: string | undefined, opts: RecordOptions, io: RunIo): Promise<RecordSummary> {
  const { plan, path } = await loadPlan(image, { ...opts, exitCode: 'vmrr', json: opts.json });
  for (const w of plan.warnings) io.warn(w);
  const imagePath = opts.bios ?? path;
  const imageSha256 = sha256Hex(readFileSync(imagePath));
  const sinks: ByteSink[] = [];
  const open = (s: ByteSink): ByteSink => (sinks.push(s), s);
  let disk: FileDisk | undefined;
  let serialIn: StreamByteSource | undefined;
  let rec: Recorder | undefined;
  let icount = 0;
  try {
    if (opts.disk !== undefined) disk = await FileDisk.open(opts.disk);
    if (opts.serialIn !== undefined) serialIn = await openSerialInput(opts.serialIn, io.stdin ?? process.stdin);
    const diskSha256 = opts.disk !== undefined ? await sha256File(opts.disk) : null;
    const out = open(opts.serial ? fileSink(opts.serial, 'serial output') : opts.json ? discardSink : new BufferedSink((b) => io.guestStdout(b)));
    const debugcon = new Map<number, ByteSink>();
    for (const d of opts.debugcon) debugcon.set(d.port, open(fileSink(d.file, `port 0x${d.port.toString(16)} output`)));
    if (!debugcon.has(0xe9)) debugcon.set(0xe9, out);
    try {
      rec = new Recorder({
        path: opts.output,
        ndBufferSize: opts.ndBuffer,
        mhz: opts.mhz,
        header: {
          toolVersion: version,
          machine: {
            ram: opts.ram,
            bios: opts.bios !== undefined,
            append: opts.append,
            // The guest's command line starts with the image path as given; replay must rebuild it exactly.
            imageArg: path,
            clock: opts.clock,
            mhz: opts.mhz,
            debugconPorts: [...debugcon.keys()],
            diskWritable: opts.diskWritable,
            // The disk model is part of the device state (its due times); the delivery mode is noted for reports.
            diskLatencyNs: diskTimingOf(opts).commandNs,
            diskSectorNs: diskTimingOf(opts).sectorNs,
            ioDelivery: opts.ioDelivery ?? 'safepoint',
            tlbEntries: opts.tlbEntries,
            tlbWays: opts.tlbWays,
            tlbTracking: opts.tlbTracking,
          },
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
    const machine = newMachine({
      ramBytes: opts.ram,
      input: r.input,
      clock: opts.clock,
      mhz: opts.mhz,
      serial: (b) => out.write(b),
      debugcon: [...debugcon].map(([port, s]) => ({ port, sink: (b: number) => s.write(b) })),
      serialIn,
      disk,
      diskTiming: diskTimingOf(opts),
      ioDelivery: opts.ioDelivery,
      onEvent: r.onEvent,
      tlbEntries: opts.tlbEntries,
      tlbWays: opts.tlbWays,
      tlbTracking: opts.tlbTracking,
    });
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
        for (const s of sinks) s.flush();
        io.progress?.(ic);
      },
    });
    const wallSeconds = (performance.now() - start) / 1000;
    icount = stop.icount;
    for (const s of sinks) s.flush();
    if (stop.reason === 'interrupted') {
      r.abort(stop.icount);
    } else {
      r.finish(stop, hash(), { wallMs: Math.round(wallSeconds * 1000) });
    }
    if (disk && opts.diskWritable) await disk.commit();
    const nd = r.input.nd.counters.toJSON();
    return {
      image: imagePath,
      log: opts.output,
      reason: stop.reason,
      icount: stop.icount,
      eip: stop.eip >>> 0,
      exitValue: stop.exitValue ?? null,
      faults: stop.faults ? stop.faults.split(' -> ') : [],
      wallSeconds,
      mips: wallSeconds > 0 ? stop.icount / wallSeconds / 1e6 : 0,
      logBytes: fileBytes(opts.output),
      nd,
      events: r.events,
      syncPoints: r.syncs,
      checkpoints,
    };
  } catch (e) {
    // Keep what was recorded: the log stays marked incomplete and replays to its last whole frame.
    rec?.abort(icount);
    throw e;
  } finally {
    for (const s of sinks) s.close();
    serialIn?.close();
    await disk?.close();
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

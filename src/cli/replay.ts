// `vmrr replay LOG`: re-execute a recording from its log alone.
import { readFileSync } from 'node:fs';
import { MemoryDisk } from '../devices/disk-backend.js';
import { Replayer } from '../replay/replayer.js';
import { replayLoop, type ReplayResult } from '../replay/session.js';
import { sha256Hex } from '../replay/digest.js';
import { LogError } from '../replay/log-error.js';
import { StateHasher } from '../machine/state-hash.js';
import type { LogHeader } from '../replay/log-format.js';
import { newMachine, readImage, type RunIo } from './run.js';
import { loadBios, loadMultiboot } from '../machine/loaders.js';
import { UsageError } from './exit.js';
import { BufferedSink, discardSink, type ByteSink } from './sinks.js';

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

/** The machine configuration a recording was made with, from its header. */
interface RecordedMachine {
  ram: number;
  bios: boolean;
  append: string;
  clock: 'host' | 'virtual';
  mhz: number;
  debugconPorts: number[];
  wallClockMs: number;
  imageArg: string;
}

function recordedMachine(h: LogHeader, log: string): RecordedMachine {
  const m = h.machine as Record<string, unknown>;
  const num = (k: string): number => {
    const v = m[k];
    if (typeof v !== 'number' || !Number.isFinite(v)) throw new UsageError(`${log}: the header's machine configuration has no valid '${k}'`);
    return v;
  };
  const ports = Array.isArray(m.debugconPorts) ? m.debugconPorts.filter((p): p is number => typeof p === 'number') : [0xe9];
  return {
    ram: num('ram'),
    bios: m.bios === true,
    append: typeof m.append === 'string' ? m.append : '',
    clock: m.clock === 'virtual' ? 'virtual' : 'host',
    mhz: num('mhz'),
    debugconPorts: ports,
    wallClockMs: num('wallClockMs'),
    imageArg: typeof m.imageArg === 'string' ? m.imageArg : h.imagePath,
  };
}

export async function replayCommand(log: string, opts: ReplayOptions, io: RunIo): Promise<ReplaySummary> {
  let rp: Replayer;
  try {
    rp = new Replayer(log);
  } catch (e) {
    if (e instanceof LogError) throw new UsageError(e.message);
    throw e;
  }
  const sinks: ByteSink[] = [];
  try {
    const h = rp.header;
    const cfg = recordedMachine(h, log);
    const imagePath = opts.image ?? h.imagePath;
    const bytes = await readImage(imagePath, 'image');
    const got = sha256Hex(bytes);
    if (got !== h.imageSha256 && !opts.force) {
      throw new UsageError(`${imagePath} is not the image ${log} was recorded with (SHA-256 ${got.slice(0, 12)}..., the log wants ${h.imageSha256.slice(0, 12)}...); --force replays it anyway`);
    }
    let disk: MemoryDisk | undefined;
    if (h.diskPath !== null) {
      let diskBytes: Uint8Array;
      try {
        diskBytes = new Uint8Array(readFileSync(h.diskPath));
      } catch (e) {
        throw new UsageError(`cannot read the disk ${h.diskPath} that ${log} was recorded with: ${(e as NodeJS.ErrnoException).code ?? String(e)}`);
      }
      if (sha256Hex(diskBytes) !== h.diskSha256 && !opts.force) {
        throw new UsageError(`${h.diskPath} has changed since ${log} was recorded (its SHA-256 differs); --force replays it anyway`);
      }
      disk = new MemoryDisk(diskBytes);
    }
    // The plan is rebuilt as record built it: the same kernel command line ("IMAGE APPEND", IMAGE as given then).
    const plan = cfg.bios ? loadBios(bytes) : loadMultiboot(bytes, cfg.ram, `${cfg.imageArg} ${cfg.append}`);
    const out: ByteSink = opts.json ? discardSink : new BufferedSink((b) => io.guestStdout(b));
    sinks.push(out);
    const machine = newMachine({
      ramBytes: cfg.ram,
      input: rp.input,
      clock: cfg.clock,
      mhz: cfg.mhz,
      serial: (b) => out.write(b),
      debugcon: cfg.debugconPorts.map((port) => ({ port, sink: port === 0xe9 ? (b: number) => out.write(b) : () => {} })),
      disk,
      events: rp.events,
    });
    rp.attach(machine.cpu);
    machine.load(plan);
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
    for (const s of sinks) s.close();
    rp.close();
  }
}

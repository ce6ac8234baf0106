// `vmrr run`: load an image, run it to its end, and return a summary.
import { readFile, stat } from 'node:fs/promises';
import { performance } from 'node:perf_hooks';
import { Machine, type DebugConSpec } from '../machine/machine.js';
import { HostInputSource } from '../replay/input-source.js';
import { ImageError, loadBios, loadMultiboot, type LoadPlan } from '../machine/loaders.js';
import type { MachineOptions, RunOnlyOptions } from '../machine/options.js';
import { UsageError, type StopReason } from './exit.js';
import { BufferedSink, describeFsError, discardSink, fileSink, type ByteSink } from './sinks.js';

export interface RunOptions extends MachineOptions, RunOnlyOptions {}

export interface RunIo {
  /** Guest output bound for the terminal. */
  guestStdout(bytes: Uint8Array): void;
  warn(message: string): void;
  /** Aborting stops the guest at the end of the current slice. */
  signal?: AbortSignal;
  /** Called after every slice with the instruction count so far. */
  progress?(icount: number): void;
}

/** The --json object; docs/cli-json.md documents it. */
export interface RunSummary {
  image: string;
  kind: LoadPlan['kind'];
  ramBytes: number;
  reason: StopReason;
  icount: number;
  eip: number;
  exitValue: number | null;
  faults: string[];
  wallSeconds: number;
  mips: number;
}

/** Instructions per slice: output is flushed and Ctrl-C noticed between slices. */
const SLICE = 20_000_000;

export async function runCommand(image: string | undefined, opts: RunOptions, io: RunIo): Promise<RunSummary> {
  const { plan, path } = await loadPlan(image, opts);
  for (const w of plan.warnings) io.warn(w);

  const sinks: ByteSink[] = [];
  const open = (s: ByteSink): ByteSink => (sinks.push(s), s);
  try {
    const out = open(
      opts.serial ? fileSink(opts.serial, 'serial output') : opts.json ? discardSink : new BufferedSink((b) => io.guestStdout(b)),
    );
    const debugcon = new Map<number, ByteSink>();
    for (const d of opts.debugcon) debugcon.set(d.port, open(fileSink(d.file, `port 0x${d.port.toString(16)} output`)));
    if (!debugcon.has(0xe9)) debugcon.set(0xe9, out);

    const machine = newMachine(opts.ram, (b) => out.write(b), [...debugcon].map(([port, s]) => ({ port, sink: (b) => s.write(b) })));
    machine.load(plan);

    const start = performance.now();
    let stop;
    let reason: StopReason;
    for (;;) {
      const target = machine.cpu.icount + SLICE;
      stop = machine.run(opts.maxInsns === undefined ? target : Math.min(target, opts.maxInsns));
      for (const s of sinks) s.flush();
      io.progress?.(stop.icount);
      if (stop.reason !== 'limit' || (opts.maxInsns !== undefined && stop.icount >= opts.maxInsns)) {
        reason = stop.reason;
        break;
      }
      // Let signal handlers and the spinner run.
      await new Promise((resolve) => setImmediate(resolve));
      if (io.signal?.aborted) {
        reason = 'interrupted';
        break;
      }
    }
    const wallSeconds = (performance.now() - start) / 1000;
    return {
      image: path,
      kind: plan.kind,
      ramBytes: opts.ram,
      reason,
      icount: stop.icount,
      eip: stop.eip >>> 0,
      exitValue: stop.exitValue ?? null,
      faults: stop.faults ? stop.faults.split(' -> ') : [],
      wallSeconds,
      mips: wallSeconds > 0 ? stop.icount / wallSeconds / 1e6 : 0,
    };
  } finally {
    for (const s of sinks) s.close();
  }
}

async function loadPlan(image: string | undefined, opts: RunOptions): Promise<{ plan: LoadPlan; path: string }> {
  if (image !== undefined && opts.bios !== undefined) {
    throw new UsageError('give either IMAGE or --bios FILE, not both (vmrr has no option-ROM loader to boot a kernel from a BIOS)');
  }
  if (opts.bios !== undefined) {
    const rom = await readImage(opts.bios, 'ROM image');
    return { plan: naming(opts.bios, () => loadBios(rom)), path: opts.bios };
  }
  if (image === undefined) throw new UsageError('run needs an IMAGE (a Multiboot kernel) or --bios FILE (see vmrr help run)');
  const bytes = await readImage(image, 'image');
  // As QEMU: the guest's command line is the kernel path as given, a space, then --append.
  return { plan: naming(image, () => loadMultiboot(bytes, opts.ram, `${image} ${opts.append}`)), path: image };
}

/** Image errors name the file. */
function naming<T>(path: string, load: () => T): T {
  try {
    return load();
  } catch (e) {
    if (e instanceof ImageError) throw new ImageError(`${path}: ${e.message}`);
    throw e;
  }
}

/** Larger files are refused before reading: no guest image comes near it. */
const MAX_IMAGE_BYTES = 1 << 30;

async function readImage(path: string, what: string): Promise<Uint8Array> {
  try {
    const info = await stat(path);
    if (info.isDirectory()) throw Object.assign(new Error(), { code: 'EISDIR' });
    if (info.size > MAX_IMAGE_BYTES) throw new UsageError(`${what} ${path} is ${info.size} bytes; at most 1 GiB is read`);
    return new Uint8Array(await readFile(path));
  } catch (e) {
    if (e instanceof UsageError) throw e;
    throw new UsageError(`cannot read ${what} ${path}: ${describeFsError(e)}`);
  }
}

function newMachine(ramBytes: number, serial: (b: number) => void, debugcon: DebugConSpec[]): Machine {
  try {
    return new Machine({ ramBytes, input: new HostInputSource(), serial, debugcon });
  } catch (e) {
    // A --debugcon port that a built-in device (COM1, isa-debug-exit) already has.
    if (e instanceof Error && /claimed by both/.test(e.message)) throw new UsageError(`--debugcon: ${e.message}`);
    throw e;
  }
}

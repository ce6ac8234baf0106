// `vmrr run`: load an image, run it to its end, and return a summary.
import { readFile, stat } from 'node:fs/promises';
import { performance } from 'node:perf_hooks';
import type { Readable } from 'node:stream';
import { Machine, type DebugConSpec, type MachineOptions as MachineConfig } from '../machine/machine.js';
import { DiskCommitError, FileDisk } from '../machine/file-disk.js';
import { HostInputSource } from '../replay/input-source.js';
import { ImageError, loadBios, loadMultiboot, type LoadPlan } from '../machine/loaders.js';
import { diskTimingOf, type MachineOptions, type RunOnlyOptions } from '../machine/options.js';
import { UsageError, type StopReason } from './exit.js';
import { BufferedSink, describeFsError, discardSink, fileSink, type ByteSink } from './sinks.js';
import { openSerialInput, type StreamByteSource } from './serial-input.js';

export interface RunOptions extends MachineOptions, RunOnlyOptions {}

export interface RunIo {
  /** Guest output bound for the terminal. */
  guestStdout(bytes: Uint8Array): void;
  warn(message: string): void;
  /** Aborting stops the guest at the end of the current slice. */
  signal?: AbortSignal;
  /** Called after every slice with the instruction count so far. */
  progress?(icount: number): void;
  /** Standard input, for --serial-in - (default process.stdin). */
  stdin?: Readable;
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

export async function runCommand(image: string | undefined, opts: RunOptions, io: RunIo): Promise<RunSummary> {
  const { plan, path } = await loadPlan(image, opts);
  for (const w of plan.warnings) io.warn(w);

  const sinks: ByteSink[] = [];
  const open = (s: ByteSink): ByteSink => (sinks.push(s), s);
  let disk: FileDisk | undefined;
  let serialIn: StreamByteSource | undefined;
  try {
    if (opts.disk !== undefined) disk = await FileDisk.open(opts.disk);
    if (opts.serialIn !== undefined) serialIn = await openSerialInput(opts.serialIn, io.stdin ?? process.stdin);
    const out = open(
      opts.serial ? fileSink(opts.serial, 'serial output') : opts.json ? discardSink : new BufferedSink((b) => io.guestStdout(b)),
    );
    const debugcon = new Map<number, ByteSink>();
    for (const d of opts.debugcon) debugcon.set(d.port, open(fileSink(d.file, `port 0x${d.port.toString(16)} output`)));
    if (!debugcon.has(0xe9)) debugcon.set(0xe9, out);

    const machine = newMachine({
      ramBytes: opts.ram,
      input: new HostInputSource(opts.mhz),
      clock: opts.clock,
      mhz: opts.mhz,
      serial: (b) => out.write(b),
      debugcon: [...debugcon].map(([port, s]) => ({ port, sink: (b: number) => s.write(b) })),
      serialIn,
      disk,
      tlbEntries: opts.tlbEntries,
      tlbWays: opts.tlbWays,
      tlbTracking: opts.tlbTracking,
      diskTiming: diskTimingOf(opts),
      ioDelivery: opts.ioDelivery,
    });
    machine.load(plan);

    const start = performance.now();
    const stop = await machine.runAsync({
      maxInsns: opts.maxInsns,
      signal: io.signal,
      onYield: (icount) => {
        for (const s of sinks) s.flush();
        io.progress?.(icount);
      },
    });
    const wallSeconds = (performance.now() - start) / 1000;
    for (const s of sinks) s.flush();
    if (disk && opts.diskWritable) {
      try {
        await disk.commit();
      } catch (e) {
        if (e instanceof DiskCommitError) throw new UsageError(e.message);
        throw e;
      }
    }
    return {
      image: path,
      kind: plan.kind,
      ramBytes: opts.ram,
      reason: stop.reason,
      icount: stop.icount,
      eip: stop.eip >>> 0,
      exitValue: stop.exitValue ?? null,
      faults: stop.faults ? stop.faults.split(' -> ') : [],
      wallSeconds,
      mips: wallSeconds > 0 ? stop.icount / wallSeconds / 1e6 : 0,
    };
  } finally {
    for (const s of sinks) s.close();
    serialIn?.close();
    await disk?.close();
  }
}

export async function loadPlan(image: string | undefined, opts: RunOptions): Promise<{ plan: LoadPlan; path: string }> {
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

export async function readImage(path: string, what: string): Promise<Uint8Array> {
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

export function newMachine(config: MachineConfig): Machine {
  try {
    return new Machine(config);
  } catch (e) {
    // A --debugcon port that a built-in device (COM1, isa-debug-exit) already has.
    if (e instanceof Error && /claimed by both/.test(e.message)) throw new UsageError(`--debugcon: ${e.message}`);
    if (e instanceof RangeError && /TLB/.test(e.message)) throw new UsageError(`--tlb-entries/--tlb-ways: ${e.message}`);
    throw e;
  }
}

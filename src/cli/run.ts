// `vmrr run`: load an image, run it to its end, and return a summary.
import { readFile, stat } from 'node:fs/promises';
import { performance } from 'node:perf_hooks';
import type { Readable } from 'node:stream';
import { buildMachine } from '../machine/config.js';
import { hostInputFor } from '../replay/input-source.js';
import { ImageError, loadBios, type LoadPlan } from '../machine/loaders.js';
import { planImage } from '../machine/image-plan.js';
import { configFromFlags, type MachineFlags, type RunOnlyOptions } from './options.js';
import { UsageError } from './exit.js';
import { describeFsError, writeTextFile } from './sinks.js';
import type { ProgressExtra } from './progress.js';
import { guestWiring, openGuestIo, stopFields, type StopFields } from './guest-io.js';
import { runUnderGdb } from './gdb-run.js';
import { jitSummary, type JitSummary } from './jit-stats.js';

export interface RunOptions extends MachineFlags, RunOnlyOptions {}

export interface RunIo {
  /** Guest output bound for the terminal. */
  guestStdout(bytes: Uint8Array): void;
  warn(message: string): void;
  /** Aborting stops the guest at the end of the current slice. */
  signal?: AbortSignal;
  /**
   * Called whenever the machine yields to the host (at least every 25 ms of host
   * time) with the instruction count so far and what else the command knows:
   * a replay passes `{ total }`, the log's final icount; ft-check its rounds,
   * divergences and resyncs (src/cli/progress.ts draws the line).
   */
  progress?(icount: number, extra?: ProgressExtra): void;
  /** Standard input, for --serial-in - (default process.stdin). */
  stdin?: Readable;
  /** A line for the person at the terminal, e.g. "waiting for gdb on ..." (default: standard error). */
  note?(line: string): void;
}

/** The --json object; docs/cli-json.md documents it. */
export interface RunSummary extends StopFields {
  image: string;
  kind: LoadPlan['kind'];
  ramBytes: number;
  jit: JitSummary;
}

export async function runCommand(image: string | undefined, opts: RunOptions, io: RunIo): Promise<RunSummary> {
  const { plan, path } = await loadPlan(image, opts);
  for (const w of plan.warnings) io.warn(w);

  const g = await openGuestIo(opts, io);
  try {
    const config = configFromFlags(opts, path);
    const machine = buildMachine(config, hostInputFor(config), guestWiring(g));
    machine.load(plan);

    const start = performance.now();
    const runOpts = {
      maxInsns: opts.maxInsns,
      signal: io.signal,
      onYield: (icount: number) => {
        g.flush();
        io.progress?.(icount);
      },
    };
    const note = io.note ?? ((line: string) => process.stderr.write(line + '\n'));
    const stop = opts.gdb
      ? await runUnderGdb(machine, opts.gdb, runOpts, { note, signal: io.signal })
      : await machine.runAsync(runOpts);
    const wallSeconds = (performance.now() - start) / 1000;
    g.flush();
    if (opts.screen !== undefined) writeTextFile(opts.screen, machine.screenText(), 'screen');
    await g.commitDisk();
    return { image: path, kind: plan.kind, ramBytes: opts.ram, ...stopFields(stop, wallSeconds, machine.bus.unclaimed()), jit: jitSummary(machine.cpu, stop.icount) };
  } finally {
    await g.close();
  }
}

export async function loadPlan(image: string | undefined, opts: RunOptions): Promise<{ plan: LoadPlan; path: string }> {
  if (image !== undefined && opts.bios !== undefined) {
    throw new UsageError('give either IMAGE or --bios FILE, not both (vmrr has no option-ROM loader to boot a kernel from a BIOS)');
  }
  if (opts.bios !== undefined) {
    if (opts.initrd !== undefined) throw new UsageError('--initrd needs a Linux kernel IMAGE, not --bios');
    const rom = await readImage(opts.bios, 'ROM image');
    return { plan: naming(opts.bios, () => loadBios(rom)), path: opts.bios };
  }
  if (image === undefined) throw new UsageError('run needs an IMAGE (a Multiboot or Linux kernel) or --bios FILE (see vmrr help run)');
  const bytes = await readImage(image, 'image');
  const initrd = opts.initrd !== undefined ? await readImage(opts.initrd, 'initrd') : undefined;
  // As QEMU: a Multiboot command line is the kernel path as given, a space, then --append; Linux gets --append alone.
  return { plan: naming(image, () => planImage(bytes, { bios: false, ram: opts.ram, append: opts.append, imageArg: image, initrd })), path: image };
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

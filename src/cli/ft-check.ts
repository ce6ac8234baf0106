// `vmrr ft-check IMAGE`: run a primary and a secondary in quasi-lockstep
// (src/ft/), release the primary's output as the secondary confirms it, and
// report divergences, resyncs and the verdict.
import { resolve } from 'node:path';
import { readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { FileDisk } from '../machine/file-disk.js';
import { applyDefaults, configFromFlags, OptionError, type MachineFlags } from './options.js';
import { encodeMachineConfig } from '../machine/config.js';
import { sha256Hex } from '../replay/digest.js';
import { hostInputFor } from '../replay/input-source.js';
import { ftCheck } from '../ft/checker.js';
import type { FtReport } from '../ft/report.js';
import { parseInjection, type Injection, type LooseSource } from '../ft/inject.js';
import { loadPlan, readImage, type RunIo } from './run.js';
import { BufferedSink, discardSink, fileSink, writeTextFile, type ByteSink } from './sinks.js';
import { ScreenModel } from '../ft/screen-channel.js';
import { openSerialInput, type StreamByteSource } from './serial-input.js';
import { ReleaseSink } from '../ft/release-sink.js';
import { debugconChannel } from '../ft/outputs.js';
import { Arbiter, SupersededError } from '../ft/arbiter.js';
import { remoteSecondary, serialInPath } from './ft-remote.js';

export interface FtCheckCliOptions extends MachineFlags {
  inject: Injection[];
  loose: LooseSource[];
  maxLag: number;
  slice: number;
  ndBuffer: number;
  json: boolean;
  report?: string;
  /** 1: both guests in this thread, in turn; 2: the secondary in a worker thread, pipelined (src/ft/parallel.ts). */
  threads?: number;
  /** 'spawn' or [HOST:]PORT: the secondary in another process, over TCP (src/ft/socket-channel.ts). */
  secondary?: string;
  /** Silence on the link longer than this (ms) means the peer is gone. */
  heartbeat?: number;
  /** Released guest output to FILE instead of standard output, and its offset ledger. */
  output?: string;
  ledger?: string;
  /** After losing the secondary, keep trying to get a new one (full resync when it joins). */
  rejoin?: boolean;
  /** --screen FILE: the released VGA text screen when the check ends. */
  screen?: string;
  /** --secondary-jit-threshold N: the secondary's engine (in this process, a worker, or a spawned one); default the primary's. */
  secondaryJitThreshold?: number;
}

const version: string = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')).version;

export async function ftCheckCommand(image: string | undefined, opts: FtCheckCliOptions, io: RunIo): Promise<FtReport> {
  if (opts.vgaRom !== undefined && opts.bios === undefined) throw new OptionError('--vga-rom needs --bios: a BIOS runs the VGA option ROM');
  if (opts.keys !== undefined && opts.secondary !== undefined) {
    throw new OptionError('ft-check --keys works with the secondary in this process (--threads 1 or 2), not with --secondary: a takeover could not go on typing');
  }
  if (opts.keys === '-' && opts.serialIn === '-') throw new OptionError('--keys - and --serial-in - cannot both read standard input');
  const { plan, path } = await loadPlan(image, { ...opts, exitCode: 'vmrr', json: opts.json });
  for (const w of plan.warnings) io.warn(w);
  for (const inj of opts.inject) {
    if (inj.kind === 'mem' && inj.addr >= opts.ram) {
      throw new OptionError(`--inject: '${inj.spec}': PHYSADDR 0x${inj.addr.toString(16)} is beyond the guest's RAM (${opts.ram} bytes)`);
    }
  }
  const imagePath = opts.bios ?? path;
  const imageSha256 = sha256Hex(readFileSync(imagePath));
  const sinks: ByteSink[] = [];
  const open = (s: ByteSink): ByteSink => (sinks.push(s), s);
  let disk: FileDisk | undefined;
  let serialIn: StreamByteSource | undefined;
  let keysIn: StreamByteSource | undefined;
  try {
    let diskBytes: Uint8Array | undefined;
    if (opts.disk !== undefined) {
      disk = await FileDisk.open(opts.disk);
      diskBytes = await readImage(opts.disk, 'disk');
    }
    if (opts.serialIn !== undefined) serialIn = await openSerialInput(opts.serialIn, io.stdin ?? process.stdin);
    if (opts.keys !== undefined) keysIn = await openSerialInput(opts.keys, io.stdin ?? process.stdin, '--keys');
    const vgaRom = opts.vgaRom !== undefined ? await readImage(opts.vgaRom, 'VGA ROM') : undefined;
    // With a remote secondary, released output is written at once (a takeover resumes after the last byte written).
    const rel = opts.secondary !== undefined || opts.output !== undefined ? new ReleaseSink(opts.output ?? null, { append: false, ledger: opts.ledger, by: 'primary', discard: opts.json && opts.output === undefined }) : null;
    const out = open(rel ? { write: (b) => rel.write(Uint8Array.of(b)), flush: () => {}, close: () => rel.close() } : opts.json ? discardSink : new BufferedSink((b) => io.guestStdout(b)));
    const routes = new Map<string, ByteSink>([['serial', out], ['debugcon', out]]);
    // The screen channel: released updates applied to the screen --screen writes at the end.
    const screen = new ScreenModel();
    routes.set('screen', { write: (b) => screen.write([b]), flush: () => {}, close: () => {} });
    for (const d of opts.debugcon) {
      routes.set(debugconChannel(d.port), open(fileSink(d.file, `port 0x${d.port.toString(16)} output`)));
    }
    const config = configFromFlags(opts, path);
    if (opts.secondaryJitThreshold !== undefined && opts.secondary !== undefined && opts.secondary !== 'spawn') {
      throw new OptionError('--secondary-jit-threshold: a secondary at an address picks its own engine (vmrr ft-secondary --no-jit or --jit-threshold N)');
    }
    const remote = opts.secondary !== undefined ? await remoteSecondary(opts, config, serialInPath(opts), io) : undefined;
    const arbiter = new Arbiter(opts.output !== undefined ? resolve(opts.output) : null, `primary ${process.pid}`);
    const engine = opts.threads === 2 || remote ? (await import('../ft/parallel.js')).ftCheckParallel : ftCheck;
    const report = await engine({
      image: imagePath,
      setup: { plan, config, ...(vgaRom ? { vgaRom } : {}) },
      recorder: {
        ndBufferSize: opts.ndBuffer,
        mhz: opts.mhz,
        host: hostInputFor(config),
        header: {
          toolVersion: version,
          machine: encodeMachineConfig(config),
          imagePath: resolve(imagePath),
          imageSha256,
          diskPath: opts.disk !== undefined ? resolve(opts.disk) : null,
          diskSha256: diskBytes ? sha256Hex(diskBytes) : null,
          clock: opts.clock,
        },
      },
      disk: disk && diskBytes ? { primary: disk, bytes: diskBytes } : undefined,
      serialIn,
      keysIn,
      maxInsns: opts.maxInsns,
      injections: opts.inject,
      loose: opts.loose,
      secondaryJitThreshold: opts.secondaryJitThreshold,
      slice: opts.slice,
      maxLag: opts.maxLag,
      release: (channel, bytes) => {
        const s = routes.get(channel);
        if (!s) return;
        if (remote && arbiter.lost(remote.generation())) throw new SupersededError('the secondary took over the output (it won the arbitration after the link was lost): this primary stops');
        if (rel && s === out) rel.write(bytes);
        else if (channel === 'screen') screen.write(bytes);
        else for (const b of bytes) s.write(b);
      },
      claim: remote ? () => arbiter.claim(remote.generation()) : undefined,
      channel: remote?.channel,
      rejoin: remote && opts.rejoin ? remote.rejoin : undefined,
      linkInfo: remote?.info,
      sinkBytes: () => rel?.written ?? 0,
      lost: (l) => io.warn(`the secondary was lost at icount ${l.icount} (${l.message}): the primary runs on unprotected`),
      now: () => performance.now(),
      signal: io.signal,
      progress: (ic, so) => {
        for (const s of sinks) s.flush();
        io.progress?.(ic, so);
      },
    });
    for (const s of sinks) s.flush();
    if (opts.screen !== undefined) writeTextFile(opts.screen, screen.text(), 'screen');
    // Disk writes are output too: written back only when every one was confirmed or committed by a resync.
    if (disk && opts.diskWritable && report.verdict.ok) await disk.commit();
    return report;
  } finally {
    for (const s of sinks) s.close();
    serialIn?.close();
    keysIn?.close();
    await disk?.close();
  }
}

/** What `vmrr demo` can show of the FT check: a fault injected into the secondary, detected and corrected. */
export interface FtDemoPart {
  report: FtReport;
  /** A fault was injected, reported as a divergence, resynced, and the verdict is OK. */
  ok: boolean;
  /** Lines for the demo's summary. */
  lines: string[];
}

/**
 * Run `image` under ft-check with one register flip in the secondary at a round
 * boundary (so the sync point's state hash catches it at once); the guest's
 * released output is handed to `guestOut`.
 */
export async function ftDemoPart(image: string, io: { guestOut: (b: Uint8Array) => void; signal?: AbortSignal }): Promise<FtDemoPart> {
  const slice = 200_000;
  const spec = `reg:ebx:0x10@${2 * slice}`;
  const opts = applyDefaults({}) as unknown as MachineFlags;
  const report = await ftCheckCommand(image, {
    ...opts, inject: [parseInjection(spec)], loose: [], maxLag: 5_000_000, slice, ndBuffer: 4096, json: false,
  }, { guestStdout: io.guestOut, warn: () => {}, signal: io.signal });
  const d = report.divergences[0];
  const r = report.resyncs[0];
  const ok = report.verdict.ok && d !== undefined && r !== undefined && d.resync === 0;
  const lines = [
    `injected ${spec} into the secondary`,
    d ? `detected at icount ${d.icount} (${d.channel}: ${d.message})` : 'not detected',
    r ? `resynced at icount ${r.icount}: ${r.pages} pages (${r.pageBytes} of ${r.ramBytes} RAM bytes), primary paused ${r.pausedMs.toFixed(1)} ms, hashes ${r.hashEqual ? 'equal' : 'DIFFERENT'}` : 'no resync',
    `released output ${report.verdict.releasedEqualsPrimary ? 'equals' : 'DIFFERS from'} the primary's (${report.output.released} bytes); verdict ${report.verdict.ok ? 'OK' : 'FAILED'}`,
  ];
  return { report, ok, lines };
}

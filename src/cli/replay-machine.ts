// A machine rebuilt from a log's header, fed by that log: what `replay`,
// `diff` and `demo` start from. The image and disk must be the bytes the log
// was recorded with (their SHA-256 is checked) unless the caller forces it.
import { readFileSync } from 'node:fs';
import { MemoryDisk } from '../devices/disk-backend.js';
import { buildMachine, ConfigError, decodeMachineConfig, type MachineConfig } from '../machine/config.js';
import { Replayer } from '../replay/replayer.js';
import { sha256Hex } from '../replay/digest.js';
import { LogError } from '../replay/log-error.js';
import type { LogHeader } from '../replay/log-format.js';
import { planImage } from '../machine/image-plan.js';
import type { Machine } from '../machine/machine.js';
import { readImage } from './run.js';
import { UsageError } from './exit.js';

/** The machine configuration a recording was made with, from its header, and its RTC's wall-clock start. */
export interface RecordedMachine extends MachineConfig {
  wallClockMs: number;
}

export function recordedMachine(h: LogHeader, log: string): RecordedMachine {
  try {
    const m = h.machine as Record<string, unknown>;
    const wall = m.wallClockMs;
    if (typeof wall !== 'number' || !Number.isFinite(wall)) throw new ConfigError("the header's machine configuration has no valid 'wallClockMs'");
    return { ...decodeMachineConfig(m, h.imagePath), wallClockMs: wall };
  } catch (e) {
    if (e instanceof ConfigError) throw new UsageError(`${log}: ${e.message}`);
    throw e;
  }
}

export interface OpenReplayOptions {
  image?: string;
  force?: boolean;
  /** COM1 and port 0xE9 bytes. */
  output: (byte: number) => void;
  /** Replay under another TLB configuration than the recording's (to show what the T bit removes). */
  tlb?: { entries?: number; ways?: number; tracking?: boolean };
  /** The block-compiler threshold to replay with (0: interpreter only; default the stock one): the log does not say which engine recorded it. */
  jitThreshold?: number;
}

export interface OpenedReplay {
  machine: Machine;
  replayer: Replayer;
  imagePath: string;
  config: RecordedMachine;
}

/** Open `log` and build its machine, loaded and ready at icount 0. */
export async function openReplay(log: string, opts: OpenReplayOptions): Promise<OpenedReplay> {
  let rp: Replayer;
  try {
    rp = new Replayer(log);
  } catch (e) {
    if (e instanceof LogError) throw new UsageError(e.message);
    throw e;
  }
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
      // Replay needs no host I/O timing: the whole disk is read now, completions come from the log.
      disk = new MemoryDisk(diskBytes);
    }
    // The plan is rebuilt as record built it: the same kernel command line ("IMAGE APPEND", IMAGE as given then).
    let initrd: Uint8Array | undefined;
    if (cfg.initrd) {
      try {
        initrd = new Uint8Array(readFileSync(cfg.initrd));
      } catch (e) {
        throw new UsageError(`cannot read the initrd ${cfg.initrd} that ${log} was recorded with: ${(e as NodeJS.ErrnoException).code ?? String(e)}`);
      }
    }
    let vgaRom: Uint8Array | undefined;
    if (cfg.vgaRom) {
      try {
        vgaRom = new Uint8Array(readFileSync(cfg.vgaRom));
      } catch (e) {
        throw new UsageError(`cannot read the VGA ROM ${cfg.vgaRom} that ${log} was recorded with: ${(e as NodeJS.ErrnoException).code ?? String(e)}`);
      }
    }
    const plan = planImage(bytes, { bios: cfg.bios, ram: cfg.ram, append: cfg.append, imageArg: cfg.imageArg, initrd });
    const out = opts.output;
    const machine = buildMachine(
      { ...cfg, tlbEntries: opts.tlb?.entries ?? cfg.tlbEntries, tlbWays: opts.tlb?.ways ?? cfg.tlbWays, tlbTracking: opts.tlb?.tracking ?? cfg.tlbTracking, jitThreshold: opts.jitThreshold ?? cfg.jitThreshold },
      rp.input,
      rp.outputs.tap({ serial: out, debugcon: (port) => (port === 0xe9 ? out : () => {}), disk, events: rp.events, vgaRom }),
    );
    rp.attach(machine.cpu);
    machine.load(plan);
    return { machine, replayer: rp, imagePath, config: cfg };
  } catch (e) {
    rp.close();
    if (e instanceof LogError) throw new UsageError(e.message);
    throw e;
  }
}

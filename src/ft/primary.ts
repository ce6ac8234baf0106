// The FT primary: a recording machine with live inputs whose log goes down
// the link instead of to a file. It runs one round at a time and ends each
// with a sync point, so everything it logged before is on the link.

import type { Machine, StopInfo } from '../machine/machine.js';
import { buildMachine, type MachineConfig } from '../machine/config.js';
import type { ByteSource } from '../machine/events.js';
import type { DiskBackend } from '../devices/disk-backend.js';
import type { LoadPlan } from '../machine/loaders.js';
import { CheckpointTracker } from '../machine/snapshot.js';
import { StateHasher } from '../machine/state-hash.js';
import { Recorder, type RecorderOptions } from '../replay/recorder.js';
import type { FrameLink } from '../replay/frame-link.js';
import { OutputLog, debugconChannel } from './outputs.js';
import { DiskTap } from './disk-tap.js';
import { ScreenTap } from './screen-channel.js';

/** What both guests are built from: the load plan and the one machine configuration. */
export interface GuestSetup {
  plan: LoadPlan;
  config: MachineConfig;
  /** The bytes of config.vgaRom (--vga-rom), read by whoever builds the setup. */
  vgaRom?: Uint8Array;
}

export interface PrimaryOptions extends GuestSetup {
  recorder: Omit<RecorderOptions, 'path'>;
  link: FrameLink;
  disk?: DiskBackend;
  serialIn?: ByteSource;
  /** Keystrokes for the PS/2 keyboard (--keys): logged as key events, which the secondary replays. */
  keysIn?: ByteSource;
}

export class Primary {
  readonly machine: Machine;
  readonly recorder: Recorder;
  readonly out: OutputLog;
  readonly disk?: DiskTap;
  readonly tracker: CheckpointTracker;
  readonly hasher: StateHasher;
  /** The VGA text screen, sampled at every sync point and the end (the 'screen' channel). */
  readonly screen: ScreenTap;

  constructor(opts: PrimaryOptions) {
    this.recorder = new Recorder({ ...opts.recorder, path: '(ft link)' }, (h) => opts.link.sink(h));
    const rec = this.recorder;
    let m: Machine | null = null;
    this.out = new OutputLog(() => ({ icount: m!.cpu.icount, eip: m!.cpu.prevEip }));
    if (opts.disk) this.disk = new DiskTap(opts.disk, () => m!.cpu.icount);
    m = buildMachine(opts.config, rec.input, {
      serial: this.out.sink('serial'),
      debugcon: (port) => this.out.sink(debugconChannel(port)),
      serialIn: opts.serialIn,
      keysIn: opts.keysIn,
      vgaRom: opts.vgaRom,
      disk: this.disk,
      onEvent: rec.onEvent,
    });
    this.machine = m;
    rec.input.attach(m.cpu);
    m.load(opts.plan);
    // What loading read (the firmware's PIT programming reads the clock) goes down the link now.
    rec.flushAll(m.cpu.icount);
    rec.input.installBufferExit(m);
    this.tracker = new CheckpointTracker(m);
    this.hasher = new StateHasher(m);
    this.screen = new ScreenTap(m, this.out.sink('screen'));
  }

  get icount(): number {
    return this.machine.cpu.icount;
  }

  /** Run to `target` (or the guest's end) with live inputs. */
  runTo(target: number, signal?: AbortSignal): Promise<StopInfo> {
    return this.machine.runAsync({ maxInsns: target, signal });
  }

  /** End the round with a sync point: everything before it is on the link. */
  sync(stop: StopInfo): Uint8Array {
    this.screen.sample();
    const hash = this.hasher.hashBytes();
    this.recorder.sync(stop.icount, stop.eip >>> 0, hash);
    return hash;
  }

  /** The guest stopped: the end frame (or, interrupted, the link is cut). */
  finish(stop: StopInfo): Uint8Array {
    if (stop.reason !== 'interrupted') this.screen.sample();
    const hash = this.hasher.hashBytes();
    if (stop.reason === 'interrupted') this.recorder.abort(stop.icount);
    else this.recorder.finish(stop, hash, {});
    return hash;
  }
}

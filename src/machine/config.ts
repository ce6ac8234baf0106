// The one machine configuration: what run, record, replay, diff, ft-check and
// the FT worker build a guest from, and what a log's header stores so that a
// replay rebuilds the same machine. Adding a machine option means: a field
// here (with its default), a line in each of encode/decode, its use in
// buildMachine, and a row in the CLI's option table (src/cli/options.ts).

import { DEFAULT_ATA_TIMING, type AtaTiming } from '../devices/ata.js';
import type { DiskBackend } from '../devices/disk-backend.js';
import type { ClockMode } from './clock.js';
import type { ByteSource, MachineEvent, ScheduledEvents } from './events.js';
import { Machine, type MachineInput } from './machine.js';
import type { IoDelivery } from './scheduler.js';
import { checkGeometry } from '../memory/tlb.js';
import { DEFAULT_JIT_THRESHOLD } from '../cpu/cpu.js';

export type { ClockMode } from './clock.js';

/** Where the RTC starts (--rtc-base, as QEMU's -rtc base=): the host's UTC or local time, or a fixed time in ms since the epoch. */
export type RtcBase = 'utc' | 'localtime' | number;

/** A configuration the core cannot build (a bad header, a port claimed twice): exit status 2 at the CLI. */
export class ConfigError extends Error {
  override name = 'ConfigError';
}

export interface MachineConfig {
  /** Guest RAM in bytes. */
  ram: number;
  /** A raw ROM image (`--bios`) rather than a Multiboot kernel. */
  bios: boolean;
  /** Kernel command line after the image argument. */
  append: string;
  /** A Linux kernel's initrd file, as given ('' for none); replay reads it again. */
  initrd: string;
  /** The image path as given: the guest's command line starts with it, so replay rebuilds it exactly. */
  imageArg: string;
  clock: ClockMode;
  mhz: number;
  /** Debug-console ports, 0xE9 always among them. */
  debugconPorts: number[];
  diskWritable: boolean;
  /** The ATA disk's nominal service times (part of the device state: its due times). */
  diskTiming: AtaTiming;
  ioDelivery: IoDelivery;
  tlbEntries: number;
  tlbWays: number;
  tlbTracking: boolean;
  /** Where the RTC starts; the value read at power-on is an input, logged as the header's `wallClockMs`. */
  rtcBase: RtcBase;
  /** RDRAND/RDSEED seed (null: the host's RNG); recorded values are in the log, so replay does not use it. */
  seed: number | null;
  /** An x87 FPU (CPUID announces it). Logs made before vmrr had one say nothing, and replay without it. */
  fpu: boolean;
  /** Keystrokes are fed to the PS/2 keyboard (--keys): the log then holds key events (format version 3). */
  keys: boolean;
  /** A VGA BIOS file (--vga-rom) given to the firmware through fw_cfg, as given ('' for none); replay reads it again. */
  vgaRom: string;
  /**
   * The CPU engine, a host-side setting: the block compiler compiles code run
   * this many times (0: interpreter only, --no-jit; --jit-threshold N). Both
   * engines give the same guest execution, so it is neither in the log's
   * header (encode/decode leave it out: a log recorded with the JIT replays
   * without it and the other way round) nor in the state hash.
   */
  jitThreshold: number;
}

/** The block compiler's default threshold (cpu.blockThreshold's), re-exported for the CLI's option table. */
export { DEFAULT_JIT_THRESHOLD };

export const DEFAULT_MACHINE_CONFIG: Readonly<MachineConfig> = {
  ram: 32 << 20,
  bios: false,
  append: '',
  initrd: '',
  imageArg: '',
  clock: 'host',
  mhz: 1000,
  debugconPorts: [0xe9],
  diskWritable: false,
  diskTiming: DEFAULT_ATA_TIMING,
  ioDelivery: 'safepoint',
  tlbEntries: 4096,
  tlbWays: 1,
  tlbTracking: true,
  rtcBase: 'utc',
  seed: null,
  fpu: true,
  keys: false,
  vgaRom: '',
  jitThreshold: DEFAULT_JIT_THRESHOLD,
};

/** The header's `machine` map (docs/log-format.md); key names are the format's, kept from version 1. jitThreshold is left out (host-side). */
export function encodeMachineConfig(c: MachineConfig): Record<string, unknown> {
  return {
    ram: c.ram,
    bios: c.bios,
    append: c.append,
    initrd: c.initrd,
    imageArg: c.imageArg,
    clock: c.clock,
    mhz: c.mhz,
    debugconPorts: c.debugconPorts,
    diskWritable: c.diskWritable,
    diskLatencyNs: c.diskTiming.commandNs,
    diskSectorNs: c.diskTiming.sectorNs,
    ioDelivery: c.ioDelivery,
    tlbEntries: c.tlbEntries,
    tlbWays: c.tlbWays,
    tlbTracking: c.tlbTracking,
    rtcBase: c.rtcBase,
    seed: c.seed,
    fpu: c.fpu,
    // Only when set: headers of logs without key input stay as before.
    ...(c.keys ? { keys: true } : {}),
    ...(c.vgaRom ? { vgaRom: c.vgaRom } : {}),
  };
}

/** Bounds on RAM size (bytes, in whole 4 KiB pages) and CPU speed (MHz), for the flags and for a log's header alike. */
export const MIN_RAM = 2 << 20;
export const MAX_RAM = 3 * 2 ** 30;
export const MIN_MHZ = 1;
export const MAX_MHZ = 100000;

/** The header's `machine` map back; fields older logs lack take their defaults. */
export function decodeMachineConfig(m: Record<string, unknown>, fallbackImageArg: string): MachineConfig {
  const num = (k: string, dflt?: number): number => {
    const v = m[k];
    if (v === undefined && dflt !== undefined) return dflt;
    if (typeof v !== 'number' || !Number.isFinite(v)) throw new ConfigError(`the header's machine configuration has no valid '${k}'`);
    return v;
  };
  const d = DEFAULT_MACHINE_CONFIG;
  // The same bounds the CLI puts on --ram, --mhz and the TLB geometry: a header that passed its CRC may still lie.
  const ram = num('ram');
  if (ram < MIN_RAM || ram > MAX_RAM || ram % 4096 !== 0) {
    throw new ConfigError(`the header's machine configuration has RAM size ${ram}, not a multiple of 4 KiB from 2 MiB to 3 GiB`);
  }
  const mhz = num('mhz');
  if (!(mhz >= MIN_MHZ && mhz <= MAX_MHZ)) throw new ConfigError(`the header's machine configuration has CPU speed ${mhz} MHz, not 1 to 100000`);
  const tlb = { entries: num('tlbEntries', d.tlbEntries), ways: num('tlbWays', d.tlbWays) };
  const bad = checkGeometry(tlb);
  if (bad) throw new ConfigError(`the header's machine configuration has a bad TLB geometry: ${bad}`);
  return {
    ram,
    bios: m.bios === true,
    append: typeof m.append === 'string' ? m.append : '',
    initrd: typeof m.initrd === 'string' ? m.initrd : '',
    imageArg: typeof m.imageArg === 'string' ? m.imageArg : fallbackImageArg,
    clock: m.clock === 'virtual' ? 'virtual' : 'host',
    mhz,
    debugconPorts: Array.isArray(m.debugconPorts) ? m.debugconPorts.filter((p): p is number => typeof p === 'number') : [0xe9],
    diskWritable: m.diskWritable === true,
    diskTiming: { commandNs: num('diskLatencyNs', d.diskTiming.commandNs), sectorNs: num('diskSectorNs', d.diskTiming.sectorNs) },
    ioDelivery: m.ioDelivery === 'nominal' ? 'nominal' : 'safepoint',
    tlbEntries: tlb.entries,
    tlbWays: tlb.ways,
    tlbTracking: m.tlbTracking !== false,
    rtcBase: m.rtcBase === 'localtime' ? 'localtime' : typeof m.rtcBase === 'number' && Number.isFinite(m.rtcBase) ? m.rtcBase : 'utc',
    seed: typeof m.seed === 'number' && Number.isSafeInteger(m.seed) ? m.seed : null,
    // Absent: recorded before the x87 existed, on a CPU without one (CPUID differs).
    fpu: m.fpu === true,
    keys: m.keys === true,
    vgaRom: typeof m.vgaRom === 'string' ? m.vgaRom : '',
    // Not in the header: the replaying host picks its own engine.
    jitThreshold: DEFAULT_JIT_THRESHOLD,
  };
}

/** The host side of a machine: where its output goes and what else feeds it. */
export interface MachineWiring {
  /** COM1 transmit. */
  serial?: (byte: number) => void;
  /** The sink of each debug-console port (default: the serial sink). */
  debugcon?: (port: number) => (byte: number) => void;
  serialIn?: ByteSource;
  /** Keystrokes for the PS/2 keyboard. */
  keysIn?: ByteSource;
  /** The bytes of config.vgaRom (the caller reads the file). */
  vgaRom?: Uint8Array;
  disk?: DiskBackend;
  /** Replay: deliver these events at their logged positions. */
  events?: ScheduledEvents;
  /** Record: called with every event just before it is delivered. */
  onEvent?: (ev: MachineEvent, icount: number, eip: number) => void;
}

/** The one way a machine is built from a configuration and its input source. */
export function buildMachine(config: MachineConfig, input: MachineInput, wiring: MachineWiring = {}): Machine {
  const serial = wiring.serial ?? (() => {});
  const sinkOf = wiring.debugcon ?? (() => serial);
  if (config.vgaRom && !wiring.vgaRom) throw new ConfigError(`--vga-rom ${config.vgaRom}: the ROM's bytes were not given to the machine`);
  try {
    return new Machine({
      ramBytes: config.ram,
      input,
      clock: config.clock,
      mhz: config.mhz,
      serial,
      debugcon: config.debugconPorts.map((port) => ({ port, sink: sinkOf(port) })),
      serialIn: wiring.serialIn,
      keysIn: wiring.keysIn,
      vgaRom: wiring.vgaRom,
      disk: wiring.disk,
      diskTiming: config.diskTiming,
      ioDelivery: config.ioDelivery,
      events: wiring.events,
      onEvent: wiring.onEvent,
      tlbEntries: config.tlbEntries,
      tlbWays: config.tlbWays,
      tlbTracking: config.tlbTracking,
      fpu: config.fpu,
      jitThreshold: config.jitThreshold,
    });
  } catch (e) {
    // A --debugcon port that a built-in device (COM1, isa-debug-exit) already has.
    if (e instanceof Error && /claimed by both/.test(e.message)) throw new ConfigError(`--debugcon: ${e.message}`);
    if (e instanceof RangeError && /TLB/.test(e.message)) throw new ConfigError(`--tlb-entries/--tlb-ways: ${e.message}`);
    throw e;
  }
}

// What `run` and `record` share around a guest: its output sinks (COM1, the
// debug console ports), its serial input and disk, the machine options the
// command line gives, and the stop fields of their summaries.
import type { HaltKind, StopInfo } from '../machine/machine.js';
import type { UnclaimedPort } from '../devices/port-bus.js';
import type { MachineWiring } from '../machine/config.js';
import { DiskCommitError, FileDisk } from '../machine/file-disk.js';
import type { MachineFlags } from './options.js';
import { UsageError, type StopReason } from './exit.js';
import { BufferedSink, discardSink, fileSink, type ByteSink } from './sinks.js';
import { openSerialInput, type StreamByteSource } from './serial-input.js';
import { readImage, type RunIo } from './run.js';

export interface GuestIo {
  /** COM1 and, unless --debugcon took it, port 0xE9. */
  out: ByteSink;
  /** The sink of each debug-console port. */
  ports: Map<number, ByteSink>;
  disk?: FileDisk;
  serialIn?: StreamByteSource;
  keysIn?: StreamByteSource;
  vgaRom?: Uint8Array;
  flush(): void;
  /** Write guest disk writes back to the --disk file (--disk-writable). */
  commitDisk(): Promise<void>;
  close(): Promise<void>;
}

/** Open the guest's host side; on failure whatever was opened is closed again. */
export async function openGuestIo(opts: MachineFlags & { serial?: string; json: boolean }, io: RunIo): Promise<GuestIo> {
  const sinks: ByteSink[] = [];
  const open = (s: ByteSink): ByteSink => (sinks.push(s), s);
  let disk: FileDisk | undefined;
  let serialIn: StreamByteSource | undefined;
  let keysIn: StreamByteSource | undefined;
  const close = async (): Promise<void> => {
    for (const s of sinks) s.close();
    serialIn?.close();
    keysIn?.close();
    await disk?.close();
  };
  try {
    let vgaRom: Uint8Array | undefined;
    if (opts.vgaRom !== undefined) {
      if (opts.bios === undefined) throw new UsageError('--vga-rom needs --bios: a BIOS runs the VGA option ROM');
      vgaRom = await readImage(opts.vgaRom, 'VGA ROM');
    }
    if (opts.disk !== undefined) disk = await FileDisk.open(opts.disk);
    if (opts.serialIn !== undefined) serialIn = await openSerialInput(opts.serialIn, io.stdin ?? process.stdin);
    if (opts.keys !== undefined) {
      if (opts.keys === '-' && opts.serialIn === '-') throw new UsageError('--keys - and --serial-in - cannot both read standard input');
      keysIn = await openSerialInput(opts.keys, io.stdin ?? process.stdin, '--keys');
    }
    const out = open(
      opts.serial ? fileSink(opts.serial, 'serial output') : opts.json ? discardSink : new BufferedSink((b) => io.guestStdout(b)),
    );
    const ports = new Map<number, ByteSink>();
    for (const d of opts.debugcon) ports.set(d.port, open(fileSink(d.file, `port 0x${d.port.toString(16)} output`)));
    if (!ports.has(0xe9)) ports.set(0xe9, out);
    return {
      out,
      ports,
      disk,
      serialIn,
      keysIn,
      vgaRom,
      flush: () => {
        for (const s of sinks) s.flush();
      },
      commitDisk: async () => {
        if (!disk || !opts.diskWritable) return;
        try {
          await disk.commit();
        } catch (e) {
          if (e instanceof DiskCommitError) throw new UsageError(e.message);
          throw e;
        }
      },
      close,
    };
  } catch (e) {
    await close();
    throw e;
  }
}

/** The machine's host side: its output sinks, serial input and disk. */
export function guestWiring(g: GuestIo): MachineWiring {
  return {
    serial: (b) => g.out.write(b),
    debugcon: (port) => {
      const s = g.ports.get(port) ?? g.out;
      return (b) => s.write(b);
    },
    serialIn: g.serialIn,
    keysIn: g.keysIn,
    vgaRom: g.vgaRom,
    disk: g.disk,
  };
}

/** How a run stopped, as the run and record summaries report it. */
export interface StopFields {
  reason: StopReason;
  icount: number;
  eip: number;
  exitValue: number | null;
  faults: string[];
  /** For reason reset: the device the guest asked (port 0x92, i8042, PIIX3 reset control (0xCF9)); otherwise null. */
  resetBy: string | null;
  /** For reason halt: interrupts-off (HLT with IF=0) or no-wake-source; otherwise null. */
  halt: HaltKind | null;
  wallSeconds: number;
  mips: number;
  /** Ports the guest read or wrote that no device models (all-ones reads, dropped writes), by port. */
  unclaimedPorts: UnclaimedPort[];
}

export function stopFields(stop: StopInfo, wallSeconds: number, unclaimedPorts: UnclaimedPort[] = []): StopFields {
  return {
    reason: stop.reason,
    icount: stop.icount,
    eip: stop.eip >>> 0,
    exitValue: stop.exitValue ?? null,
    faults: stop.faults ? stop.faults.split(' -> ') : [],
    halt: stop.halt ?? null,
    resetBy: stop.resetBy ?? null,
    wallSeconds,
    mips: wallSeconds > 0 ? stop.icount / wallSeconds / 1e6 : 0,
    unclaimedPorts,
  };
}

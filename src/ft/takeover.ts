// Failover: the primary is gone, and the secondary, having replayed every
// whole round the primary sent (so it stands at the primary's last sync
// point, past all the output the primary released), goes live. Its state
// moves into a machine with live inputs (a snapshot restored into a fresh
// machine built like the primary's), which runs the guest on to its end.
// Output is released from exactly the first byte the primary had not
// released; the serial input goes on from the first byte the guest had not
// been given, a seeded RDRAND generator from the first value not taken,
// and the disk holds every write replayed so far.

import { readFileSync } from 'node:fs';
import { buildMachine } from '../machine/config.js';
import { MemoryDisk, type DiskBackend } from '../devices/disk-backend.js';
import type { Machine, MachineInput, StopInfo } from '../machine/machine.js';
import { restoreSnapshot, takeSnapshot } from '../machine/snapshot.js';
import { hostInputFor, type HostInputSource } from '../replay/input-source.js';
import type { ByteSource } from '../machine/events.js';
import type { Secondary } from './secondary.js';
import type { GuestSetup } from './primary.js';
import { debugconChannel, type Channel } from './outputs.js';

export interface TakeoverOptions {
  sec: Secondary;
  setup: GuestSetup;
  /** The secondary's output item the primary had not released (earlier ones are gone). */
  releaseFrom: number;
  release(channel: Channel, bytes: Uint8Array): void;
  /** COM1's input file, and how many of its bytes the guest was given. */
  serialIn: { path: string; taken: number } | null;
  /** RDRAND/RDSEED values the guest took (a seeded generator skips as many). */
  rdrands: number;
  /** The RTC's power-on time, as the primary's header gave it. */
  wallClockMs: number;
  /** Set when the replay had reached the primary's end: nothing is left to run. */
  ended: StopInfo | null;
  maxInsns?: number;
  signal?: AbortSignal;
  /** Called once the live machine is built, before anything is released. */
  ready?(): void;
}

export interface TakeoverResult {
  /** Where the secondary went live, and where the guest ended. */
  fromIcount: number;
  stop: StopInfo;
  /** Output bytes the replay had produced that the primary had not released, released at once. */
  replayedBytes: number;
  /** Bytes released by the live machine. */
  liveBytes: number;
  /** The disk as the guest left it, when it has one. */
  disk: Uint8Array | null;
}

/** Host time for the live machine, continuing from the guest time the replay had reached. */
class ContinuedInput implements MachineInput {
  constructor(private readonly host: HostInputSource, private readonly clockBase: number, private readonly tscBase: number, private readonly wall: number) {}
  rdtsc(): number {
    return this.tscBase + this.host.rdtsc();
  }
  rdrand(bits: number, seed: boolean): number {
    return this.host.rdrand(bits, seed);
  }
  clockNs(): number {
    return this.clockBase + this.host.clockNs();
  }
  peekClockNs(): number {
    return this.clockBase + this.host.peekClockNs();
  }
  wallClockMs(): number {
    return this.wall;
  }
}

/** The rest of the serial input file, from the first byte the guest was not given. */
class BytesLeft implements ByteSource {
  private pos = 0;
  constructor(private readonly bytes: Uint8Array) {}
  next(): number {
    return this.pos < this.bytes.length ? this.bytes[this.pos++] : -1;
  }
  get available(): boolean {
    return this.pos < this.bytes.length;
  }
  get ended(): boolean {
    return this.pos >= this.bytes.length;
  }
  onActivity(_cb: () => void): void {}
}

/** The secondary's guest, as a live machine: `run()` it to its end. */
export function liveMachine(o: TakeoverOptions, sink: { serial: (b: number) => void; debugcon: (port: number) => (b: number) => void }): { machine: Machine; disk: MemoryDisk | null } {
  const { sec, setup } = o;
  const cfg = setup.config;
  const host = hostInputFor(cfg);
  for (let i = 0; i < o.rdrands; i++) host.rdrand(32, false);
  // With the host clock, guest time (and the TSC, which follows it) goes on from where the replay left it.
  const clockNow = cfg.clock === 'host' ? sec.machine.clock.now() : 0;
  const input = new ContinuedInput(host, clockNow, Math.floor((clockNow * cfg.mhz) / 1000), o.wallClockMs);
  let disk: MemoryDisk | null = null;
  if (sec.disk) disk = new MemoryDisk((sec.disk.inner as MemoryDisk).contents());
  const serialIn = o.serialIn ? new BytesLeft(readFileSync(o.serialIn.path).subarray(o.serialIn.taken)) : undefined;
  const m = buildMachine(cfg, input, { serial: sink.serial, debugcon: sink.debugcon, serialIn, disk: disk as DiskBackend | undefined, vgaRom: setup.vgaRom });
  m.load(setup.plan);
  restoreSnapshot(m, takeSnapshot(sec.machine));
  return { machine: m, disk };
}

/** Go live and run the guest to its end, releasing output as it comes. */
export async function takeOver(o: TakeoverOptions): Promise<TakeoverResult> {
  const { sec } = o;
  let liveBytes = 0;
  const to = (ch: Channel) => (b: number): void => {
    liveBytes++;
    o.release(ch, Uint8Array.of(b));
  };
  const fromIcount = sec.icount;
  const { machine, disk } = liveMachine(o, { serial: to('serial'), debugcon: (port) => to(debugconChannel(port)) });
  o.ready?.();
  // The replay's output after the primary's last release goes out first, in order.
  let replayedBytes = 0;
  for (let i = o.releaseFrom; i < sec.out.length; i++) {
    o.release(sec.out.channelOf(i), Uint8Array.of(sec.out.byte(i)));
    replayedBytes++;
  }
  const stop = o.ended ?? (await machine.runAsync({ maxInsns: o.maxInsns, signal: o.signal }));
  return { fromIcount, stop, replayedBytes, liveBytes, disk: disk ? disk.contents() : null };
}

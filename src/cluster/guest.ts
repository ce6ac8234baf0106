// A guest running on a primary node, in record mode: its machine, run in
// slices that can be paused between instructions for a consistent state,
// its log (guest-log.ts: the recorder's frames, cut into a segment at each
// state), its page hashes, its disk (an in-memory overlay over the image it
// was started with) and the serial bytes it produced.

import { readFileSync } from 'node:fs';
import { MemoryDisk } from '../devices/disk-backend.js';
import { buildMachine, decodeMachineConfig, type MachineConfig } from '../machine/config.js';
import type { Machine, MachineInput, StopInfo } from '../machine/machine.js';
import { planImage } from '../machine/image-plan.js';
import { StateHasher, stateHashOf } from '../machine/state-hash.js';
import { HostInputSource } from '../replay/input-source.js';
import { Recorder } from '../replay/recorder.js';
import { sha256Hex } from '../replay/digest.js';
import type { OutputMark } from '../replay/output-ledger.js';
import { GuestLog, logHeaderOf, type LogCarry } from './guest-log.js';
import { applyState, blobHash, captureState, type CapturedState, diskChunks, PageHashes, type VmManifest } from './vm-state.js';

const version: string = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')).version;
/** ND buffer entries of a node's recorder (as `vmrr record`'s default). */
const ND_BUFFER = 4096;

export interface GuestInfo {
  vm: string;
  icount: number;
  status: 'running' | 'paused' | 'ended';
  outputBytes: number;
  /** Log bytes the node holds for this guest (segments not yet known to be committed on a secondary). */
  logBytes: number;
  /** Disk sectors the guest has written (null: no disk). */
  diskSectorsWritten: number | null;
  /** When ended: why, the guest's exit value and the final state hash. */
  end?: { reason: StopInfo['reason']; exitValue: number | null; stateHash: string };
}

/** A guest restored from a state (a migration): the state, where its blobs are, its output and log so far. */
export interface GuestOrigin {
  manifest: VmManifest;
  blob: (hash: string) => Uint8Array;
  output: Uint8Array;
  log: LogCarry;
}

/** The machine's input: a plain host source while a restored machine is built, then the recorder's. */
export class SwitchInput implements MachineInput {
  constructor(public cur: MachineInput) {}
  rdtsc(): number {
    return this.cur.rdtsc();
  }
  rdrand(bits: number, seed: boolean): number {
    return this.cur.rdrand(bits, seed);
  }
  clockNs(): number {
    return this.cur.clockNs();
  }
  peekClockNs(): number {
    return this.cur.peekClockNs();
  }
  wallClockMs(): number {
    return this.cur.wallClockMs();
  }
}

export class NodeGuest {
  readonly machine: Machine;
  readonly config: MachineConfig;
  readonly hashes: PageHashes;
  readonly output: number[] = [];
  readonly log: GuestLog;
  readonly disk: MemoryDisk | null;
  private readonly diskParts: ReturnType<typeof diskChunks> | null;
  private readonly host: HostInputSource;
  private readonly rec: Recorder;
  private readonly hasher: StateHasher;
  private readonly sectorHashes = new Map<number, { data: Uint8Array; hash: string }>();
  private lastOut: OutputMark = {};
  private run: Promise<StopInfo> | null = null;
  private ac: AbortController | null = null;
  private pauses = 0;
  end: StopInfo | null = null;

  constructor(
    readonly vm: string,
    readonly image: Uint8Array,
    readonly imageHash: string,
    configMap: Record<string, unknown>,
    readonly diskBase: Uint8Array | null,
    from?: GuestOrigin,
  ) {
    this.config = decodeMachineConfig(configMap, `${vm}.img`);
    const c = this.config;
    // A moved guest's RTC started when the guest did: its log header says when.
    const wall = from ? logHeaderOf(from.log.header).machine.wallClockMs : undefined;
    this.host = new HostInputSource(c.mhz, { rtcBase: typeof wall === 'number' ? wall : c.rtcBase, seed: c.seed });
    this.log = new GuestLog(from?.log);
    this.rec = new Recorder(
      {
        path: `(log of ${vm})`,
        ndBufferSize: ND_BUFFER,
        mhz: c.mhz,
        periodicFlush: 'bytes',
        host: this.host,
        header: {
          toolVersion: version,
          machine: configMap,
          imagePath: `${vm}.img`,
          imageSha256: sha256Hex(image),
          diskPath: diskBase ? `${vm}.disk` : null,
          diskSha256: diskBase ? sha256Hex(diskBase) : null,
          clock: c.clock,
        },
      },
      (h) => this.log.sink(h),
    );
    this.disk = diskBase ? new MemoryDisk(diskBase) : null;
    this.diskParts = diskBase ? diskChunks(diskBase) : null;
    // Loading a restored machine reads the host (the firmware sets the PIT up): those reads are not the guest's, and stay out of its log.
    const input = new SwitchInput(from ? new HostInputSource(c.mhz, { rtcBase: 0 }) : this.rec.input);
    this.machine = buildMachine(c, input, this.rec.outputs.tap({ serial: (b) => this.output.push(b), disk: this.disk ?? undefined, onEvent: this.rec.onEvent }));
    this.rec.input.attach(this.machine.cpu);
    this.rec.input.installBufferExit(this.machine);
    this.machine.load(planImage(image, { bios: c.bios, ram: c.ram, append: c.append, imageArg: c.imageArg }));
    if (from) {
      this.output.push(...from.output);
      applyState(this.machine, from.manifest, from.blob);
      if (this.disk) for (const [lba, h] of from.manifest.disk?.sectors ?? []) this.disk.write(lba, from.blob(h));
      this.host.setRandomPosition(from.manifest.rng);
      this.lastOut = from.manifest.log?.out ?? {};
      this.rec.outputs.restore(this.lastOut);
      input.cur = this.rec.input;
    }
    // A guest that had ended before it moved stays ended.
    if (this.machine.exitStatus >= 0) this.end = { reason: 'exit', icount: this.machine.cpu.icount, eip: this.machine.cpu.eip, cs: 0, exitValue: this.machine.exitStatus };
    this.hashes = new PageHashes(this.machine);
    this.hasher = new StateHasher(this.machine);
  }

  /** Test hook: the guest waits at this icount (as if paused) until it is moved or cleared (PrimaryNode.hold). */
  holdAt: number | null = null;

  start(): void {
    if (this.run || this.end || this.pauses > 0) return;
    const hold = this.holdAt;
    if (hold !== null && this.machine.cpu.icount >= hold) return;
    this.ac = new AbortController();
    const run = this.machine.runAsync({ signal: this.ac.signal, maxInsns: hold ?? undefined });
    this.run = run;
    void run.then((stop) => {
      if (this.run === run) this.run = null;
      if (stop.reason === 'limit' && hold !== null && stop.icount >= hold) return;
      if (stop.reason !== 'interrupted') this.end = stop;
    });
  }

  /** Run `f` with the guest stopped between two instructions, then let it go on. */
  async paused<T>(f: () => T | Promise<T>): Promise<T> {
    this.pauses++;
    try {
      const run = this.run;
      if (run) {
        this.ac!.abort();
        await run;
      }
      return await f();
    } finally {
      this.pauses--;
      if (this.pauses === 0) this.start();
    }
  }

  /**
   * The state now (call it paused): a sync point in the log closes the open
   * segment; the manifest lists every segment the node still holds.
   */
  capture(takenOn: string): CapturedState {
    const m = this.machine;
    const icount = m.cpu.icount;
    const extra = new Map<string, Uint8Array>();
    if (this.end && !this.log.ended) {
      // The guest has ended: the log ends with its end frame (a replay checks how it stopped, then the hash).
      this.rec.finish(this.end, this.hasher.hashBytes(), {});
      this.log.cut(icount);
      this.lastOut = this.rec.outputs.peek();
    } else if (icount !== this.log.syncedAt && !this.log.ended) {
      this.rec.sync(icount, m.cpu.eip >>> 0, this.hasher.hashBytes(), this.hasher.guestHashOfLast());
      this.log.cut(icount);
      this.lastOut = this.rec.outputs.peek();
    }
    extra.set(blobHash(this.log.header), this.log.header);
    for (const s of this.log.segments) extra.set(s.hash, s.bytes);
    let disk: VmManifest['disk'] = null;
    if (this.disk && this.diskBase && this.diskParts) {
      for (const [h, b] of this.diskParts.blobs) extra.set(h, b);
      const sectors: [number, string][] = [];
      for (const [lba, data] of this.disk.written()) {
        let e = this.sectorHashes.get(lba);
        if (!e || e.data !== data) {
          e = { data, hash: blobHash(data) };
          this.sectorHashes.set(lba, e);
        }
        extra.set(e.hash, data);
        sectors.push([lba, e.hash]);
      }
      disk = { bytes: this.diskBase.length, chunks: this.diskParts.chunks, sectors };
    }
    const segs = this.log.segments;
    const log: VmManifest['log'] = {
      header: blobHash(this.log.header),
      from: segs.length > 0 ? segs[0].from : icount,
      segments: segs.map((s) => [s.from, s.to, s.hash, s.bytes.length]),
      bytes: segs.reduce((n, s) => n + s.bytes.length, 0),
      out: this.lastOut,
    };
    return captureState(m, this.hashes, {
      vm: this.vm, imageHash: this.imageHash, config: this.config, outputBytes: this.output.length, takenOn,
      rng: this.host.randomPosition, disk, log, extra,
    }, false);
  }

  /** Stop for good (the guest migrated away or was stopped). */
  async halt(): Promise<void> {
    this.pauses++;
    if (this.run) {
      this.ac!.abort();
      await this.run;
    }
    this.hashes.close();
  }

  info(): GuestInfo {
    const status = this.end ? 'ended' : this.run ? 'running' : 'paused';
    const end = this.end
      ? { reason: this.end.reason, exitValue: this.end.exitValue ?? null, stateHash: stateHashOf(this.machine) }
      : undefined;
    return {
      vm: this.vm, icount: this.machine.cpu.icount, status, outputBytes: this.output.length,
      logBytes: this.log.segments.reduce((n, s) => n + s.bytes.length, 0),
      diskSectorsWritten: this.disk ? this.disk.written().length : null,
      end,
    };
  }
}

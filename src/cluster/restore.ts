// Rebuild a VM from the secondary cluster alone: find its newest committed
// state (or the one asked for) on any secondary, build a machine of the
// same configuration from the stored image, put it in that state from the
// blobs (RAM, machine state, disk sectors, the seeded RDRAND position),
// check its state hash against the one the primary took, and run on.
// With `replay`, first replay the log tail the state carries: from the
// state it starts at (the VM's previous committed state, or power-on) to
// this one, checking every sync point's state hash and output marks; the
// replay must arrive at this state's hash.

import { performance } from 'node:perf_hooks';
import { MemoryDisk } from '../devices/disk-backend.js';
import { buildMachine, decodeMachineConfig, type MachineWiring } from '../machine/config.js';
import { planImage } from '../machine/image-plan.js';
import { StateHasher, stateHashOf } from '../machine/state-hash.js';
import type { Machine, StopInfo } from '../machine/machine.js';
import { HostInputSource, hostInputFor } from '../replay/input-source.js';
import { Replayer } from '../replay/replayer.js';
import { ReplayCursor } from '../replay/replay-cursor.js';
import { FrameLink } from '../replay/frame-link.js';
import { RedisTarget, StoreError, type StoredState } from './store.js';
import { SwitchInput } from './guest.js';
import { splitFrames } from './guest-log.js';
import { applyState, diskImage, type VmManifest } from './vm-state.js';

export class RestoreError extends Error {
  override name = 'RestoreError';
}

export interface ReplayTailReport {
  /** The state the replay started from (0 with fromPowerOn), and the state it replayed to. */
  from: number;
  fromPowerOn: boolean;
  to: number;
  /** Log bytes replayed, sync points and state hashes checked on the way, output marks compared. */
  logBytes: number;
  syncPoints: number;
  stateHashes: number;
  outputMarks: number;
  /** reached: arrived at `to` with every check passed; divergence: a check failed; damaged: a frame does not decode (see `divergence`). */
  verdict: string;
  divergence: string | null;
  /** The replay's state hash at `to` (equal to the state's when all is well). */
  stateHash: string | null;
  ms: number;
}

export interface RestoreReport {
  vm: string;
  icount: number;
  from: string;
  /** The primary's state hash, and the restored machine's. */
  expectedHash: string;
  stateHash: string;
  hashMatches: boolean;
  restoreMs: number;
  /** Serial bytes the primary had produced before this state. */
  outputBytesBefore: number;
  /** Disk sectors the guest had written by this state (null: no disk). */
  diskSectors: number | null;
  /** The seeded RDRAND/RDSEED position restored (null: unseeded). */
  rng: number | null;
  /** With --replay: the replay of the log tail to this state. */
  replay: ReplayTailReport | null;
  /** null with --no-run. */
  run: { reason: StopInfo['reason']; icount: number; exitValue: number | null; stateHash: string; outputBytes: number } | null;
  /** Other states this VM has on the secondaries: [target, icounts]. */
  states: [string, number[]][];
}

export interface RestoreOptions {
  from: string[];
  vm: string;
  icount?: number;
  run: boolean;
  /** Replay the state's log tail first (from the state it starts at), checking it. */
  replay?: boolean;
  maxInsns?: number;
  onOutput?: (bytes: Uint8Array) => void;
  signal?: AbortSignal;
}

/** The state a replay of `m`'s tail starts from: its icount, or null for power-on. */
function tailStart(m: VmManifest): number | null {
  if (!m.log) throw new RestoreError(`${m.vm}: the state at icount ${m.icount} has no log (it was taken by a vmrr that did not record)`);
  return m.log.from === 0 ? null : m.log.from;
}

/** Build the VM's machine, loaded; `input` serves what loading reads. */
function buildVm(m: VmManifest, blob: (h: string) => Uint8Array, input: SwitchInput, wiring: (disk: MemoryDisk | undefined) => MachineWiring): { machine: Machine; disk: MemoryDisk | null } {
  const config = decodeMachineConfig(m.config, `${m.vm}.img`);
  const disk = m.disk ? new MemoryDisk(diskImage(m.disk, blob)) : null;
  const machine = buildMachine(config, input, wiring(disk ?? undefined));
  machine.load(planImage(blob(m.image), { bios: config.bios, ram: config.ram, append: config.append, imageArg: config.imageArg }));
  return { machine, disk };
}

function putState(machine: Machine, disk: MemoryDisk | null, m: VmManifest, blob: (h: string) => Uint8Array): void {
  applyState(machine, m, blob);
  if (disk) for (const [lba, h] of m.disk?.sectors ?? []) disk.write(lba, blob(h));
}

async function replayTail(s: StoredState, start: StoredState | null, signal?: AbortSignal): Promise<ReplayTailReport> {
  const t0 = performance.now();
  try {
    return await replayTailOrThrow(s, start, t0, signal);
  } catch (e) {
    if (e instanceof RestoreError) throw e;
    // A frame that does not decode (bad CRC, bad CBOR): the tail is damaged.
    const m = s.manifest;
    return {
      from: start?.manifest.icount ?? 0, fromPowerOn: start === null, to: m.icount, logBytes: m.log!.bytes,
      syncPoints: 0, stateHashes: 0, outputMarks: 0, verdict: 'damaged', divergence: (e as Error).message, stateHash: null, ms: performance.now() - t0,
    };
  }
}

async function replayTailOrThrow(s: StoredState, start: StoredState | null, t0: number, signal?: AbortSignal): Promise<ReplayTailReport> {
  const m = s.manifest;
  const log = m.log!;
  const blob = (h: string) => s.blobs.get(h) ?? start!.blobs.get(h)!;
  const link = new FrameLink();
  link.receiveHeader(blob(log.header));
  for (const [, , h] of log.segments) for (const f of splitFrames(blob(h))) link.receive(f);
  const rp = new Replayer(`(log tail of ${m.vm})`, { header: link.header(), main: link.cursor(1), nd: link.cursor(1) });
  const p = start?.manifest ?? null;
  // From a state, loading must not consume the log's values (they were read after it); from power-on it must.
  const config = decodeMachineConfig(m.config, `${m.vm}.img`);
  const input = new SwitchInput(p ? new HostInputSource(config.mhz, { rtcBase: 0 }) : rp.input);
  const base = p ?? m;
  const { machine, disk } = buildVm(base, (h) => (p ? start!.blobs.get(h)! : blob(h)), input, (d) => rp.outputs.tap({ events: rp.events, disk: d }));
  rp.attach(machine.cpu);
  if (p) {
    putState(machine, disk, p, (h) => start!.blobs.get(h)!);
    rp.outputs.restore(p.log?.out ?? {});
    input.cur = rp.input;
  }
  const hasher = new StateHasher(machine);
  const cursor = new ReplayCursor(machine, rp, { verify: true, hash: () => hasher.hashBytes(), outputs: rp.outputs, signal });
  // To the tail's end: its last sync point (then the log is cut there) or the guest's end frame.
  const r = await cursor.advance();
  rp.close();
  const arrived = (r.verdict === 'cut' || r.verdict === 'identical') && r.divergence === null;
  const hash = arrived ? stateHashOf(machine) : null;
  let verdict = arrived ? 'reached' : (r.verdict as string);
  let divergence = r.divergence ? `${r.divergence.message} (icount ${r.divergence.icount}, during ${r.divergence.during})` : null;
  if (verdict === 'reached' && machine.cpu.icount !== m.icount) {
    verdict = 'divergence';
    divergence = `the replay stopped at icount ${machine.cpu.icount}, short of the state at ${m.icount}`;
  } else if (verdict === 'reached' && hash !== m.stateHash) {
    verdict = 'divergence';
    divergence = `the replay's state hash at icount ${m.icount} is ${hash}, the state's ${m.stateHash}`;
  }
  return {
    from: p?.icount ?? 0, fromPowerOn: p === null, to: m.icount, logBytes: log.bytes,
    syncPoints: r.checked.syncPoints, stateHashes: r.checked.stateHashes, outputMarks: r.checked.outputMarks,
    verdict, divergence, stateHash: hash, ms: performance.now() - t0,
  };
}

export async function restoreVm(o: RestoreOptions): Promise<RestoreReport> {
  const stores = o.from.map((u) => new RedisTarget(u));
  try {
    const t0 = performance.now();
    let best: { t: RedisTarget; at: number } | null = null;
    const states: [string, number[]][] = [];
    const problems: string[] = [];
    for (const t of stores) {
      try {
        const list = await t.states(o.vm);
        states.push([t.id, list]);
        const at = o.icount ?? (await t.head(o.vm));
        if (at === null || !list.includes(at)) continue;
        if (best && best.at >= at) continue;
        best = { t, at };
      } catch (e) {
        if (!(e instanceof StoreError)) throw e;
        problems.push(e.message);
      }
    }
    const none = () => {
      const what = o.icount === undefined ? 'no committed state' : `no state at icount ${o.icount}`;
      const also = problems.length > 0 ? ` (unreachable: ${problems.join('; ')})` : '';
      return new RestoreError(`${o.vm}: ${what} on ${o.from.join(', ')}${also}`);
    };
    if (!best) throw none();
    const { t } = best;
    // The state and, to replay, the one its log tail starts at, read together (a collection in between cannot tear them).
    const got = await t.readState(o.vm, best.at, (m) => {
      if (!o.replay) return [];
      const s = tailStart(m);
      return s === null || s === m.icount ? [] : [s];
    });
    if (!got) throw none();
    const s = got.states[0];
    const m = s.manifest;
    let replay: ReplayTailReport | null = null;
    if (o.replay) {
      const from = tailStart(m);
      let start: StoredState | null = null;
      if (from === m.icount) start = s;
      else if (from !== null) {
        start = got.states.find((x) => x.manifest.icount === from) ?? null;
        for (const other of stores) {
          if (start || other === t) continue;
          try {
            start = (await other.readState(o.vm, from))?.states[0] ?? null;
          } catch (e) {
            if (!(e instanceof StoreError)) throw e;
          }
        }
        if (!start) throw new RestoreError(`${o.vm}: the log tail of the state at icount ${m.icount} starts at icount ${from}, and no secondary keeps that state (collected, or its secondary is down)`);
      }
      replay = await replayTail(s, start, o.signal);
    }
    const blob = (h: string) => s.blobs.get(h)!;
    const output: number[] = [];
    const config = decodeMachineConfig(m.config, `${o.vm}.img`);
    const host = hostInputFor(config);
    const { machine, disk } = buildVm(m, blob, new SwitchInput(host), (d) => ({
      disk: d,
      serial: (b) => {
        output.push(b);
        o.onOutput?.(Uint8Array.of(b));
      },
    }));
    putState(machine, disk, m, blob);
    // The seeded generator goes on where the primary's was: the same RDRAND values from here.
    host.setRandomPosition(m.rng);
    const stateHash = stateHashOf(machine);
    const restoreMs = performance.now() - t0;
    const report: RestoreReport = {
      vm: o.vm, icount: m.icount, from: t.id, expectedHash: m.stateHash, stateHash, hashMatches: stateHash === m.stateHash, restoreMs,
      outputBytesBefore: m.outputBytes, diskSectors: m.disk ? m.disk.sectors.length : null, rng: m.rng, replay, run: null, states,
    };
    const replayOk = !replay || replay.verdict === 'reached';
    if (o.run && report.hashMatches && replayOk && machine.exitStatus >= 0) {
      // A state taken after the guest wrote isa-debug-exit: it has ended, nothing runs on.
      report.run = { reason: 'exit', icount: machine.cpu.icount, exitValue: machine.exitStatus, stateHash, outputBytes: 0 };
    } else if (o.run && report.hashMatches && replayOk) {
      const stop = await machine.runAsync({ maxInsns: o.maxInsns, signal: o.signal });
      report.run = { reason: stop.reason, icount: stop.icount, exitValue: stop.exitValue ?? null, stateHash: stateHashOf(machine), outputBytes: output.length };
    }
    return report;
  } finally {
    for (const s of stores) s.close();
  }
}

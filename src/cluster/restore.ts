// Rebuild a VM from the secondary cluster alone: find its newest committed
// state (or the one asked for) on any secondary, build a machine of the
// same configuration from the stored image, put it in that state from the
// blobs, check its state hash against the one the primary took, and run on.

import { performance } from 'node:perf_hooks';
import { buildMachine, decodeMachineConfig } from '../machine/config.js';
import { planImage } from '../machine/image-plan.js';
import { stateHashOf } from '../machine/state-hash.js';
import type { Machine, StopInfo } from '../machine/machine.js';
import { hostInputFor } from '../replay/input-source.js';
import { RedisTarget, StoreError } from './store.js';
import { applyState, manifestKeyBlobs, type VmManifest } from './vm-state.js';

export class RestoreError extends Error {
  override name = 'RestoreError';
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
  maxInsns?: number;
  onOutput?: (bytes: Uint8Array) => void;
  signal?: AbortSignal;
}

export async function restoreVm(o: RestoreOptions): Promise<RestoreReport> {
  const stores = o.from.map((u) => new RedisTarget(u));
  try {
    const t0 = performance.now();
    let best: { t: RedisTarget; m: VmManifest } | null = null;
    const states: [string, number[]][] = [];
    const problems: string[] = [];
    for (const t of stores) {
      try {
        const list = await t.states(o.vm);
        states.push([t.id, list]);
        const at = o.icount ?? (await t.head(o.vm));
        if (at === null || !list.includes(at)) continue;
        if (best && best.m.icount >= at) continue;
        const m = await t.manifest(o.vm, at);
        if (m) best = { t, m };
      } catch (e) {
        if (!(e instanceof StoreError)) throw e;
        problems.push(e.message);
      }
    }
    if (!best) {
      const what = o.icount === undefined ? 'no committed state' : `no state at icount ${o.icount}`;
      const also = problems.length > 0 ? ` (unreachable: ${problems.join('; ')})` : '';
      throw new RestoreError(`${o.vm}: ${what} on ${o.from.join(', ')}${also}`);
    }
    const { t, m } = best;
    const blobs = await t.getBlobs(manifestKeyBlobs(m));
    const config = decodeMachineConfig(m.config, `${o.vm}.img`);
    const output: number[] = [];
    const machine: Machine = buildMachine(config, hostInputFor(config), {
      serial: (b) => {
        output.push(b);
        o.onOutput?.(Uint8Array.of(b));
      },
    });
    machine.load(planImage(blobs.get(m.image)!, { bios: config.bios, ram: config.ram, append: config.append, imageArg: config.imageArg }));
    applyState(machine, m, (h) => blobs.get(h)!);
    const stateHash = stateHashOf(machine);
    const restoreMs = performance.now() - t0;
    const report: RestoreReport = { vm: o.vm, icount: m.icount, from: t.id, expectedHash: m.stateHash, stateHash, hashMatches: stateHash === m.stateHash, restoreMs, outputBytesBefore: m.outputBytes, run: null, states };
    if (o.run && report.hashMatches && machine.exitStatus >= 0) {
      // A state taken after the guest wrote isa-debug-exit: it has ended, nothing runs on.
      report.run = { reason: 'exit', icount: machine.cpu.icount, exitValue: machine.exitStatus, stateHash, outputBytes: 0 };
    } else if (o.run && report.hashMatches) {
      const stop = await machine.runAsync({ maxInsns: o.maxInsns, signal: o.signal });
      report.run = { reason: stop.reason, icount: stop.icount, exitValue: stop.exitValue ?? null, stateHash: stateHashOf(machine), outputBytes: output.length };
    }
    return report;
  } finally {
    for (const s of stores) s.close();
  }
}

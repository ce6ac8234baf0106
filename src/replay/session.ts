// Record and replay loops over a Machine. The CLI builds the machine (image,
// devices, output sinks) and hands it here with the recorder or replayer
// whose input source it was built with. Sync points are exact icounts: the
// machine is stopped there, the state hashed, and resumed.

import type { Machine, StopInfo } from '../machine/machine.js';
import type { Recorder } from './recorder.js';
import type { Replayer } from './replayer.js';
import { ReplayCursor, type ReplayResult, type StateHashFn } from './replay-cursor.js';

export type { CheckedSummary, DivergenceReport, ReplayResult, StateHashFn } from './replay-cursor.js';

export interface LoopHooks {
  signal?: AbortSignal;
  /** Called whenever the machine yields to the host (flush output, progress). */
  onYield?: (icount: number) => void;
}

export interface RecordLoopOptions extends LoopHooks {
  maxInsns?: number;
  /** Instructions between sync points (0: none). */
  syncEvery: number;
  /** Instructions between checkpoints (0: none); a multiple of syncEvery is cheapest. */
  checkpointEvery: number;
  hash: StateHashFn;
  /** The guest-state hash (CPU and RAM) computed by the last hash() call, for diff. */
  guestHash?: StateHashFn;
  /** The checkpoint to write now (pages dirtied since the previous one). */
  checkpoint?: () => { state: Record<string, unknown>; pages: { index: number; data: Uint8Array }[] };
}

/** Run `machine` to its end, logging through `rec`; returns how it stopped. The caller finishes or aborts the log. */
export async function recordLoop(machine: Machine, rec: Recorder, opts: RecordLoopOptions): Promise<StopInfo> {
  const max = opts.maxInsns ?? Number.MAX_SAFE_INTEGER;
  const cpu = machine.cpu;
  const next = (every: number): number => (every > 0 ? (Math.floor(cpu.icount / every) + 1) * every : Infinity);
  rec.input.installBufferExit(machine);
  let nextSync = next(opts.syncEvery);
  let nextCkpt = next(opts.checkpointEvery);
  for (;;) {
    const stop = await machine.runAsync({
      maxInsns: Math.min(max, nextSync, nextCkpt),
      signal: opts.signal,
      onYield: (icount) => {
        rec.flushAll(icount);
        opts.onYield?.(icount);
      },
    });
    if (stop.reason !== 'limit' || stop.icount >= max) return stop;
    if (stop.icount === nextSync) {
      const hash = opts.hash();
      rec.sync(stop.icount, stop.eip, hash, opts.guestHash?.());
      nextSync = next(opts.syncEvery);
    }
    if (stop.icount === nextCkpt && opts.checkpoint) {
      rec.checkpoint({ icount: stop.icount, ...opts.checkpoint() });
      // vmrr drops its TLB here for its own reasons (as a host would on a context switch): with the
      // T-bit tracking on the guest cannot tell; with --no-tlb-tracking it can (docs/tlb-coherence.md).
      machine.cpu.flushTlb();
      nextCkpt = next(opts.checkpointEvery);
    }
  }
}

export interface ReplayLoopOptions extends LoopHooks {
  /** Hash the state at sync points and the end and compare with the log (and the output digests, when `outputs` is on). */
  verify: boolean;
  hash: StateHashFn;
  /** Compare the replay's output with the log's digests (the replayer's ledger, tapped into the machine's wiring). */
  outputs?: boolean;
  /** Stop at this icount instead of the log's end. */
  to?: number;
}

/** Replay to the log's end (or `to`) in one go: the ReplayCursor, for callers that need no session. */
export function replayLoop(machine: Machine, rp: Replayer, opts: ReplayLoopOptions): Promise<ReplayResult> {
  const cursor = new ReplayCursor(machine, rp, {
    verify: opts.verify, hash: opts.hash, outputs: opts.outputs ? rp.outputs : undefined, signal: opts.signal, onYield: opts.onYield,
  });
  return cursor.advance(opts.to);
}

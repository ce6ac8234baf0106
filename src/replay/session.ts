// Record and replay loops over a Machine. The CLI builds the machine (image,
// devices, output sinks) and hands it here with the recorder or replayer
// whose input source it was built with. Sync points are exact icounts: the
// machine is stopped there, the state hashed, and resumed.

import type { Machine, StopInfo } from '../machine/machine.js';
import { disassembleAtEip } from '../cpu/disasm-fetch.js';
import type { Recorder } from './recorder.js';
import { ReplayDivergence, type Replayer } from './replayer.js';
import { NdDivergence } from './nd-buffer.js';
import { ndKindName } from './nd-block.js';

export type StateHashFn = () => Uint8Array;

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
  /** The checkpoint to write now (pages dirtied since the previous one). */
  checkpoint?: () => { state: Record<string, unknown>; pages: { index: number; data: Uint8Array }[] };
}

/** Run `machine` to its end, logging through `rec`; returns how it stopped. The caller finishes or aborts the log. */
export async function recordLoop(machine: Machine, rec: Recorder, opts: RecordLoopOptions): Promise<StopInfo> {
  const max = opts.maxInsns ?? Number.MAX_SAFE_INTEGER;
  const cpu = machine.cpu;
  const next = (every: number): number => (every > 0 ? (Math.floor(cpu.icount / every) + 1) * every : Infinity);
  const nd = rec.input.nd;
  machine.sliceHook = () => {
    if (nd.pending) nd.serviceExit();
  };
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
      rec.sync(stop.icount, stop.eip, opts.hash());
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

/** Where and why a replay parted from its log. */
export interface DivergenceReport {
  icount: number;
  eip: number;
  /** Intel-syntax disassembly of the instruction at EIP. */
  instruction: string;
  /** What was being checked: sync, event, nd, end. */
  during: string;
  message: string;
  expected: string;
  actual: string;
  /** The last event delivered before the divergence, if any. */
  lastEvent: string | null;
}

export interface ReplayResult {
  verdict: 'identical' | 'divergence' | 'cut' | 'reached';
  icount: number;
  eip: number;
  reason: string;
  exitValue: number | null;
  syncsChecked: number;
  eventsDelivered: number;
  divergence: DivergenceReport | null;
  /** For a cut log: where the log ends and how far it was replayed. */
  cut: { message: string; replayedTo: number } | null;
  /** With --to: the state hash where the replay stopped (compare with a sync point's). */
  stateHash?: string;
}

export interface ReplayLoopOptions extends LoopHooks {
  /** Hash the state at sync points and the end and compare with the log. */
  verify: boolean;
  hash: StateHashFn;
  /** Stop at this icount instead of the log's end. */
  to?: number;
  /** The icount of the checkpoint the machine was restored to (after a seek). */
  startedAt?: number;
}

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');
const hex32 = (v: number): string => '0x' + (v >>> 0).toString(16).padStart(8, '0');

export async function replayLoop(machine: Machine, rp: Replayer, opts: ReplayLoopOptions): Promise<ReplayResult> {
  const cpu = machine.cpu;
  let syncs = 0;
  const result = (verdict: ReplayResult['verdict'], stop: StopInfo | null, extra: Partial<ReplayResult> = {}): ReplayResult => ({
    verdict,
    icount: cpu.icount,
    eip: cpu.eip >>> 0,
    reason: stop?.reason ?? 'limit',
    exitValue: stop?.exitValue ?? null,
    syncsChecked: syncs,
    eventsDelivered: rp.events.delivered,
    divergence: null,
    cut: null,
    ...extra,
  });
  const diverged = (during: string, message: string, expected: string, actual: string, stop: StopInfo | null): ReplayResult =>
    result('divergence', stop, {
      divergence: {
        icount: cpu.icount,
        eip: cpu.eip >>> 0,
        instruction: disassembleAtEip(cpu).text,
        during,
        message,
        expected,
        actual,
        lastEvent: rp.events.last ? `${rp.events.last.kind} at icount ${rp.events.last.icount}` : null,
      },
    });
  // A buffer exit: refill, or report at once an ND value taken at another place than recorded.
  const nd = rp.input.nd;
  machine.sliceHook = () => {
    if (nd.pending) nd.serviceExit();
  };
  const runTo = (icount: number): Promise<StopInfo> =>
    machine.runAsync({ maxInsns: icount, signal: opts.signal, onYield: opts.onYield });

  try {
    // Restored from a checkpoint at exactly --to: that is the state (events logged after it at the same icount come after it).
    if (opts.to !== undefined && opts.to === opts.startedAt) return result('reached', null, { stateHash: hex(opts.hash()) });
    for (;;) {
      const p = rp.nextPoint();
      const target = p.kind === 'cut' ? p.safeIcount : p.frame.icount;
      // A log cut before its first inputs: machine.load() already asked for the clock, and the log has no value for it.
      if (p.kind === 'cut' && target <= cpu.icount) {
        if (opts.to !== undefined && opts.to <= cpu.icount) return result('reached', null);
        return result('cut', null, { cut: { message: p.message, replayedTo: cpu.icount } });
      }
      if (opts.to !== undefined && opts.to <= target) {
        const stop = await runTo(opts.to);
        if (stop.reason === 'interrupted') return result('reached', stop);
        rp.input.nd.serviceExit();
        return result('reached', stop, { stateHash: hex(opts.hash()) });
      }
      const stop = await runTo(target);
      if (stop.reason === 'interrupted') return result('reached', stop);
      rp.input.nd.serviceExit();
      if (p.kind === 'checkpoint') continue;
      if (p.kind === 'cut') {
        return result('cut', stop, { cut: { message: p.message, replayedTo: cpu.icount } });
      }
      if (p.kind === 'sync') {
        if (stop.reason !== 'limit') {
          return diverged('sync', `the recording reached sync point icount ${target}; the replay stopped before it (${stop.reason})`,
            `running at icount ${target}`, `${stop.reason} at icount ${stop.icount}`, stop);
        }
        if ((stop.eip >>> 0) !== p.frame.eip) {
          return diverged('sync', `EIP differs at sync point icount ${target}`, hex32(p.frame.eip), hex32(stop.eip), stop);
        }
        if (opts.verify) {
          const got = opts.hash();
          if (hex(got) !== hex(p.frame.hash)) {
            return diverged('sync', `state hash differs at sync point icount ${target}`, hex(p.frame.hash), hex(got), stop);
          }
          syncs++;
        }
        continue;
      }
      // The end frame.
      const end = p.frame;
      const endReason = stop.reason === 'limit' && end.reason !== 'limit' ? `running at icount ${stop.icount}` : stop.reason;
      if (endReason !== end.reason || stop.icount !== end.icount) {
        return diverged('end', `the recording ended (${end.reason}) at icount ${end.icount}; the replay: ${endReason} at icount ${stop.icount}`,
          `${end.reason} at icount ${end.icount}`, `${endReason} at icount ${stop.icount}`, stop);
      }
      if ((stop.exitValue ?? null) !== end.exitValue) {
        return diverged('end', 'the guest exit status differs', String(end.exitValue), String(stop.exitValue ?? null), stop);
      }
      rp.input.nd.finish();
      if (opts.verify) {
        const got = opts.hash();
        if (hex(got) !== hex(end.hash)) return diverged('end', 'the final state hash differs', hex(end.hash), hex(got), stop);
        syncs++;
      }
      return result('identical', stop);
    }
  } catch (e) {
    if (e instanceof ReplayDivergence) return diverged(e.during, e.message, e.expected, e.actual, null);
    if (e instanceof NdDivergence) return diverged('nd', e.message, describeNd(e, 'expected'), describeNd(e, 'actual'), null);
    throw e;
  }
}

function describeNd(e: NdDivergence, which: 'expected' | 'actual'): string {
  const p = e[which];
  if (!p) return '-';
  return `${ndKindName(p.kind)} at icount ${p.icount}` + (p.eip === undefined ? '' : ` (EIP ${hex32(p.eip)})`);
}

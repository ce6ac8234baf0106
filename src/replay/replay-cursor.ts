// The one replay stepper: a machine fed by a Replayer, moved forward to an
// icount or to the log's end, checking each control point it passes (sync
// points, the end) against the log. `replay`, `replay --to`, `diff`, the
// replay session (seeking, stepping, the gdb stub) and the FT secondary (one
// cursor per round over the link's frames) all move a replay through this
// class, so they share one notion of icount: every retired instruction,
// interrupt and exception handlers included, with the logged events queued
// and delivered as the log says.

import type { Machine, StopInfo } from '../machine/machine.js';
import { disassembleAtEip } from '../cpu/disasm-fetch.js';
import { ReplayDivergence, type ControlPoint, type ReadingState, type Replayer } from './replayer.js';
import { NdDivergence } from './nd-buffer.js';
import { hex32, ndKindName } from './nd-block.js';
import { compareMarks, type LedgerState, type OutputLedger, type OutputMark } from './output-ledger.js';

export type StateHashFn = () => Uint8Array;

/** Where and why a replay parted from its log. */
export interface DivergenceReport {
  icount: number;
  eip: number;
  /** Intel-syntax disassembly of the instruction at EIP. */
  instruction: string;
  /** What was being checked: sync, event, nd, output, end. */
  during: string;
  message: string;
  expected: string;
  actual: string;
  /** The last event delivered before the divergence, if any. */
  lastEvent: string | null;
  /** For an output divergence: the channel and the first byte offset known to differ. */
  output?: { channel: string; offset: number; exact: boolean };
}

/** What a replay compared with its log. */
export interface CheckedSummary {
  /** Sync points reached with the EIP the log has. */
  syncPoints: number;
  /** State hashes compared (sync points and the end). */
  stateHashes: number;
  /** Output marks compared (sync points and the end), and the channels they covered. */
  outputMarks: number;
  outputChannels: string[];
  /** Output bytes covered by the last output comparison, over all channels. */
  outputBytes: number;
  /** The end frame's stop reason, icount and exit status compared. */
  end: boolean;
}

export interface ReplayResult {
  /**
   * identical: replayed to the log's end with every state hash and output digest compared and equal;
   * unverified: replayed to the end without those comparisons (--no-verify);
   * divergence, cut (the log stops early), reached (--to, or interrupted).
   */
  verdict: 'identical' | 'unverified' | 'divergence' | 'cut' | 'reached';
  icount: number;
  eip: number;
  reason: string;
  exitValue: number | null;
  /** State hashes compared (kept for older scripts; `checked` says more). */
  syncsChecked: number;
  eventsDelivered: number;
  divergence: DivergenceReport | null;
  /** For a cut log: where the log ends and how far it was replayed. */
  cut: { message: string; replayedTo: number } | null;
  /** With --to: the state hash where the replay stopped (compare with a sync point's). */
  stateHash?: string;
  checked: CheckedSummary;
  /** What could not be checked, and why (e.g. a version 1 log has no output digests). */
  notChecked: string[];
}

export interface CursorOptions {
  /** Compare state hashes and output digests at sync points and the end (default: only positions and the end). */
  verify: boolean;
  hash: StateHashFn;
  /** The replay's own output ledger, compared with the log's marks when verifying. */
  outputs?: OutputLedger;
  signal?: AbortSignal;
  onYield?: (icount: number) => void;
  /** Hash the state where a run to a position stops (ReplayResult.stateHash; default true; the FT secondary's judge hashes for itself). */
  positionHash?: boolean;
}

/** A clean place to resume a replay from: the machine at `icount`, the log read from `offset`. */
export interface ResumePoint {
  icount: number;
  offset: number;
  index: number;
  /** The recording's output marks there (null for a log without them). */
  out: OutputMark | null;
}

/**
 * Everything the cursor and its replayer hold at one icount, anywhere (not
 * only at a sync point): with a machine snapshot taken at the same icount it
 * is an in-memory checkpoint of the replay (ReplaySession.keepHere).
 */
export interface CursorState {
  icount: number;
  reading: ReadingState;
  pending: ControlPoint | null;
  lastOut: OutputMark | null;
  lastStop: StopInfo | null;
  ledger: LedgerState | null;
  checked: CheckedSummary;
}

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

export class ReplayCursor {
  private pending: ControlPoint | null = null;
  /** The last recording output mark the replay matched (where the next interval starts). */
  private lastOut: OutputMark | null = null;
  private final: ReplayResult | null = null;
  /** How the last run stopped, while the machine has not moved since (a guest that ended there stays ended). */
  private lastStop: StopInfo | null = null;
  readonly checked: CheckedSummary = { syncPoints: 0, stateHashes: 0, outputMarks: 0, outputChannels: [], outputBytes: 0, end: false };
  private readonly notChecked = new Set<string>();
  /** Called at every sync point passed with matching state: a place a session may snapshot. */
  onResumePoint: ((p: ResumePoint) => void) | null = null;

  constructor(readonly machine: Machine, readonly rp: Replayer, private readonly opts: CursorOptions) {
    rp.input.installBufferExit(machine);
    if (!opts.verify) this.notChecked.add('state hashes and output digests (--no-verify)');
    else if (!opts.outputs) this.notChecked.add('output digests (this replay does not count its output)');
  }

  /** The result once the replay met the log's end, a cut or a divergence; null while it can go on. */
  get finished(): ReplayResult | null {
    return this.final;
  }

  /** The next control point in the log (read now if not yet read): where an advance to the end will next stop and check. */
  peek(): ControlPoint {
    return (this.pending ??= this.rp.nextPoint());
  }

  /** How the machine last stopped running, while it has not moved since; null when this cursor has not run it. */
  get stop(): StopInfo | null {
    return this.lastStop;
  }

  /** Continue from a resume point (the machine was restored there by the caller). */
  resumeAt(p: ResumePoint): void {
    this.rp.seek(p.offset, p.index);
    this.pending = null;
    this.final = null;
    this.lastStop = null;
    this.lastOut = p.out;
    if (p.out && this.opts.outputs) this.opts.outputs.restore(p.out);
  }

  /** The state now, to load() again after the machine is restored to this icount. */
  save(): CursorState {
    return {
      icount: this.machine.cpu.icount,
      reading: this.rp.saveReading(),
      pending: this.pending,
      lastOut: this.lastOut,
      lastStop: this.lastStop,
      ledger: this.opts.outputs?.save() ?? null,
      checked: { ...this.checked, outputChannels: [...this.checked.outputChannels] },
    };
  }

  /** Continue from a saved state (the machine was restored to its icount by the caller). */
  load(s: CursorState): void {
    this.rp.restoreReading(s.reading);
    this.pending = s.pending;
    this.lastOut = s.lastOut;
    this.lastStop = s.lastStop;
    this.final = null;
    if (s.ledger && this.opts.outputs) this.opts.outputs.load(s.ledger);
    Object.assign(this.checked, s.checked, { outputChannels: [...s.checked.outputChannels] });
  }

  /** Run to icount `to` (or to the end when undefined), checking every control point on the way. */
  async advance(to?: number): Promise<ReplayResult> {
    if (this.final) return this.final;
    const cpu = this.machine.cpu;
    // Already there (e.g. restored from a checkpoint at exactly `to`): that is the state; events logged at this icount come after it.
    if (to !== undefined && cpu.icount >= to) return this.result('reached', null, this.positionHash());
    try {
      for (;;) {
        const p = (this.pending ??= this.rp.nextPoint());
        const target = p.kind === 'cut' ? p.safeIcount : p.frame.icount;
        // A log cut before its first inputs: machine.load() already asked for the clock, and the log has no value for it.
        if (p.kind === 'cut' && target <= cpu.icount) {
          if (to !== undefined && to <= cpu.icount) return this.result('reached', null);
          return this.settle(this.result('cut', null, { cut: { message: p.message, replayedTo: cpu.icount } }));
        }
        // Short of the next control point (or exactly at the end: --to the last icount is a position, not a verdict).
        if (to !== undefined && (to < target || (to === target && p.kind !== 'sync' && p.kind !== 'checkpoint'))) {
          return await this.runToPosition(to);
        }
        const stop = await this.run(target);
        if (stop.reason === 'interrupted') return this.result('reached', stop);
        this.rp.input.nd.serviceExit();
        this.pending = null;
        const verdict = this.control(p, stop);
        if (verdict) return this.settle(verdict);
        if (to !== undefined && cpu.icount >= to) return this.result('reached', stop, this.positionHash());
      }
    } catch (e) {
      if (e instanceof ReplayDivergence) return this.settle(this.diverged(e.during, e.message, e.expected, e.actual, null));
      if (e instanceof NdDivergence) return this.settle(this.diverged('nd', e.message, describeNd(e, 'expected'), describeNd(e, 'actual'), null));
      throw e;
    }
  }

  private async runToPosition(to: number): Promise<ReplayResult> {
    const stop = await this.run(to);
    if (stop.reason === 'interrupted') return this.result('reached', stop);
    this.rp.input.nd.serviceExit();
    if (stop.reason !== 'limit' && stop.icount < to) {
      // The guest stopped before `to` although the log says the recording ran on: that is a divergence.
      return this.settle(this.diverged('end', `the replay stopped (${stop.reason}) at icount ${stop.icount}; the log goes on`,
        'running', `${stop.reason} at icount ${stop.icount}`, stop));
    }
    return this.result('reached', stop, this.positionHash());
  }

  private async run(icount: number): Promise<StopInfo> {
    const cpu = this.machine.cpu;
    // Already there after a stop that ended the guest (a step onto the log's end): the guest stays stopped.
    const last = this.lastStop;
    if (last && last.reason !== 'limit' && last.reason !== 'interrupted' && last.icount === cpu.icount) return last;
    const stop = await this.machine.runAsync({ maxInsns: icount, signal: this.opts.signal, onYield: this.opts.onYield });
    this.lastStop = stop;
    return stop;
  }

  /** Check a control point the machine has just reached; a final result, or null to go on. */
  private control(p: ControlPoint, stop: StopInfo): ReplayResult | null {
    const cpu = this.machine.cpu;
    if (p.kind === 'checkpoint') return null;
    if (p.kind === 'cut') return this.result('cut', stop, { cut: { message: p.message, replayedTo: cpu.icount } });
    if (p.kind === 'sync') {
      const target = p.frame.icount;
      if (stop.reason !== 'limit') {
        return this.diverged('sync', `the recording reached sync point icount ${target}; the replay stopped before it (${stop.reason})`,
          `running at icount ${target}`, `${stop.reason} at icount ${stop.icount}`, stop);
      }
      if ((stop.eip >>> 0) !== p.frame.eip) {
        return this.diverged('sync', `EIP differs at sync point icount ${target}`, hex32(p.frame.eip), hex32(stop.eip), stop);
      }
      this.checked.syncPoints++;
      const bad = this.verifyState(p.frame.hash, p.frame.out ?? null, `sync point icount ${target}`, stop);
      if (bad) return bad;
      this.onResumePoint?.({ icount: target, offset: p.resume.offset, index: p.resume.index, out: p.frame.out ?? null });
      return null;
    }
    const end = p.frame;
    // Output parted before the end did (a different end usually follows different output): say that first.
    const early = this.outputMismatch(end.out ?? null, 'the end', stop);
    if (early) return early;
    const endReason = stop.reason === 'limit' && end.reason !== 'limit' ? `running at icount ${stop.icount}` : stop.reason;
    if (endReason !== end.reason || stop.icount !== end.icount) {
      return this.diverged('end', `the recording ended (${end.reason}) at icount ${end.icount}; the replay: ${endReason} at icount ${stop.icount}`,
        `${end.reason} at icount ${end.icount}`, `${endReason} at icount ${stop.icount}`, stop);
    }
    if ((stop.exitValue ?? null) !== end.exitValue) {
      return this.diverged('end', 'the guest exit status differs', String(end.exitValue), String(stop.exitValue ?? null), stop);
    }
    this.rp.input.nd.finish();
    this.checked.end = true;
    const bad = this.verifyState(end.hash, end.out ?? null, 'the end', stop);
    if (bad) return bad;
    return this.result(this.opts.verify ? 'identical' : 'unverified', stop);
  }

  /** With verify: the state hash and output marks at a sync point or the end. */
  private verifyState(hash: Uint8Array, out: OutputMark | null, where: string, stop: StopInfo): ReplayResult | null {
    if (!this.opts.verify) return null;
    const got = this.opts.hash();
    if (hex(got) !== hex(hash)) {
      return this.diverged(where === 'the end' ? 'end' : 'sync', `state hash differs at ${where}`, hex(hash), hex(got), stop);
    }
    this.checked.stateHashes++;
    return where === 'the end' ? null : this.outputMismatch(out, where, stop);
  }

  /** With verify: the replay's output against the recording's mark here; a divergence, or null when they agree. */
  private outputMismatch(out: OutputMark | null, where: string, stop: StopInfo): ReplayResult | null {
    const ledger = this.opts.outputs;
    if (!this.opts.verify || !ledger) return null;
    if (!out) {
      this.notChecked.add('output digests (the log was written by a vmrr without them: format version 1)');
      return null;
    }
    const written = (name: string, off: number): number | null => ledger.writtenAt(name, off);
    const mine = ledger.mark();
    const m = compareMarks(out, mine, this.lastOut);
    if (m) {
      const w = m.exact ? written(m.channel, m.offset) : null;
      const when = w === null ? `found at ${where}` : `the replay wrote it at icount ${w}; found at ${where}`;
      const r = this.diverged('output', `${m.message} (${when})`, m.expected, m.actual, stop);
      r.divergence!.output = { channel: m.channel, offset: m.offset, exact: m.exact };
      return r;
    }
    this.lastOut = out;
    this.checked.outputMarks++;
    this.checked.outputChannels = [...new Set([...this.checked.outputChannels, ...Object.keys(out)])].sort();
    this.checked.outputBytes = Object.values(out).reduce((n, c) => n + c.count, 0);
    return null;
  }

  private positionHash(): Partial<ReplayResult> {
    return this.opts.positionHash === false ? {} : { stateHash: hex(this.opts.hash()) };
  }

  private settle(r: ReplayResult): ReplayResult {
    this.final = r;
    return r;
  }

  private result(verdict: ReplayResult['verdict'], stop: StopInfo | null, extra: Partial<ReplayResult> = {}): ReplayResult {
    const cpu = this.machine.cpu;
    return {
      verdict,
      icount: cpu.icount,
      eip: cpu.eip >>> 0,
      reason: stop?.reason ?? 'limit',
      exitValue: stop?.exitValue ?? null,
      syncsChecked: this.checked.stateHashes,
      eventsDelivered: this.rp.events.delivered,
      divergence: null,
      cut: null,
      checked: { ...this.checked, outputChannels: [...this.checked.outputChannels] },
      notChecked: [...this.notChecked],
      ...extra,
    };
  }

  private diverged(during: string, message: string, expected: string, actual: string, stop: StopInfo | null): ReplayResult {
    const cpu = this.machine.cpu;
    const last = this.rp.events.last;
    return this.result('divergence', stop, {
      divergence: {
        icount: cpu.icount,
        eip: cpu.eip >>> 0,
        instruction: disassembleAtEip(cpu).text,
        during,
        message,
        expected,
        actual,
        lastEvent: last ? `${last.kind} at icount ${last.icount}` : null,
      },
    });
  }
}

function describeNd(e: NdDivergence, which: 'expected' | 'actual'): string {
  const p = e[which];
  if (!p) return '-';
  return `${ndKindName(p.kind)} at icount ${p.icount}` + (p.eip === undefined ? '' : ` (EIP ${hex32(p.eip)})`);
}

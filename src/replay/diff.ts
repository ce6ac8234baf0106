// The first instruction where two executions part (DESIGN section 7), at
// replay speed. Each side is a ReplaySession, so both count instructions
// exactly as `replay` does (interrupt and exception handlers included, the
// logged events delivered where the log says). The logs' sync hashes give
// the last position where both states were equal and the first where they
// were not; both sides seek to the former through checkpoints, then the
// interval is narrowed by running both in chunks and comparing state hashes
// (restoring to the chunk's start from in-memory snapshots taken at sync
// points), and only the last short interval is stepped one instruction at
// a time. The report names that instruction, what differs, and the inputs
// (ND values, events) the two logs gave there.

import type { Machine } from '../machine/machine.js';
import { hex32 } from './nd-block.js';
import type { ReplaySession } from './replay-session.js';
import { bracket, firstInputDifference, hexOf, inputsNear } from './diff-log.js';
import { disassembleAtEip } from '../cpu/disasm-fetch.js';
import { StateHasher } from '../machine/state-hash.js';

export interface DiffSide {
  log: string;
  session: ReplaySession;
  /** Guest output bytes so far (COM1 and port 0xE9), and the icount each was written at. */
  output: number[];
  outputAt: number[];
  /** The image the side replays (for symbol names in reports). */
  image?: string;
}

export interface RegisterDiff {
  name: string;
  a: string;
  b: string;
}

export interface InputAt {
  kind: string;
  icount: number;
  a: string | null;
  b: string | null;
}

export interface DiffReport {
  identical: boolean;
  /** icount of the first instruction after which the states differ (null when identical or not found). */
  icount: number | null;
  eip: number | null;
  instruction: string | null;
  /** Last icount at which the sync hashes of both logs agreed. */
  lastCommonSync: number;
  /** The first sync icount at which the logs' hashes differ (null: none does). */
  firstDifferingSync: number | null;
  registers: RegisterDiff[];
  /** Physical ranges whose bytes differ, as [start, end) hex, at most 16. */
  memory: { start: string; end: string }[];
  output: { offset: number; a: string; b: string } | null;
  /** The non-deterministic inputs the logs gave at or just before that instruction. */
  inputs: InputAt[];
  /** When they never parted but ended differently, or the search stopped early (interrupt, budget). */
  note: string | null;
  /** Stopped before an answer: Ctrl-C, or the budget ran out. The difference then lies after `searchedTo`. */
  incomplete: 'interrupted' | 'budget' | null;
  /** The search covered icounts up to here. */
  searchedTo: number;
  /** Instructions single-stepped at the end of the search. */
  stepped: number;
  /** For identical (or no difference found): what that verdict rests on. */
  basis?: string;
}

export interface DiffOptions {
  /** Ignore the logs' sync hashes (one log against its own replay under other options). */
  fromStart?: boolean;
  /** At most this many instructions past the last common sync point are examined. */
  budget?: number;
  signal?: AbortSignal;
  /** Progress: the phase and the icount reached. */
  onProgress?: (phase: 'seek' | 'narrow' | 'step', icount: number) => void;
}

/** Intervals this short are stepped one instruction at a time. */
const STEP_LIMIT = 4096;
/** Chunks an interval is cut into per narrowing pass. */
const FANOUT = 32;

const REGS = ['eax', 'ecx', 'edx', 'ebx', 'esp', 'ebp', 'esi', 'edi'];
const SREGS = ['es', 'cs', 'ss', 'ds', 'fs', 'gs'];

function registerView(m: Machine): [string, string][] {
  const c = m.cpu;
  const out: [string, string][] = REGS.map((r, i) => [r, hex32(c.regs[i])]);
  out.push(['eip', hex32(c.eip)], ['eflags', hex32(c.getEflags())]);
  SREGS.forEach((s, i) => out.push([s, '0x' + c.sreg[i].toString(16).padStart(4, '0')]));
  out.push(['cr0', hex32(c.cr0)], ['cr2', hex32(c.cr2)], ['cr3', hex32(c.cr3)], ['cr4', hex32(c.cr4)]);
  return out;
}

function registerDiffs(a: Machine, b: Machine): RegisterDiff[] {
  const ra = registerView(a), rb = registerView(b);
  return ra.flatMap(([name, va], i) => (va === rb[i][1] ? [] : [{ name, a: va, b: rb[i][1] }]));
}

function memoryDiffs(a: Machine, b: Machine): { start: string; end: string }[] {
  const x = a.mem.ram, y = b.mem.ram;
  const out: { start: string; end: string }[] = [];
  const n = Math.min(x.length, y.length);
  for (let i = 0; i < n && out.length < 16; i++) {
    if (x[i] === y[i]) continue;
    let j = i;
    while (j < n && x[j] !== y[j]) j++;
    out.push({ start: hex32(i), end: hex32(j) });
    i = j;
  }
  return out;
}


class Pair {
  stepped = 0;
  /** State comparisons made. */
  compared = 0;
  private readonly hashers = new WeakMap<Machine, StateHasher>();
  constructor(readonly a: DiffSide, readonly b: DiffSide, private readonly opts: DiffOptions) {}

  get icount(): number {
    return this.a.session.icount;
  }

  progress(phase: 'seek' | 'narrow' | 'step', icount: number): void {
    this.opts.onProgress?.(phase, icount);
  }

  stopped(): boolean {
    return this.opts.signal?.aborted === true;
  }

  /** Both sides to `icount` (through snapshots or checkpoints when that is behind them). */
  async seek(icount: number): Promise<void> {
    this.opts.onProgress?.('seek', icount);
    await this.a.session.seekTo(icount);
    await this.b.session.seekTo(icount);
  }

  /** Both sides forward to `icount`; false when either could not get there (its log ended, it diverged, or Ctrl-C). */
  async run(icount: number): Promise<boolean> {
    const ra = await this.a.session.runTo(icount);
    const rb = await this.b.session.runTo(icount);
    return ra.icount === icount && rb.icount === icount && !this.stopped();
  }

  /** Do the two machines differ now (state hash, registers, output so far)? */
  differ(): boolean {
    this.compared++;
    const a = this.a, b = this.b;
    if (this.guestHash(a.session.machine) !== this.guestHash(b.session.machine)) return true;
    if (registerDiffs(a.session.machine, b.session.machine).length) return true;
    if (a.output.length !== b.output.length) return true;
    for (let i = a.output.length - 1; i >= 0; i--) if (a.output[i] !== b.output[i]) return true;
    return false;
  }

  /** CPU state and RAM only: device registers the guest has not read yet (an RTC started at another time) are no difference. */
  private guestHash(m: Machine): string {
    let h = this.hashers.get(m);
    if (!h) {
      h = new StateHasher(m, 'guest');
      this.hashers.set(m, h);
    }
    return h.hash();
  }

  /** Narrow (lo, hi] (states equal at lo, different at hi, or hi is the limit) to a chunk of at most STEP_LIMIT; null when equal to hi. */
  async narrow(lo: number, hi: number): Promise<{ lo: number; hi: number } | null> {
    let found = false;
    while (hi - lo > STEP_LIMIT && !this.stopped()) {
      if (this.icount !== lo) await this.seek(lo);
      const step = Math.max(STEP_LIMIT, Math.ceil((hi - lo) / FANOUT));
      let t = lo;
      let hit = false;
      while (t < hi) {
        const next = Math.min(t + step, hi);
        const ok = await this.run(next);
        this.opts.onProgress?.('narrow', this.icount);
        if (!ok || this.differ()) {
          hi = next;
          hit = true;
          break;
        }
        t = next;
      }
      if (this.stopped()) return { lo: t, hi };
      if (!hit) return found ? { lo, hi } : null;
      found = true;
      lo = t;
    }
    return { lo, hi };
  }
}

export async function diffExecutions(a: DiffSide, b: DiffSide, opts: DiffOptions = {}): Promise<DiffReport> {
  const { lastCommon, firstDiffer, endA, endB, adoptAt } = bracket(a.log, b.log, opts.fromStart === true);
  const pair = new Pair(a, b, opts);
  const ends = Math.min(endA?.icount ?? Infinity, endB?.icount ?? Infinity);
  const budgetEnd = opts.budget !== undefined ? lastCommon + opts.budget : Infinity;
  let hi = Math.min(firstDiffer ?? Infinity, ends, budgetEnd);
  const base: DiffReport = {
    identical: false, icount: null, eip: null, instruction: null, lastCommonSync: lastCommon, firstDifferingSync: firstDiffer,
    registers: [], memory: [], output: null, inputs: [], note: null, incomplete: null, searchedTo: lastCommon, stepped: 0,
  };
  if (adoptAt && sameMachine(a, b)) {
    // Equal up to here (the logs' hashes and output digests say so): replay one side, give the other its state.
    opts.onProgress?.('seek', lastCommon);
    await a.session.seekTo(lastCommon);
    b.session.adopt(a.session.snapshot(), adoptAt);
    b.output.length = 0;
    b.outputAt.length = 0;
    for (let i = 0; i < a.output.length; i++) {
      b.output.push(a.output[i]);
      b.outputAt.push(a.outputAt[i]);
    }
  } else {
    await pair.seek(lastCommon);
  }
  a.session.pin();
  b.session.pin();
  if (lastCommon > 0 && pair.differ()) {
    return report(a, b, { ...base, searchedTo: lastCommon }, lastCommon, lastCommon, a.session.machine.cpu.eip >>> 0, '(the states differ at the sync point itself)');
  }
  const limit = Math.min(ends, budgetEnd, Number.MAX_SAFE_INTEGER);
  // The same log on both sides (other replay options) has the same inputs: only the machines can differ.
  const inputs = opts.fromStart ? { icount: null, compared: 0, at: [] } : firstInputDifference(a.log, b.log, lastCommon, 64);
  if (inputs.icount !== null) hi = Math.min(hi, inputs.icount + 1);
  if (!Number.isFinite(hi)) hi = limit;
  // An input the logs disagree on is the usual cause: while the states are still equal just before one, step it.
  // (Many differing inputs change nothing the guest sees at once, e.g. host clock reads behind the timers.)
  let from = lastCommon;
  for (const ic of inputs.at) {
    if (ic < pair.icount || ic >= budgetEnd || ic >= hi) break;
    await pair.run(ic);
    if (pair.stopped()) return interrupted(base, pair);
    if (pair.icount !== ic || pair.differ()) {
      hi = Math.min(hi, ic);
      break;
    }
    from = ic;
    const found = await stepThrough(pair, ic, ic + 1, base);
    if (found) return found;
  }
  // The interval left (equal at `from`, different by `hi` when the logs' hashes say so), then the rest of the run
  // (device state the guest has not read can make the logs' hashes differ with CPU and RAM equal).
  for (const [lo, to] of [[from, hi], [Math.max(from, hi), limit]]) {
    if (to <= lo) continue;
    const span = await pair.narrow(lo, to);
    if (pair.stopped()) return interrupted(base, pair);
    if (span) {
      const found = await stepThrough(pair, span.lo, span.hi, base);
      if (found) return found;
      if (pair.stopped()) return interrupted(base, pair);
    }
  }
  const searchedTo = pair.icount;
  if (searchedTo >= budgetEnd && budgetEnd < ends) {
    return { ...base, searchedTo, incomplete: 'budget', note: `no difference in the ${opts.budget} instructions after icount ${lastCommon} (the --budget); the executions part later, if at all` };
  }
  const same = endA && endB && endA.icount === endB.icount && endA.reason === endB.reason && endA.exitValue === endB.exitValue;
  base.basis = opts.fromStart
    ? `CPU state and RAM compared at ${pair.compared} points from power-on to the end`
    : `equal state at icount ${lastCommon}${lastCommon > 0 ? ' (the logs\' sync hashes)' : ' (power-on)'}, ${inputs.compared} inputs after it equal in both logs, CPU state and RAM compared at ${pair.compared} points`;
  if (same) {
    const note = hexOf(endA.hash) === hexOf(endB.hash) ? null
      : 'the final machine state hashes differ only in device state the guest never read into a register (e.g. an RTC started at another wall-clock time)';
    return { ...base, identical: true, searchedTo, note };
  }
  return {
    ...base, searchedTo,
    note: `no instruction differs up to icount ${searchedTo}, but the logs end differently (${endA?.reason ?? 'cut'} at ${endA?.icount ?? '?'} vs ${endB?.reason ?? 'cut'} at ${endB?.icount ?? '?'})`,
  };
}

/** Both machines built alike (so one can take the other's state). */
function sameMachine(a: DiffSide, b: DiffSide): boolean {
  const ha = a.session.replayer.header.machine, hb = b.session.replayer.header.machine;
  const strip = (m: Record<string, unknown>): string => JSON.stringify({ ...m, wallClockMs: 0 });
  return a.session.machine.mem.size === b.session.machine.mem.size && strip(ha) === strip(hb);
}

/** Step both sides one instruction at a time over (lo, hi]; the report at the first that leaves them different. */
async function stepThrough(pair: Pair, lo: number, hi: number, base: DiffReport): Promise<DiffReport | null> {
  const { a, b } = pair;
  if (pair.icount !== lo) await pair.seek(lo);
  while (pair.icount < hi && !pair.stopped()) {
    const ia = pair.icount;
    const eip = a.session.machine.cpu.eip >>> 0;
    const text = disassembleAtEip(a.session.machine.cpu).text;
    const ra = await a.session.stepOne();
    const rb = await b.session.stepOne();
    pair.stepped++;
    if (pair.stepped % 1024 === 0) pair.progress('step', ia);
    // A side that no longer matches its own log (an event due at another EIP, an ND value taken elsewhere) parted here.
    const note = ra.verdict === 'divergence' ? `${a.log}: ${ra.divergence!.message}` : rb.verdict === 'divergence' ? `${b.log}: ${rb.divergence!.message}` : null;
    const moved = ra.icount !== rb.icount || ra.reason !== rb.reason;
    if (note || moved || pair.differ()) {
      const r = report(a, b, { ...base, searchedTo: ia + 1, stepped: pair.stepped }, ia, ia + 1, eip, text);
      return { ...r, note: note ?? r.note };
    }
    if (ra.icount === ia && rb.icount === ia) break;
  }
  return null;
}

function interrupted(base: DiffReport, pair: Pair): DiffReport {
  return {
    ...base, searchedTo: pair.icount, stepped: pair.stepped, incomplete: 'interrupted',
    note: `interrupted: no difference found up to icount ${pair.icount}; the search had not finished`,
  };
}

/** Header machine-configuration keys whose values differ between the logs (e.g. wallClockMs: the RTC's start). */
export function configDifferences(a: DiffSide, b: DiffSide): string[] {
  const ha = a.session.replayer.header.machine, hb = b.session.replayer.header.machine;
  return [...new Set([...Object.keys(ha), ...Object.keys(hb)])].filter((k) => JSON.stringify(ha[k]) !== JSON.stringify(hb[k])).sort();
}

function report(a: DiffSide, b: DiffSide, base: DiffReport, icount: number, after: number, eip: number, instruction: string): DiffReport {
  let output: DiffReport['output'] = null;
  const n = Math.max(a.output.length, b.output.length);
  for (let i = 0; i < n; i++) {
    if (a.output[i] === b.output[i]) continue;
    const show = (o: number[]): string => JSON.stringify(String.fromCharCode(...o.slice(i, i + 32)));
    output = { offset: i, a: show(a.output), b: show(b.output) };
    break;
  }
  const ina = inputsNear(a.log, icount, after), inb = inputsNear(b.log, icount, after);
  const keys = [...new Set([...ina.keys(), ...inb.keys()])].sort((x, y) => parseInt(x, 10) - parseInt(y, 10));
  const inputs: InputAt[] = keys.map((k) => {
    const [ic, kind] = [Number(k.slice(0, k.indexOf(':'))), k.slice(k.indexOf(':') + 1)];
    return { kind, icount: ic, a: ina.get(k) ?? null, b: inb.get(k) ?? null };
  });
  const ma = a.session.machine, mb = b.session.machine;
  const cfg = configDifferences(a, b);
  const configNote = inputs.length === 0 && cfg.length > 0
    ? `the logs' machine configurations differ in ${cfg.join(', ')}${cfg.includes('wallClockMs') ? ' (wallClockMs: the RTC started at another wall-clock time; --rtc-base fixes it)' : ''}`
    : null;
  return { ...base, icount, eip, instruction, registers: registerDiffs(ma, mb), memory: memoryDiffs(ma, mb), output, inputs, note: base.note ?? configNote };
}

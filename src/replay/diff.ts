// The first instruction where two executions part (DESIGN section 7). The
// logs' sync hashes give the last position where both states were equal;
// both are replayed to it, then stepped together one instruction at a time,
// comparing registers and the state hash after each, until they differ.
// The report names that instruction, what differs, and the inputs (ND
// values, events) the two logs gave at that point.

import type { Machine, StopInfo } from '../machine/machine.js';
import { ReplayDivergence } from './replayer.js';
import { NdDivergence } from './nd-buffer.js';
import { dirtyPageHub, type DirtySet } from '../machine/dirty-pages.js';
import { disassembleAtEip } from '../cpu/disasm-fetch.js';
import { LogReader } from './log-reader.js';
import type { LogEvent, SyncFrame, EndFrame } from './frames.js';
import { ndKindName } from './nd-block.js';
import type { Replayer } from './replayer.js';

export interface DiffSide {
  log: string;
  machine: Machine;
  replayer: Replayer;
  /** Guest output bytes so far (COM1 and port 0xE9). */
  output: number[];
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
  /** icount of the first instruction after which the states differ (null when identical). */
  icount: number | null;
  eip: number | null;
  instruction: string | null;
  /** Last icount at which the sync hashes of both logs agreed. */
  lastCommonSync: number;
  registers: RegisterDiff[];
  /** Physical ranges whose bytes differ, as [start, end) hex, at most 16. */
  memory: { start: string; end: string }[];
  output: { offset: number; a: string; b: string } | null;
  /** The non-deterministic inputs the logs gave at or just before that instruction. */
  inputs: InputAt[];
  /** When they never parted but ended differently (e.g. one log is longer). */
  note: string | null;
}

const REGS = ['eax', 'ecx', 'edx', 'ebx', 'esp', 'ebp', 'esi', 'edi'];
const SREGS = ['es', 'cs', 'ss', 'ds', 'fs', 'gs'];
const hex32 = (v: number): string => '0x' + (v >>> 0).toString(16).padStart(8, '0');

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

/** Do the pages either machine wrote since the last call differ? (Pages neither wrote are equal since the last common point.) */
function pagesDiffer(a: Machine, b: Machine, da: DirtySet, db: DirtySet): boolean {
  const pages = new Set([...da.update().list(), ...db.update().list()]);
  da.clear();
  db.clear();
  const x = a.mem.ram, y = b.mem.ram;
  for (const p of pages) {
    const o = p * 4096;
    if (Buffer.compare(x.subarray(o, o + 4096), y.subarray(o, o + 4096)) !== 0) return true;
  }
  return false;
}

/** Sync points and the end frame of a log, read without replaying it. */
function syncPointsOf(path: string): { syncs: SyncFrame[]; end: EndFrame | null } {
  const r = LogReader.open(path);
  try {
    const syncs: SyncFrame[] = [];
    for (const f of r.frames()) if (f.frame.kind === 'sync') syncs.push(f.frame);
    return { syncs, end: r.end };
  } finally {
    r.close();
  }
}

/** ND entries and events a log has at icounts in [from, to]. */
function inputsNear(path: string, from: number, to: number): Map<string, string> {
  const found = new Map<string, string>();
  const r = LogReader.open(path);
  try {
    for (const f of r.frames()) {
      const fr = f.frame;
      if (fr.kind === 'nd') {
        for (let k = 0; k < fr.count; k++) {
          const ic = fr.icounts[k];
          if (ic < from || ic > to) continue;
          const kind = ndKindName(fr.kinds[k]);
          found.set(`${ic}:${kind}`, String(fr.values[k]));
        }
      } else if (fr.kind === 'events') {
        for (const e of fr.events as LogEvent[]) {
          if (e.icount < from || e.icount > to) continue;
          const key = `${e.icount}:${e.kind} event`;
          found.set(key, (found.has(key) ? found.get(key) + ', ' : '') + String(e.value));
        }
      }
    }
  } finally {
    r.close();
  }
  return found;
}

const hexOf = (b: Uint8Array): string => Buffer.from(b).toString('hex');

export function diffExecutions(a: DiffSide, b: DiffSide, opts: { maxSteps?: number; fromStart?: boolean } = {}): DiffReport {
  const ca = syncPointsOf(a.log), cb = syncPointsOf(b.log);
  // The last sync icount both logs have with equal hashes, before the first one they disagree on.
  const bySync = new Map(cb.syncs.map((s) => [s.icount, hexOf(s.hash)]));
  let lastCommon = 0;
  for (const s of opts.fromStart ? [] : ca.syncs) {
    const h = bySync.get(s.icount);
    if (h === undefined) continue;
    if (h !== hexOf(s.hash)) break;
    lastCommon = s.icount;
  }
  a.machine.run(lastCommon);
  b.machine.run(lastCommon);
  // From here on, compare what the guest can see: registers, output and RAM (pages either side wrote).
  const da = dirtyPageHub(a.machine.cpu).subscribe(), db = dirtyPageHub(b.machine.cpu).subscribe();
  const ramDiffers = (): boolean => pagesDiffer(a.machine, b.machine, da, db);
  const endA = ca.end?.icount ?? Infinity, endB = cb.end?.icount ?? Infinity;
  const limit = Math.min(endA, endB, lastCommon + (opts.maxSteps ?? 50_000_000));
  const base: DiffReport = { identical: false, icount: null, eip: null, instruction: null, lastCommonSync: lastCommon, registers: [], memory: [], output: null, inputs: [], note: null };
  const ended = (m: Machine): boolean => m.exitStatus >= 0 || m.cpu.shutdown;
  // Output only grows: compare the bytes added since the last step.
  let outChecked = 0;
  const outputDiffers = (): boolean => {
    if (a.output.length !== b.output.length) return true;
    for (; outChecked < a.output.length; outChecked++) if (a.output[outChecked] !== b.output[outChecked]) return true;
    return false;
  };
  if (lastCommon > 0 && (registerDiffs(a.machine, b.machine).length || memoryDiffs(a.machine, b.machine).length)) {
    return report(a, b, base, lastCommon, lastCommon, a.machine.cpu.eip >>> 0, '(the states differ at the sync point itself)');
  }
  for (;;) {
    const ia = a.machine.cpu.icount;
    if (ia >= limit || ended(a.machine) || ended(b.machine)) break;
    const eip = a.machine.cpu.eip >>> 0;
    const text = disassembleAtEip(a.machine.cpu).text;
    let sa: StopInfo, sb: StopInfo;
    try {
      sa = a.machine.run(ia + 1);
      sb = b.machine.run(ia + 1);
    } catch (e) {
      // A replay that no longer matches its log (an event due at another EIP, an ND value taken elsewhere) parted here.
      if (e instanceof ReplayDivergence || e instanceof NdDivergence) return { ...report(a, b, base, ia, ia + 1, eip, text), note: e.message };
      throw e;
    }
    if (registerDiffs(a.machine, b.machine).length || outputDiffers() || sa.reason !== sb.reason || sa.icount !== sb.icount || ramDiffers()) {
      return report(a, b, base, ia, ia + 1, eip, text);
    }
  }
  const same = ca.end && cb.end && ca.end.icount === cb.end.icount && hexOf(ca.end.hash) === hexOf(cb.end.hash) && ca.end.reason === cb.end.reason;
  return { ...base, identical: Boolean(same), note: same ? null : `no instruction differs up to icount ${a.machine.cpu.icount}, but the logs end differently (${ca.end?.reason ?? 'cut'} at ${endA} vs ${cb.end?.reason ?? 'cut'} at ${endB})` };
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
  return {
    ...base,
    icount,
    eip,
    instruction,
    registers: registerDiffs(a.machine, b.machine),
    memory: memoryDiffs(a.machine, b.machine),
    output,
    inputs,
  };
}

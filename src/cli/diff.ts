// `vmrr diff A B`: the first instruction where two recorded executions part.
import { diffExecutions, type DiffReport, type DiffSide } from '../replay/diff.js';
import { ReplaySession } from '../replay/replay-session.js';
import { hex32 } from '../replay/hex.js';
import { openReplay } from './replay-machine.js';
import { checkLogOrder } from '../replay/log-order.js';
import { UsageError } from './exit.js';
import { symbolNamer } from './replay-text.js';

export interface DiffSummary extends DiffReport {
  a: string;
  b: string;
  /** `function+0xoffset` of `eip` from the image's ELF symbols; null without symbols or an EIP. */
  symbol: string | null;
}

export interface DiffOptions {
  force?: boolean;
  /** Replay side B with another TLB configuration (B defaults to A: a log against its own replay). */
  tlb?: { entries?: number; ways?: number; tracking?: boolean };
  /** At most this many instructions past the last common sync point are examined. */
  budget?: number;
  signal?: AbortSignal;
  onProgress?: (phase: string, icount: number) => void;
}

/** One side of a diff: its session and its guest output (with the icount each byte was written at, so a seek back can drop later bytes). */
async function openSide(log: string, tlb: DiffOptions['tlb'], opts: DiffOptions): Promise<DiffSide> {
  // As replay does: a log whose control points go backwards is damaged, and refused before it runs.
  const order = checkLogOrder(log);
  if (order.problem) throw new UsageError(order.problem);
  const output: number[] = [];
  const outputAt: number[] = [];
  const at = outputAt;
  let machine: { cpu: { icount: number } } | null = null;
  let image = '';
  const open = async () => {
    const o = await openReplay(log, { output: (x) => { output.push(x); at.push(machine?.cpu.icount ?? 0); }, tlb });
    machine = o.machine;
    image = o.imagePath;
    return o;
  };
  const parts = await open();
  const session = new ReplaySession(log, parts, {
    verify: true,
    snapshots: { max: 4, atSyncPoints: true },
    reopen: open,
    signal: opts.signal,
    onRestore: (icount) => {
      let n = at.length;
      while (n > 0 && at[n - 1] >= icount) n--;
      output.length = n;
      at.length = n;
    },
  });
  return { log, session, output, outputAt, image };
}

export async function diffCommand(a: string, b: string | undefined, opts: DiffOptions = {}): Promise<DiffSummary> {
  const sameLog = b === undefined;
  const bPath = b ?? a;
  const sa = await openSide(a, undefined, opts);
  try {
    const sb = await openSide(bPath, opts.tlb, opts);
    try {
      if (sa.session.replayer.header.imageSha256 !== sb.session.replayer.header.imageSha256 && !opts.force) {
        throw new UsageError(`${a} and ${bPath} were recorded with different images; diff compares two executions of one image (--force to compare anyway)`);
      }
      // One log against its own replay: its sync hashes say nothing about the other configuration.
      const r = await diffExecutions(sa, sb, { fromStart: sameLog, budget: opts.budget, signal: opts.signal, onProgress: opts.onProgress });
      const name = r.eip === null || !sa.image ? '' : symbolNamer(sa.image)(r.eip);
      return { a, b: sameLog ? `${a} (replayed with ${describeTlb(opts.tlb)})` : bPath, ...r, symbol: name ? name.slice(2, -1) : null };
    } finally {
      sb.session.close();
    }
  } finally {
    sa.session.close();
  }
}


export function formatDiff(r: DiffSummary): string {
  if (r.identical) {
    const lines = [`identical: ${r.a} and ${r.b} execute the same instructions with the same results to their ends`, `  (${r.basis})`];
    if (r.note) lines.push(`  ${r.note}`);
    return lines.join('\n') + '\n';
  }
  if (r.icount === null) return `${r.note}\n`;
  // (an interrupted or budget-limited search says so in its note, with no icount)
  const sym = r.symbol ? ` <${r.symbol}>` : '';
  const lines = [`first difference at icount ${r.icount}, EIP ${hex32(r.eip!)}${sym}: ${r.instruction}`];
  const upTo = r.firstDifferingSync !== null ? `; the logs' hashes first differ at sync point icount ${r.firstDifferingSync}` : '';
  lines.push(`  (both states last agreed at sync point icount ${r.lastCommonSync}${upTo}; ${r.stepped} instructions single-stepped)`);
  for (const i of r.inputs) lines.push(`  input ${i.kind} at icount ${i.icount}: ${r.a} gave ${i.a ?? 'nothing'}, ${r.b} gave ${i.b ?? 'nothing'}`);
  if (r.inputs.length === 0) {
    lines.push(r.b.includes('(replayed with')
      ? '  no logged input differs: the two sides run the same log, and only the replay options (the TLB) differ'
      : '  no logged input differs at this instruction (the cause is earlier state, or the logs come from different builds)');
  }
  if (r.note) lines.push(`  ${r.note}`);
  for (const g of r.registers) lines.push(`  ${g.name.padEnd(6)} ${g.a}  vs  ${g.b}`);
  for (const m of r.memory) lines.push(`  memory [${m.start}, ${m.end}) differs`);
  if (r.output) lines.push(`  output differs at byte ${r.output.offset}: ${r.output.a} vs ${r.output.b}`);
  return lines.join('\n') + '\n';
}

function describeTlb(t: DiffOptions['tlb']): string {
  if (!t) return 'the recorded options';
  const parts = [];
  if (t.entries !== undefined) parts.push(`--tlb-entries ${t.entries}`);
  if (t.ways !== undefined) parts.push(`--tlb-ways ${t.ways}`);
  if (t.tracking === false) parts.push('--no-tlb-tracking');
  return parts.join(' ');
}

// `vmrr diff A B`: the first instruction where two recorded executions part.
import { diffExecutions, type DiffReport } from '../replay/diff.js';
import { openReplay } from './replay-machine.js';
import { UsageError } from './exit.js';

export interface DiffSummary extends DiffReport {
  a: string;
  b: string;
}

export interface DiffOptions {
  force?: boolean;
  /** Replay side B with another TLB configuration (B defaults to A: a log against its own replay). */
  tlb?: { entries?: number; ways?: number; tracking?: boolean };
}

export async function diffCommand(a: string, b: string | undefined, opts: DiffOptions = {}): Promise<DiffSummary> {
  const outA: number[] = [], outB: number[] = [];
  const ra = await openReplay(a, { output: (x) => outA.push(x) });
  const sameLog = b === undefined;
  const bPath = b ?? a;
  try {
    const rb = await openReplay(bPath, { output: (x) => outB.push(x), tlb: opts.tlb });
    try {
      if (ra.replayer.header.imageSha256 !== rb.replayer.header.imageSha256 && !opts.force) {
        throw new UsageError(`${a} and ${bPath} were recorded with different images; diff compares two executions of one image (--force to compare anyway)`);
      }
      const r = diffExecutions(
        { log: a, machine: ra.machine, replayer: ra.replayer, output: outA },
        { log: bPath, machine: rb.machine, replayer: rb.replayer, output: outB },
        // One log against its own replay: its sync hashes say nothing about the other configuration.
        { fromStart: sameLog },
      );
      return { a, b: sameLog ? `${a} (replayed with ${describeTlb(opts.tlb)})` : bPath, ...r };
    } finally {
      rb.replayer.close();
    }
  } finally {
    ra.replayer.close();
  }
}

const hex32 = (v: number): string => '0x' + (v >>> 0).toString(16).padStart(8, '0');

export function formatDiff(r: DiffSummary): string {
  if (r.identical) return `identical: ${r.a} and ${r.b} execute the same instructions with the same results to their ends\n`;
  if (r.icount === null) return `${r.note}\n`;
  const lines = [`first difference at icount ${r.icount}, EIP ${hex32(r.eip!)}: ${r.instruction}`];
  lines.push(`  (both states last agreed at sync point icount ${r.lastCommonSync})`);
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

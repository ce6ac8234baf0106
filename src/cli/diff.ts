// `vmrr diff A B`: the first instruction where two recorded executions part.
import { diffExecutions, type DiffReport } from '../replay/diff.js';
import { openReplay } from './replay-machine.js';
import { UsageError } from './exit.js';

export interface DiffSummary extends DiffReport {
  a: string;
  b: string;
}

export async function diffCommand(a: string, b: string, opts: { force?: boolean } = {}): Promise<DiffSummary> {
  const outA: number[] = [], outB: number[] = [];
  const ra = await openReplay(a, { output: (x) => outA.push(x) });
  try {
    const rb = await openReplay(b, { output: (x) => outB.push(x) });
    try {
      if (ra.replayer.header.imageSha256 !== rb.replayer.header.imageSha256 && !opts.force) {
        throw new UsageError(`${a} and ${b} were recorded with different images; diff compares two executions of one image (--force to compare anyway)`);
      }
      const r = diffExecutions(
        { log: a, machine: ra.machine, replayer: ra.replayer, output: outA },
        { log: b, machine: rb.machine, replayer: rb.replayer, output: outB },
      );
      return { a, b, ...r };
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
  if (r.inputs.length === 0) lines.push('  no logged input differs at this instruction (the cause is earlier state, or the logs come from different builds)');
  for (const g of r.registers) lines.push(`  ${g.name.padEnd(6)} ${g.a}  vs  ${g.b}`);
  for (const m of r.memory) lines.push(`  memory [${m.start}, ${m.end}) differs`);
  if (r.output) lines.push(`  output differs at byte ${r.output.offset}: ${r.output.a} vs ${r.output.b}`);
  return lines.join('\n') + '\n';
}

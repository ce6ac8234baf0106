// Human report of `vmrr replay`, for stderr (guest output owns stdout).
import type { ChalkInstance } from 'chalk';
import type { ReplaySummary } from './replay.js';
import { hex32 } from '../replay/hex.js';

export function formatReplay(r: ReplaySummary, paint: ChalkInstance): string {
  const at = `icount ${r.icount}, EIP ${hex32(r.eip)}`;
  const lines: string[] = [];
  switch (r.verdict) {
    case 'identical':
      lines.push(`${paint.green('replay identical')}: ${r.log} to its end (${r.reason} at ${at})`);
      lines.push(`  checked: ${checkedText(r)}`);
      break;
    case 'unverified':
      lines.push(`${paint.yellow('replay ran to the end, not verified')}: ${r.log} (${r.reason} at ${at}); ${r.eventsDelivered} events delivered`);
      lines.push(`  checked: ${checkedText(r)}`);
      break;
    case 'reached':
      lines.push(`replay reached ${at} (${r.reason}); ${r.eventsDelivered} events delivered`);
      break;
    case 'cut':
      lines.push(`${paint.yellow('replay stopped where the log ends')}: ${r.cut!.message}`);
      lines.push(`  replayed to icount ${r.cut!.replayedTo}, the last position the log has every input for`);
      break;
    case 'divergence': {
      const d = r.divergence!;
      lines.push(`${paint.bold.red('replay diverged')} at icount ${d.icount}, EIP ${hex32(d.eip)}: ${d.instruction}`);
      lines.push(`  ${d.message}`);
      lines.push(`  while checking: ${d.during}`);
      lines.push(`  expected: ${d.expected}`);
      lines.push(`  actual:   ${d.actual}`);
      if (d.lastEvent) lines.push(`  last event delivered: ${d.lastEvent}`);
      break;
    }
  }
  for (const n of r.notChecked) lines.push(`  not checked: ${n}`);
  return lines.join('\n') + '\n';
}

/** What a replay compared, in one line. */
export function checkedText(r: ReplaySummary): string {
  const c = r.checked;
  const parts = [`${c.syncPoints} sync point positions`, `${c.stateHashes} state hashes`];
  if (c.outputMarks > 0) parts.push(`${c.outputMarks} output digests (${c.outputChannels.join(', ')}; ${c.outputBytes} bytes)`);
  if (c.end) parts.push('the end (stop reason, icount, exit status)');
  parts.push(`${r.eventsDelivered} events delivered at their logged positions`);
  return parts.join(', ');
}

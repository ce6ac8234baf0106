// Human report of `vmrr replay`, for stderr (guest output owns stdout).
import { readFileSync } from 'node:fs';
import type { ChalkInstance } from 'chalk';
import type { ReplaySummary } from './replay.js';
import { readElfSymbols } from '../machine/elf-symbols.js';

const hex32 = (v: number): string => '0x' + (v >>> 0).toString(16).padStart(8, '0');

/** ` <function+0xoff>` for an EIP when the image is an ELF with symbols, else ''. */
export function symbolNamer(image: string): (eip: number) => string {
  let table: ReturnType<typeof readElfSymbols> = null;
  try {
    table = readElfSymbols(new Uint8Array(readFileSync(image)));
  } catch {
    // No names then: the report does not depend on them.
  }
  return (eip) => {
    const n = table?.describe(eip);
    return n ? ` <${n}>` : '';
  };
}

export function formatReplay(r: ReplaySummary, paint: ChalkInstance): string {
  const name = symbolNamer(r.image);
  const at = `icount ${r.icount}, EIP ${hex32(r.eip)}${name(r.eip)}`;
  const lines: string[] = [];
  switch (r.verdict) {
    case 'identical':
      lines.push(`${paint.green('replay identical')}: ${r.log} to its end (${r.reason} at ${at}); ${r.eventsDelivered} events, ${r.syncsChecked} state hashes checked`);
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
      lines.push(`${paint.bold.red('replay diverged')} at icount ${d.icount}, EIP ${hex32(d.eip)}${name(d.eip)}: ${d.instruction}`);
      lines.push(`  ${d.message}`);
      lines.push(`  while checking: ${d.during}`);
      lines.push(`  expected: ${d.expected}`);
      lines.push(`  actual:   ${d.actual}`);
      if (d.lastEvent) lines.push(`  last event delivered: ${d.lastEvent}`);
      break;
    }
  }
  return lines.join('\n') + '\n';
}

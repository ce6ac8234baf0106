// People's text for the cluster commands (stderr); --json prints the data instead.
import type { GuestInfo } from '../cluster/guest.js';
import type { RoundReport } from '../cluster/replicate.js';
import type { RestoreReport } from '../cluster/restore.js';

const kib = (n: number) => (n < 10_240 ? `${n} B` : n < 10 << 20 ? `${(n / 1024).toFixed(1)} KiB` : `${(n / 2 ** 20).toFixed(1)} MiB`);

export function formatGuest(g: GuestInfo): string {
  const end = g.end ? ` (${g.end.reason}${g.end.exitValue !== null ? ` ${g.end.exitValue}` : ''}, state ${g.end.stateHash})` : '';
  const disk = g.diskSectorsWritten !== null ? `  disk ${g.diskSectorsWritten} sectors written` : '';
  return `${g.vm.padEnd(16)} ${g.status.padEnd(8)} icount ${String(g.icount).padStart(12)}  output ${g.outputBytes} B  log ${kib(g.logBytes)}${disk}${end}`;
}

export function formatLs(rows: { node: string; guests: GuestInfo[]; cachedBytes: number; cacheBytes: number }[]): string {
  const out: string[] = [];
  for (const r of rows) {
    out.push(`node ${r.node}: ${r.guests.length} guest${r.guests.length === 1 ? '' : 's'}, cache ${kib(r.cachedBytes)} of ${kib(r.cacheBytes)}`);
    for (const g of r.guests) out.push(`  ${formatGuest(g)}`);
  }
  return out.join('\n') + '\n';
}

export function formatRound(r: RoundReport): string {
  const out = [`round ${r.round}: ${r.vms.filter((v) => v.replicated).length} of ${r.vms.length} VMs replicated in ${(r.ms / 1000).toFixed(2)} s`];
  for (const l of r.lostNodes) out.push(`  primary lost: ${l.node}: ${l.error}`);
  for (const d of r.deadSecondaries) out.push(`  secondary down: ${d.target}: ${d.error}`);
  for (const v of r.vms) {
    const pct = v.fullBytes > 0 ? ` (${((100 * v.bytesCopied) / v.fullBytes).toFixed(1)}% of ${kib(v.fullBytes)})` : '';
    const log = v.logFrom !== null ? `, log tail from icount ${v.logFrom} ${kib(v.logBytes)}` : '';
    const gc = v.collected.states > 0 ? `; collected ${v.collected.states} old state${v.collected.states === 1 ? '' : 's'} (${kib(v.collected.bytes)} freed)` : '';
    out.push(`  ${v.vm} @ icount ${v.icount ?? '-'} state ${v.stateHash ?? '-'}: ${v.replicated ? `${kib(v.bytesCopied)} copied${pct}${log} in ${v.ms.toFixed(0)} ms${gc}` : 'NOT replicated this round'}`);
    out.push(`    source ${v.source ?? '-'}: ${v.sourceWhy}`);
    out.push(`    dest   ${v.dest ?? '-'}: ${v.destWhy}`);
    for (const f of v.failures) out.push(`    failed on ${f.target}: ${f.error}`);
  }
  return out.join('\n') + '\n';
}

export function formatRestore(r: RestoreReport): string {
  const out = [
    `restored ${r.vm} at icount ${r.icount} from ${r.from} in ${r.restoreMs.toFixed(0)} ms`,
    r.hashMatches ? `  state hash ${r.stateHash} equals the primary's` : `  state hash ${r.stateHash} DIFFERS from the primary's ${r.expectedHash}`,
  ];
  if (r.diskSectors !== null) out.push(`  disk: ${r.diskSectors} sector${r.diskSectors === 1 ? '' : 's'} written by then, restored`);
  if (r.replay) {
    const p = r.replay;
    const from = p.fromPowerOn ? 'power-on' : `the state at icount ${p.from}`;
    out.push(p.verdict === 'reached' && p.from === p.to && !p.fromPowerOn
      ? `  no log tail to replay: the guest has not run since its previous state (icount ${p.to})`
      : p.verdict === 'reached'
      ? `  replayed the log tail (${kib(p.logBytes)}) from ${from} to icount ${p.to}: ${p.syncPoints} sync point${p.syncPoints === 1 ? '' : 's'}, ${p.stateHashes} state hashes and ${p.outputMarks} output marks checked, arrived at the state's hash`
      : `  the replay of the log tail from ${from} DIVERGED: ${p.divergence}`);
  }
  if (r.run) out.push(`  ran on to icount ${r.run.icount}: ${r.run.reason}${r.run.exitValue !== null ? ` ${r.run.exitValue}` : ''}, state ${r.run.stateHash}, ${r.run.outputBytes} output bytes after the state`);
  return out.join('\n') + '\n';
}

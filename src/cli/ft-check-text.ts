// The human form of an ft-check report (stderr; the guest's released output is on stdout).
import type { ChalkInstance } from 'chalk';
import type { FtReport } from '../ft/report.js';
import { hex32 } from '../replay/hex.js';

const n = (v: number): string => v.toLocaleString('en-US');

function mib(bytes: number): string {
  return bytes >= 1 << 20 ? `${(bytes / (1 << 20)).toFixed(bytes % (1 << 20) === 0 ? 0 : 1)} MiB` : `${n(bytes)} bytes`;
}

export function formatFtCheck(r: FtReport, paint: ChalkInstance): string {
  const L: string[] = [];
  L.push(`${paint.bold('ft-check')} ${r.image}: primary ${n(r.primary.icount)} instructions (${r.primary.reason}${r.primary.exitValue !== null ? ` ${r.primary.exitValue}` : ''}), ` +
    `secondary ran ${n(r.secondary.executed)}; ${r.rounds} round${r.rounds === 1 ? '' : 's'} of up to ${n(r.slice)}` + (r.loose.length ? `; loose: ${r.loose.join(', ')}` : ''));
  for (const i of r.injections) {
    L.push(`  inject ${i.spec}: ${i.applied ? `applied at icount ${n(i.icount ?? 0)}` : 'not applied (never reached, or skipped by a resync)'}`);
  }
  L.push(`${paint.bold('divergences')}: ${r.divergences.length}`);
  r.divergences.forEach((d, k) => {
    const off = d.offset !== null ? ` offset ${d.offset}` : '';
    L.push(`  #${k + 1} icount ${n(d.icount)} EIP ${hex32(d.eip)} ${d.channel}${off}: ${d.message}`);
    L.push(`      primary   ${d.primary}`);
    L.push(`      secondary ${d.secondary}`);
    L.push(`      ${d.resync !== null ? `corrected by resync #${d.resync + 1}` : paint.red('not corrected')}`);
  });
  L.push(`${paint.bold('resyncs')}: ${r.resyncs.length}`);
  r.resyncs.forEach((s, k) => {
    const pct = ((100 * s.pageBytes) / s.ramBytes).toFixed(3);
    L.push(`  #${k + 1} icount ${n(s.icount)} (${s.reason}; secondary at ${n(s.secondaryIcount)}): ${s.pages} pages, ${n(s.pageBytes)} bytes = ${pct}% of ${mib(s.ramBytes)} RAM` +
      (s.sectors ? `, ${s.sectors} disk sectors` : '') + `, ${n(s.transferBytes)} bytes on the link`);
    L.push(`      primary paused ${s.pausedMs.toFixed(1)} ms (~${n(s.pausedInsns)} instructions); state hashes ${s.hashEqual ? 'equal' : paint.red('DIFFER')} (${s.hash})`);
  });
  const o = r.output;
  L.push(`${paint.bold('output')}: ${n(o.produced)} bytes produced, ${n(o.released)} released; at most ${n(o.maxHeldBytes)} held at once; ` +
    `latency ${n(o.latencyMedianInsns)} instructions median (${n(o.latencyMeanInsns)} mean, ${n(o.latencyMaxInsns)} max), ` +
    `${o.latencyMedianMs.toFixed(1)} ms median, ${o.latencyMaxMs.toFixed(1)} ms max` + (o.diskWrites ? `; ${o.diskWrites} disk writes` : ''));
  const k = r.link;
  const wire = k.sentBytes !== null ? `; tcp to ${k.peer}: ${n(k.sentBytes)} bytes sent, ${n(k.receivedBytes ?? 0)} received` : '';
  L.push(`link: ${n(k.bytes)} log bytes in ${n(k.frames)} frames${wire}; ${k.roundTrips} round trips; ${n(k.resyncBytes)} resync bytes; ${r.wallSeconds.toFixed(2)} s`);
  if (k.lost) {
    L.push(paint.yellow(`  the secondary was lost at icount ${n(k.lost.icount)} (${k.lost.message}); ${n(k.unprotectedInsns)} instructions ran unprotected`) +
      (k.joins.length ? `; new secondaries joined at icount ${k.joins.map(n).join(', ')}` : ''));
  }
  const v = r.verdict;
  const facts = [
    `every divergence ${v.corrected ? 'corrected' : 'NOT corrected'}`,
    `released output ${v.releasedEqualsPrimary ? 'equals' : 'DIFFERS from'} the primary's`,
    `state hashes ${v.hashesEqualAfterResyncs ? 'equal' : 'NOT equal'} after every resync`,
    v.protectedToEnd || v.finalHashesEqual ? `final hashes ${v.finalHashesEqual ? 'equal' : 'DIFFER'}` : 'final hashes not compared (unprotected at the end)',
  ].join('; ');
  L.push(`${paint.bold('verdict')}: ${v.ok ? paint.green('OK') : paint.red('FAILED')}: ${facts}`);
  return L.join('\n') + '\n';
}

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
    `latency ${n(o.latencyMeanInsns)} instructions mean, ${n(o.latencyMaxInsns)} max` + (o.diskWrites ? `; ${o.diskWrites} disk writes` : ''));
  L.push(`link: ${n(r.link.bytes)} bytes in ${n(r.link.frames)} frames; ${r.wallSeconds.toFixed(2)} s`);
  const v = r.verdict;
  const facts = [
    `every divergence ${v.corrected ? 'corrected' : 'NOT corrected'}`,
    `released output ${v.releasedEqualsPrimary ? 'equals' : 'DIFFERS from'} the primary's`,
    `state hashes ${v.hashesEqualAfterResyncs ? 'equal' : 'NOT equal'} after every resync`,
    `final hashes ${v.finalHashesEqual ? 'equal' : 'DIFFER'}`,
  ].join('; ');
  L.push(`${paint.bold('verdict')}: ${v.ok ? paint.green('OK') : paint.red('FAILED')}: ${facts}`);
  return L.join('\n') + '\n';
}

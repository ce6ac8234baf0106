// `vmrr inspect` for people: the report of inspect.ts as aligned text,
// coloured only when asked (main.ts asks on a TTY without NO_COLOR).
import { Chalk } from 'chalk';
import type { InspectEvent, InspectNdBlock, InspectReport } from './inspect.js';
import { hex32 } from '../replay/hex.js';
import { symbolNamer } from './replay-text.js';

export interface TextOptions {
  color: boolean;
}

const LABEL = 15;

export function formatInspect(r: InspectReport, opts: TextOptions): string {
  const c = new Chalk({ level: opts.color ? 1 : 0 });
  const out: string[] = [];
  const row = (label: string, text: string): void => void out.push(`  ${label.padEnd(LABEL)}${text}`);
  const title = (text: string): void => void out.push('', c.bold(text));

  out.push(`${c.bold(r.log)}: vmrr log format ${r.formatVersion}, ${num(r.bytes)} bytes read` +
    (r.fileBytes !== r.bytes ? ` of ${num(r.fileBytes)}` : ''));
  out.push(r.end ? c.green(`complete: the recorder finished at icount ${num(r.end.icount)}`) : c.yellow(cutLine(r)));

  const h = r.header;
  // Names beside EIPs when the recorded image is an ELF with symbols and is still there.
  const name = symbolNamer(h.imagePath);
  title('Recording');
  row('tool version', h.toolVersion);
  row('created', h.created);
  row('image', h.imagePath);
  row('image SHA-256', h.imageSha256);
  row('disk', h.diskPath ?? 'none');
  if (h.diskSha256) row('disk SHA-256', h.diskSha256);
  row('clock', h.clock);
  row('ND buffer', `${num(h.ndBufferSize)} entries`);
  row('machine', flatten(h.machine).join(' ') || 'nothing recorded');

  title(`${'Frames'.padEnd(LABEL + 2)}${'count'.padStart(10)}${'bytes'.padStart(14)}`);
  row('header', `${''.padStart(10)}${num(h.bytes).padStart(14)}`);
  for (const [kind, t] of Object.entries(r.frames)) {
    const line = `${num(t.frames).padStart(10)}${num(t.bytes).padStart(14)}`;
    row(kind, kind === 'total' ? c.bold(line) : line);
  }

  title(`${'Events'.padEnd(LABEL + 2)}${'count'.padStart(10)}${'bytes'.padStart(14)}`);
  for (const [kind, t] of Object.entries(r.events)) row(kind, `${num(t.count).padStart(10)}${num(t.bytes).padStart(14)}`);

  const nd = r.nd;
  title('ND instructions');
  row('per kind', ['rdtsc', 'rdrand', 'rdseed', 'clock'].map((k) => `${k} ${num(nd[k] ?? 0)}`).join(', '));
  row('entries', `${num(nd.total)} in ${plural(nd.blocks, 'block')} (buffer flushes), ${plural(nd.bufferExits, 'buffer exit')} (full buffers)` +
    (nd.total ? `, ${nd.bytesPerEntry.toFixed(2)} bytes per entry` : ''));

  title('Checkpoints and sync points');
  const cp = r.checkpoints;
  row('checkpoints', cp.count ? `${num(cp.count)}, ${plural(cp.pages, 'page')}, ${num(cp.bytes)} bytes, at icount ${list(cp.icounts)}` : 'none');
  const sy = r.syncs;
  row('sync points', sy.count ? `${num(sy.count)}, from icount ${num(sy.firstIcount!)} to ${num(sy.lastIcount!)}` : 'none');

  if (r.end) {
    const e = r.end;
    title('End');
    row('icount', num(e.icount));
    row('EIP', hex32(e.eip) + name(e.eip));
    row('reason', e.reason);
    row('exit value', e.exitValue === null ? 'none' : `${e.exitValue} (${hex32(e.exitValue)})`);
    row('final hash', e.hash);
    const stats = Object.entries(e.stats);
    if (stats.length) row('recorder stats', stats.map(([k, v]) => `${k} ${num(v)}`).join(', '));
  } else if (r.cut) {
    title('Cut');
    row('where', `offset ${num(r.cut.offset)}, after frame ${r.cut.afterFrame}` +
      (r.cut.partialBytes ? `, then ${plural(r.cut.partialBytes, 'byte')} of a partial frame` : ''));
    row('why', r.cut.recorderFinished ? 'the recorder finished, the file was cut later' : 'the recorder did not finish');
    row('replayable to', `icount ${num(r.cut.replayableTo)} (the log has every input before it)`);
    row('last icount', `${num(r.lastIcount)} (the furthest a frame reaches)`);
  }

  if (r.eventList && r.ndBlocks) {
    title('Events and ND blocks, in file order');
    out.push(c.dim(`  ${'frame'.padStart(6)}  ${'icount'.padStart(14)}  ${'EIP'.padEnd(10)}  ${'kind'.padEnd(8)}  value`));
    for (const line of listing(r.eventList, r.ndBlocks, name)) out.push(line);
    if (!r.eventList.length && !r.ndBlocks.length) out.push('  none');
  }
  return out.join('\n') + '\n';
}

function cutLine(r: InspectReport): string {
  const cut = r.cut!;
  const after = cut.afterFrame ? `after frame ${cut.afterFrame}` : 'after the header';
  const why = cut.recorderFinished ? 'the recorder finished, the file was cut later' : 'the recorder did not finish';
  return `cut at offset ${cut.offset} ${after}: ${why}`;
}

/** Events and ND blocks merged back into file order (frame number, then position in the frame). */
function listing(events: InspectEvent[], blocks: InspectNdBlock[], name: (eip: number) => string): string[] {
  const lines: { frame: number; text: string }[] = [];
  for (const b of blocks) {
    const kinds = Object.entries(b.perKind).filter(([, n]) => n > 0).map(([k, n]) => `${k} ${num(n)}`).join(', ');
    const span = b.firstIcount === null ? '' : ` at icount ${num(b.firstIcount)}..${num(b.lastIcount!)}`;
    lines.push({
      frame: b.frame,
      text: cols(b.frame, b.at, '-', 'nd', `${plural(b.entries, 'entry', 'entries')}${kinds ? ` (${kinds})` : ''}${span}, check ${hex32(b.check)}, ${num(b.bytes)} bytes`),
    });
  }
  for (const e of events) lines.push({ frame: e.frame, text: cols(e.frame, e.icount, hex32(e.eip), e.kind, eventValue(e)) + name(e.eip) });
  // Stable sort: events keep their order inside a frame.
  return lines.sort((a, b) => a.frame - b.frame).map((l) => l.text);
}

function cols(frame: number, icount: number, eip: string, kind: string, value: string): string {
  return `  ${String(frame).padStart(6)}  ${num(icount).padStart(14)}  ${eip.padEnd(10)}  ${kind.padEnd(8)}  ${value}`;
}

function eventValue(e: InspectEvent): string {
  if (typeof e.value === 'string') return `${e.value.length / 2} bytes: ${e.value}`;
  switch (e.kind) {
    case 'timer':
      return `guest time ${num(e.value)} ns`;
    case 'serial':
      return `byte ${hex8(e.value)}${e.value >= 0x20 && e.value < 0x7f ? ` '${String.fromCharCode(e.value)}'` : ''}`;
    case 'disk':
      return 'completion';
    default:
      return String(e.value);
  }
}

/** The machine map as key=value words, nested keys joined with dots; strings quoted when empty or spaced. */
function flatten(v: unknown, prefix = ''): string[] {
  if (typeof v === 'object' && v !== null && !Array.isArray(v)) {
    return Object.entries(v).flatMap(([k, x]) => flatten(x, prefix ? `${prefix}.${k}` : k));
  }
  return [`${prefix}=${typeof v === 'string' && /^[^\s"=]+$/.test(v) ? v : JSON.stringify(v)}`];
}

/** At most ten icounts: the first six, then the last three. */
function list(icounts: number[]): string {
  if (icounts.length <= 10) return icounts.map(num).join(', ');
  return `${icounts.slice(0, 6).map(num).join(', ')}, ... (${icounts.length - 9} more), ${icounts.slice(-3).map(num).join(', ')}`;
}

function plural(n: number, one: string, many = one + 's'): string {
  return `${num(n)} ${n === 1 ? one : many}`;
}

/** 1234567 -> 1,234,567, whatever the locale. */
function num(n: number): string {
  return String(n).replace(/\B(?=(\d{3})+(?!\d))/g, ',');
}

function hex8(v: number): string {
  return '0x' + v.toString(16).padStart(2, '0');
}

// `monitor` commands of a replay: where am I, jump to an icount, the
// checkpoints and snapshots a seek can start from, and the non-deterministic
// inputs of the log around the current position.

import { LogReader } from '../replay/log-reader.js';
import { ndKindName, hex32 } from '../replay/nd-block.js';
import type { ReplayTarget } from './replay-target.js';

const HELP = `vmrr monitor commands (replay):
  icount          instructions retired so far (the replay's position)
  when            position, EIP, where the log ends, snapshot and replay counters
  seek N          go to icount N (then: maint flush register-cache, or stepi, to refresh gdb)
  checkpoints     the log's checkpoints and the in-memory snapshots a seek starts from
  events [N]      the N (default 5) logged inputs before and after the position
`;

export async function replayMonitor(t: ReplayTarget, cmd: string): Promise<string | undefined> {
  const e = t.engine;
  const [word, arg] = cmd.split(/\s+/).filter(Boolean);
  switch (word) {
    case 'help':
      return HELP;
    case 'icount':
      return `${e.icount}\n`;
    case 'when': {
      const end = e.endIcount === null ? 'not reached yet' : `at icount ${e.endIcount}`;
      const div = t.divergence ? `\ndiverged: ${t.divergence}` : '';
      return `icount ${e.icount}, EIP ${hex32(e.machine.cpu.eip)}${t.name(e.machine.cpu.eip)}; the log ends ${end}\n` +
        `${e.snapshots.length} in-memory snapshots, ${e.logCheckpoints.length} log checkpoints; ${e.stats.restores} restores, ${e.stats.replayed} instructions replayed${div}\n`;
    }
    case 'seek': {
      const n = Number((arg ?? '').replace(/_/g, ''));
      if (!Number.isSafeInteger(n) || n < 0) return `monitor seek: '${arg ?? ''}' is not an icount (a whole number)\n`;
      const r = await e.seekTo(n);
      const where = `now at icount ${e.icount}, EIP ${hex32(e.machine.cpu.eip)}`;
      if (r.kind === 'end') return `the log ends at icount ${e.icount}; ${where}\n`;
      if (r.kind === 'divergence') return `the replay diverged: ${r.message}; ${where}\n`;
      return `${where} (gdb: maint flush register-cache)\n`;
    }
    case 'checkpoints': {
      const snaps = e.snapshots.join(' ');
      const logc = e.logCheckpoints.length ? e.logCheckpoints.join(' ') : '(none)';
      return `log checkpoints: ${logc}\nin-memory snapshots: ${snaps}\n`;
    }
    case 'events':
      return eventsNear(e.logPath, e.icount, arg === undefined ? 5 : Math.max(1, Math.min(100, Number(arg) || 5)));
    default:
      return undefined;
  }
}

interface Input { icount: number; text: string }

/** The `n` logged inputs (events and ND values) at or before `icount` and the `n` after it (one pass over the log). */
export function eventsNear(path: string, icount: number, n: number): string {
  const before: Input[] = [];
  const after: Input[] = [];
  const add = (x: Input): void => {
    if (x.icount <= icount) {
      before.push(x);
      if (before.length > 4 * n) {
        before.sort((a, b) => a.icount - b.icount);
        before.splice(0, before.length - n);
      }
      return;
    }
    after.push(x);
    if (after.length > 4 * n) {
      after.sort((a, b) => a.icount - b.icount);
      after.length = n;
    }
  };
  const r = LogReader.open(path);
  try {
    for (const f of r.frames()) {
      const fr = f.frame;
      if (fr.kind === 'events') {
        for (const ev of fr.events) add({ icount: ev.icount, text: `${ev.kind} event (value ${ev.value}) at EIP ${hex32(ev.eip)}` });
      } else if (fr.kind === 'nd') {
        for (let i = 0; i < fr.count; i++) add({ icount: fr.icounts[i], text: `${ndKindName(fr.kinds[i])} = ${fr.values[i]}` });
      }
    }
  } catch {
    // A damaged tail: what was read is still worth showing.
  } finally {
    r.close();
  }
  // Events and ND values are in separate frames: sort the merged window.
  after.sort((a, b) => a.icount - b.icount);
  before.sort((a, b) => a.icount - b.icount);
  const rows = [...before.slice(-n), ...after.slice(0, n)];
  if (rows.length === 0) return 'the log has no non-deterministic inputs\n';
  return rows.map((x) => `${x.icount <= icount ? ' ' : '>'} icount ${x.icount}: ${x.text}`).join('\n') + `\n(> after the position, icount ${icount})\n`;
}

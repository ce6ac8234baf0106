// Comparing the two guests' externally visible output, in order: bytes per
// channel (COM1, debug consoles) as one interleaved stream, and disk writes.

import type { OutputLog } from './outputs.js';
import type { DiskTap } from './disk-tap.js';
import type { FtDivergence } from './report.js';
import { describeScreenPosition, screenDifference } from './screen-channel.js';

const SHOW = 16;

export function hexBytes(b: ArrayLike<number>): string {
  let s = '';
  for (let i = 0; i < b.length; i++) s += (b[i] & 0xff).toString(16).padStart(2, '0');
  return s;
}

export interface OutputComparison {
  /** Items [0, matched) are equal on both sides. */
  matched: number;
  divergence: FtDivergence | null;
}

/**
 * Compare items from `from` on. `level`: both guests are at the same point,
 * so each must have produced exactly as much as the other.
 */
export function compareOutputs(p: OutputLog, s: OutputLog, from: number, level: boolean, where: { icount: number; eip: number }, pEnd = p.length): OutputComparison {
  // pEnd: the primary's output up to the point compared (it may have run on since: a pipelined secondary).
  const n = Math.min(pEnd, s.length);
  let i = from;
  while (i < n && p.channelOf(i) === s.channelOf(i) && p.byte(i) === s.byte(i)) i++;
  if (i === n && (!level || pEnd === s.length)) return { matched: i, divergence: null };
  const side = i < s.length ? s : p;
  const channel = side.channelOf(i);
  const sCh = i < s.length ? s.channelOf(i) : channel;
  const what = i >= s.length ? 'the secondary did not produce it' : i >= pEnd ? 'the primary did not produce it' : 'bytes differ';
  const offset = side.channelOffset(i);
  // A screen byte is named by the first cell where the two screens after that update differ.
  const screen = channel === 'screen' ? screenDifference(p.screenRecords, s.screenRecords, offset) : null;
  const at = screen ? `${describeScreenPosition(screen)}, byte ${offset}` : `byte ${offset}`;
  return {
    matched: i,
    divergence: {
      icount: i < s.length ? s.icount(i) : where.icount,
      eip: i < s.length ? s.eip(i) : where.eip,
      channel,
      offset,
      ...(channel === 'screen' ? { screen } : {}),
      primary: hexBytes(p.slice(i, Math.min(i + SHOW, pEnd), channel)),
      secondary: hexBytes(s.slice(i, i + SHOW, sCh)),
      message: `${channel} output differs at ${at}: ${what}`,
      resync: null,
    },
  };
}

/** The writes a comparison needs: not yet compared, in order, and how many were made in all. */
export type DiskWrites = Pick<DiskTap, 'writes' | 'count'>;

/**
 * Compare pending disk writes pairwise; matched ones are removed from both
 * sides. `pEnd`: how many writes the primary had made at the point compared
 * (it may have run on since: a pipelined secondary).
 */
export function compareDisk(p: DiskWrites, s: DiskWrites, level: boolean, where: { icount: number; eip: number }, pEnd = p.count): FtDivergence | null {
  const pending = (): number => p.writes.length - (p.count - pEnd);
  while (pending() > 0 && s.writes.length > 0) {
    const a = p.writes[0], b = s.writes[0];
    if (a.lba !== b.lba || hexBytes(a.data) !== hexBytes(b.data)) {
      const index = p.count - p.writes.length;
      return {
        icount: b.icount, eip: where.eip, channel: 'disk', offset: index,
        primary: `lba ${a.lba}: ${hexBytes(a.data.subarray(0, SHOW))}`,
        secondary: `lba ${b.lba}: ${hexBytes(b.data.subarray(0, SHOW))}`,
        message: `disk write ${index} differs`,
        resync: null,
      };
    }
    p.writes.shift();
    s.writes.shift();
  }
  if (level && pending() !== s.writes.length) {
    const index = p.count - p.writes.length;
    const a = pending() > 0 ? p.writes[0] : undefined, b = s.writes[0];
    return {
      icount: b ? b.icount : where.icount, eip: where.eip, channel: 'disk', offset: index,
      primary: a ? `lba ${a.lba}: ${hexBytes(a.data.subarray(0, SHOW))}` : 'no write',
      secondary: b ? `lba ${b.lba}: ${hexBytes(b.data.subarray(0, SHOW))}` : 'no write',
      message: `disk write ${index}: only the ${a ? 'primary' : 'secondary'} made it`,
      resync: null,
    };
  }
  return null;
}

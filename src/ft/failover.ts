// The secondary's side of a lost primary: finish replaying what arrived,
// check that the secondary is fit to go on (not diverged, waiting for a
// resync that will never come), find the first byte the primary had not
// released (the output file's length: the offset ledger), and take over.

import { statSync, writeFileSync } from 'node:fs';
import type { SessionEnd } from './secondary-server.js';
import { ReleaseSink } from './release-sink.js';
import { takeOver } from './takeover.js';
import type { StopInfo } from '../machine/machine.js';
import type { Channel } from './outputs.js';
import { Arbiter, SupersededError } from './arbiter.js';

/** The secondary cannot take over: it had diverged from the primary, which died before correcting it. */
export class TakeoverError extends Error {
  override name = 'TakeoverError';
}

export interface FailoverOptions {
  end: Extract<SessionEnd, { kind: 'lost' }>;
  /** Where released output goes (null: standard output) and its ledger. */
  output: string | null;
  ledger: string | null;
  serialIn: string | null;
  diskWritable: boolean;
  /** Who this secondary is, in the owner file it claims. */
  me: string;
  now(): number;
  signal?: AbortSignal;
}

export interface FailoverReport {
  why: string;
  peer: string;
  /** The secondary's icount when it went live, and where the guest ended. */
  liveFromIcount: number;
  stop: { reason: string; icount: number; exitValue: number | null };
  /** Output offset (bytes of the sink) the takeover resumed at: the first byte the primary had not released. */
  resumedAt: number;
  /** Bytes released after the takeover: from the replay (produced, not yet released by the primary), then live. */
  replayedBytes: number;
  liveBytes: number;
  /** From noticing the loss to the live machine ready, and to the first byte it released (null: none). */
  failoverMs: number;
  firstByteMs: number | null;
  diskWritten: boolean;
  link: { receivedBytes: number; sentBytes: number };
}

/** After winning the claim, before reading the output file's length (arbiter.ts). */
const CLAIM_GRACE_MS = 20;
const SINK_CHANNELS = new Set<Channel>(['serial', 'debugcon']);

export async function failOver(o: FailoverOptions): Promise<FailoverReport> {
  const { end } = o;
  const host = end.host;
  await host.idle();
  const sec = host.sec;
  // Only a secondary fit to go on claims the output (the primary may be alive, and then goes on).
  if (!sec) throw new TakeoverError('the primary was lost before the secondary was built');
  if (host.hold || sec.stopped !== null || sec.failed !== null) {
    throw new TakeoverError(`the primary was lost while the secondary had diverged (icount ${sec.icount}) and waited for a resync: it cannot take over faithfully`);
  }
  // The link may be cut with the primary alive: only the side that claims the output goes on.
  if (!new Arbiter(o.output, o.me).claim(end.hello.generation ?? 0)) {
    throw new SupersededError(`the primary kept the output (it won the arbitration after the link was lost: ${end.why}): no takeover`);
  }
  // A primary that lost the claim may be finishing a write it checked for before: let it land first.
  await new Promise((r) => setTimeout(r, CLAIM_GRACE_MS));
  const last = host.lastRound;
  const ended: StopInfo | null = last && last.r.kind === 'reached' && last.r.point.kind === 'end' ? last.r.stop : null;

  // The first byte the primary had not released: the file's length, or (standard output) its last word.
  const fileLength = o.output !== null ? statOrZero(o.output) : host.releasedSink;
  let i = host.releasedUpTo;
  let have = host.releasedSink;
  while (have < fileLength && i < sec.out.length) {
    if (SINK_CHANNELS.has(sec.out.channelOf(i))) have++;
    i++;
  }
  if (have < fileLength) throw new TakeoverError(`${o.output} holds ${fileLength} bytes, more than the secondary produced (${have}): not this session's output`);
  const sink = new ReleaseSink(o.output, { append: true, ledger: o.ledger, by: 'secondary' });
  sink.note({ takeover: end.why, resumeAt: fileLength, icount: sec.icount });
  let firstByteAt: number | null = null;
  let readyAt = 0;
  const wall = end.header.machine.wallClockMs;
  try {
    const r = await takeOver({
      sec, setup: end.setup, releaseFrom: i,
      release: (ch, bytes) => {
        if (!SINK_CHANNELS.has(ch)) return;
        if (firstByteAt === null) firstByteAt = o.now();
        sink.write(bytes);
      },
      serialIn: o.serialIn !== null ? { path: o.serialIn, taken: host.serialBytes } : null,
      rdrands: host.rdrands,
      wallClockMs: typeof wall === 'number' ? wall : 0,
      ended,
      maxInsns: end.hello.maxInsns ?? undefined,
      signal: o.signal,
      ready: () => (readyAt = o.now()),
    });
    let diskWritten = false;
    if (o.diskWritable && end.diskPath !== null && r.disk) {
      writeFileSync(end.diskPath, r.disk);
      diskWritten = true;
    }
    const fb: number | null = firstByteAt;
    return {
      why: end.why, peer: end.stats.peer, liveFromIcount: r.fromIcount,
      stop: { reason: r.stop.reason, icount: r.stop.icount, exitValue: r.stop.exitValue ?? null },
      resumedAt: fileLength, replayedBytes: r.replayedBytes, liveBytes: r.liveBytes,
      failoverMs: readyAt - end.lostAt, firstByteMs: fb === null ? null : fb - end.lostAt, diskWritten,
      link: { receivedBytes: end.stats.receivedBytes, sentBytes: end.stats.sentBytes },
    };
  } finally {
    sink.close();
  }
}

function statOrZero(path: string): number {
  try {
    return statSync(path).size;
  } catch {
    return 0;
  }
}

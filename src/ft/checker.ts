// `vmrr ft-check`'s engine: a primary and a secondary in one process, in
// quasi-lockstep. Each round the primary runs up to `slice` instructions with
// live inputs and ends with a sync point (its recorder flushes everything to
// the link); the secondary then replays up to it. Outputs are compared in
// order and the primary's are released only once the secondary produced the
// same (output commit). A mismatch, a failed replay check, or a secondary
// more than `maxLag` instructions behind makes a resync at the primary's
// sync point: the secondary gets the primary's state and the next round's
// replay starts from the frames after that point.

import type { ByteSource } from '../machine/events.js';
import type { DiskBackend } from '../devices/disk-backend.js';
import type { RecorderOptions } from '../replay/recorder.js';
import { toHex } from '../machine/hash64.js';
import { hex32 } from '../replay/hex.js';
import { FrameLink } from '../replay/frame-link.js';
import { DropFilter } from './drop-filter.js';
import type { Injection, LooseSource } from './inject.js';
import { Primary, type GuestSetup } from './primary.js';
import { Secondary, type RoundResult } from './secondary.js';
import { compareDisk, compareOutputs } from './compare.js';
import { resync } from './resync.js';
import type { Channel } from './outputs.js';
import type { FtDivergence, FtReport, FtResync } from './report.js';
import { CommitLedger } from './commit-ledger.js';
import type { HostChannel } from './remote-secondary.js';

export interface FtCheckOptions {
  image: string;
  setup: GuestSetup;
  recorder: Omit<RecorderOptions, 'path'>;
  /** The primary's disk, and the image's bytes for the secondary's copy. */
  disk?: { primary: DiskBackend; bytes: Uint8Array };
  serialIn?: ByteSource;
  /** --keys: keystrokes for the primary's keyboard. */
  keysIn?: ByteSource;
  maxInsns?: number;
  injections: readonly Injection[];
  loose: readonly LooseSource[];
  /** The in-process secondary's block-compiler threshold (0: interpreter only; default: setup.config's, the primary's). */
  secondaryJitThreshold?: number;
  /** Instructions per round (a sync point ends each). */
  slice: number;
  /** Resync when the secondary is more than this many instructions behind the primary. */
  maxLag: number;
  /** Output the secondary confirmed (or a resync committed), in the primary's order. */
  release(channel: Channel, bytes: Uint8Array): void;
  /** Milliseconds, for the report's timings (the engine reads no host clock itself). */
  now(): number;
  signal?: AbortSignal;
  /** --threads 2 only: where the secondary runs (default a worker thread; a socket for --secondary). */
  channel?(header: Uint8Array): Promise<HostChannel>;
  /** Figures of a socket channel, for the report. */
  linkInfo?: () => { peer: string; sentBytes: number; receivedBytes: number };
  /** After a remote secondary was lost: a new one, or null (retried each round while the primary runs alone). */
  rejoin?(header: Uint8Array): Promise<HostChannel | null>;
  /** The remote secondary was lost: may the primary go on releasing output (it won the arbitration)? */
  claim?(): boolean;
  /** The remote secondary was lost: the check goes on unprotected. */
  lost?(l: { icount: number; message: string }): void;
  /** Bytes the release sink holds so far (told to the secondary, whose takeover resumes there). */
  sinkBytes?(): number;
  /** After each primary round: its icount, and the rounds judged, divergences and resyncs so far. */
  progress?(icount: number, so: { rounds: number; divergences: number; resyncs: number }): void;
}

/** The secondary's setup: the primary's, with its own CPU engine when one was asked for (engines never change the guest's execution). */
export function secondarySetup(o: Pick<FtCheckOptions, 'setup' | 'secondaryJitThreshold'>): GuestSetup {
  if (o.secondaryJitThreshold === undefined) return o.setup;
  return { ...o.setup, config: { ...o.setup.config, jitThreshold: o.secondaryJitThreshold } };
}

export async function ftCheck(o: FtCheckOptions): Promise<FtReport> {
  const link = new FrameLink();
  const drops = new DropFilter(o.injections.filter((i): i is Extract<Injection, { kind: 'drop' }> => i.kind === 'drop'));
  link.onSend = drops.onSend;
  const p = new Primary({ ...o.setup, recorder: o.recorder, link, disk: o.disk?.primary, serialIn: o.serialIn, keysIn: o.keysIn });
  const flips = o.injections.filter((i): i is Extract<Injection, { kind: 'reg' | 'mem' }> => i.kind !== 'drop');
  const s = new Secondary({ header: link.header(), setup: secondarySetup(o), link, loose: o.loose, flips, drops, diskBytes: o.disk?.bytes });
  // Both machines are loaded alike: the first common point.
  p.tracker.markCommon();
  s.tracker.markCommon();

  const max = o.maxInsns ?? Number.MAX_SAFE_INTEGER;
  // A healthy secondary is never more than a round behind, so rounds are no longer than the lag allowed.
  const round = Math.max(1, o.maxLag > 0 ? Math.min(o.slice, o.maxLag) : o.slice);
  const ledger = new CommitLedger(p.out, () => p.icount, o.release, o.now);
  let rounds = 0;
  let primaryMs = 0;
  let secondaryMs = 0;
  let resyncMs = 0;
  const start = o.now();

  const doResync = (reason: FtResync['reason']): void => {
    const t0 = o.now();
    const secondaryIcount = s.icount;
    const r = resync(p, s, o.disk?.bytes);
    // The secondary now holds the state that produced the primary's output: it is committed.
    ledger.commitAll();
    s.out.skipTo(p.out.length, p.out.counts());
    s.resynced(p.icount);
    const pausedMs = o.now() - t0;
    resyncMs += pausedMs;
    const rate = primaryMs > 0 ? p.icount / primaryMs : 0;
    ledger.resynced({
      icount: p.icount, reason, secondaryIcount, pages: r.pages, pageBytes: r.pageBytes, sectors: r.sectors,
      transferBytes: r.transferBytes, ramBytes: o.setup.config.ram, pausedMs, pausedInsns: Math.round(pausedMs * rate),
      hashEqual: r.hashEqual, hash: r.hash,
    });
  };

  let pStop;
  let pHash: Uint8Array;
  for (;;) {
    const target = Math.min(p.icount + round, max);
    const t0 = o.now();
    pStop = await p.runTo(target, o.signal);
    primaryMs += o.now() - t0;
    const atSync = pStop.reason === 'limit' && pStop.icount < max;
    pHash = atSync ? p.sync(pStop) : p.finish(pStop);
    ledger.noteHeld();
    o.progress?.(p.icount, { rounds, divergences: ledger.divergences.length, resyncs: ledger.resyncs.length });
    if (pStop.reason === 'interrupted') break;

    const t1 = o.now();
    const r = await s.runRound(o.signal);
    secondaryMs += o.now() - t1;
    // A signal stopped the secondary's round: nothing to judge; the check ends as if the primary had been stopped.
    if (o.signal?.aborted) {
      pStop = { ...pStop, reason: 'interrupted' };
      break;
    }
    rounds++;
    const where = { icount: s.icount, eip: s.machine.cpu.eip >>> 0 };
    const level = r.kind === 'reached';
    const cmp = compareOutputs(p.out, s.out, ledger.compared, level, where);
    ledger.commitMatched(cmp.matched);
    s.out.dropBefore(ledger.compared);
    let d: FtDivergence | null = cmp.divergence;
    if (!d && p.disk && s.disk) d = compareDisk(p.disk, s.disk, level, where);
    if (!d) d = judgeRound(r, where, () => s.hasher.hashBytes());
    if (d) ledger.divergence(d);
    const lag = p.icount - s.icount;
    const stuck = r.kind === 'stopped' || r.kind === 'idle' || r.kind === 'failed';
    if (stuck && (lag > o.maxLag || !atSync)) doResync(lag > o.maxLag ? 'lag' : 'divergence');
    else if (d && !stuck) doResync('divergence');
    else if (level && !d) {
      // A verified common point: later resyncs send only what changes after it.
      p.tracker.markCommon();
      s.tracker.markCommon();
      if (p.disk && s.disk && p.disk.writes.length === 0 && s.disk.writes.length === 0) {
        p.disk.since.clear();
        s.disk.since.clear();
      }
    }
    if (!atSync) break;
    if (!s.stopped && s.failed === null) {
      s.beginRound(link.nextIndex);
      link.dropBefore(s.roundStart);
    }
  }

  const sHash = toHex(s.hasher.hashBytes());
  const primaryHash = toHex(pHash);
  const injections = [...s.outcomes(), ...drops.outcomes()];
  return {
    image: o.image,
    loose: [...o.loose],
    injections,
    slice: round,
    maxLag: o.maxLag,
    rounds,
    primary: { icount: pStop.icount, reason: pStop.reason, exitValue: pStop.exitValue ?? null, hash: primaryHash },
    secondary: { icount: s.icount, reason: s.failed !== null ? 'failed' : s.stopped?.reason ?? pStop.reason, exitValue: s.machine.exitStatus >= 0 ? s.machine.exitStatus : null, hash: sHash, executed: s.executed },
    divergences: ledger.divergences,
    resyncs: ledger.resyncs,
    output: ledger.output(p.disk?.count ?? 0),
    link: {
      bytes: link.bytes, frames: link.nextIndex - 1, transport: 'inline', peer: null, sentBytes: null, receivedBytes: null, roundTrips: 0,
      resyncBytes: ledger.resyncs.reduce((a, r) => a + r.transferBytes, 0), lost: null, joins: [], unprotectedInsns: 0,
    },
    wallSeconds: (o.now() - start) / 1000,
    timing: { primaryMs, secondaryMs, resyncMs },
    verdict: ledger.verdict(primaryHash, sHash, pStop.reason === 'interrupted'),
  };
}

/** A round's own verdict once outputs matched: the replay's checks, a stop, the sync point or the end. */
export function judgeRound(r: RoundResult, where: { icount: number; eip: number }, secondaryHash: () => Uint8Array): FtDivergence | null {
  const base = { icount: where.icount, eip: where.eip, offset: null, resync: null };
  switch (r.kind) {
    case 'idle':
      return null;
    case 'input':
      return { ...base, channel: 'input', primary: r.expected, secondary: r.actual, message: r.message };
    case 'failed':
      return { ...base, channel: 'exit', primary: `running at icount ${r.point.frame.icount}`, secondary: `failed: ${r.message}`, message: 'the secondary\'s emulator failed' };
    case 'stopped': {
      const want = r.point.kind === 'end' ? `${r.point.frame.reason} at icount ${r.point.frame.icount}` : `running at icount ${r.point.frame.icount}`;
      return { ...base, channel: 'exit', primary: want, secondary: `${r.stop.reason} at icount ${r.stop.icount}`, message: `the secondary stopped (${r.stop.reason}) before the primary's point` };
    }
    case 'reached': {
      const f = r.point.frame;
      if (r.point.kind === 'end') {
        const e = r.point.frame;
        const sExit = r.stop.exitValue ?? null;
        if (r.stop.reason !== e.reason || sExit !== e.exitValue) {
          return { ...base, channel: 'exit', primary: `${e.reason} ${String(e.exitValue)}`, secondary: `${r.stop.reason} ${String(sExit)}`, message: 'the guests ended differently' };
        }
      } else if ((r.stop.eip >>> 0) !== f.eip) {
        return { ...base, channel: 'state', primary: `EIP ${hex32(f.eip)}`, secondary: `EIP ${hex32(r.stop.eip)}`, message: `EIP differs at sync point icount ${f.icount}` };
      }
      const want = toHex(f.hash), got = toHex(secondaryHash());
      if (want !== got) {
        const at = r.point.kind === 'end' ? 'at the end' : `at sync point icount ${f.icount}`;
        return { ...base, channel: 'state', primary: want, secondary: got, message: `state hash differs ${at}` };
      }
      return null;
    }
  }
}

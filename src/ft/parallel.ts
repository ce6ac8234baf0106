// ft-check --threads 2: the secondary runs in a worker thread, at the same
// time as the primary. The link's encoded frames are posted to the worker as
// they are (the step before a socket), and the worker replays each round as
// soon as its frames are there (secondary-worker.ts). The two are pipelined:
// round k is judged once the primary has finished round k + lead (or
// ended), so the primary runs on while the secondary replays, and the
// points where rounds are judged and resyncs happen do not depend on host
// timing: the report is the same from run to run. A resync happens at the
// primary's latest sync point and carries the pages the primary dirtied in
// every round since the last common point (kept per round) and those the
// secondary dirtied since then.
// With a disk, the secondary's disk writes come back with its round results
// to be compared, and a resync carries the sectors either side wrote since
// the last resync.

import { toHex } from '../machine/hash64.js';
import { FrameLink } from '../replay/frame-link.js';
import { ND_RDRAND, ND_RDSEED } from '../replay/nd-block.js';
import { checkpointFrames } from './resync.js';
import { Primary } from './primary.js';
import { OutputLog } from './outputs.js';
import { compareDisk, compareOutputs, type DiskWrites } from './compare.js';
import { SECTOR } from '../devices/disk-backend.js';
import { judgeRound, secondarySetup, type FtCheckOptions } from './checker.js';
import { RemoteSecondary, type HostChannel, type RemoteRound } from './remote-secondary.js';
import { nonZeroPages } from './secondary-host.js';
import { SupersededError } from './arbiter.js';
import type { FtReport, FtResync } from './report.js';
import { CommitLedger } from './commit-ledger.js';
import type { StopInfo } from '../machine/machine.js';

/** Serial bytes and RDRAND/RDSEED values the primary sent down the link so far (a resync tells the secondary). */
function inputTally(link: FrameLink): { serial: number; rdrands: number } {
  const t = { serial: 0, rdrands: 0 };
  link.onSend = (_i, f) => {
    if (f.kind === 'events') for (const e of f.events) if (e.kind === 'serial') t.serial++;
    if (f.kind === 'nd') for (let k = 0; k < f.count; k++) if (f.kinds[k] === ND_RDRAND || f.kinds[k] === ND_RDSEED) t.rdrands++;
  };
  return t;
}

/** How many rounds the primary runs past a round before it is judged, at most. */
const LEAD_ROUNDS = 3;

export async function ftCheckParallel(o: FtCheckOptions): Promise<FtReport> {
  // The worker thread loads while the primary is built; a remote secondary is given the primary's header.
  const remote = o.channel !== undefined;
  const local = remote ? null : new RemoteSecondary();
  const link = new FrameLink();
  const tally = inputTally(link);
  const p = new Primary({ ...o.setup, recorder: o.recorder, link, serialIn: o.serialIn, keysIn: o.keysIn, disk: o.disk?.primary });
  let s = local ?? new RemoteSecondary(await o.channel!(link.encodedHeader));
  // What loading read goes with the header: the secondary's own load takes those values.
  const first = link.encodedSince(1);
  // Frames can be posted at once; a failed start fails the results and requests that follow it.
  const init = { header: link.encodedHeader, frames: first, setup: secondarySetup(o), loose: [...o.loose], injections: [...o.injections], diskBytes: o.disk?.bytes };
  s.start(init).catch(() => {});
  let sent = 1 + first.length;
  /** Post the frames of the round the primary just ended. */
  const post = (): void => {
    const frames = link.encodedSince(sent);
    sent += frames.length;
    s.post({ op: 'frames', frames });
  };
  p.tracker.markCommon();
  const mirror = new OutputLog(() => ({ icount: 0, eip: 0 }));
  /** The secondary's disk writes not yet compared, as its results brought them. */
  const sDisk: DiskWrites = { writes: [], count: 0 };

  const max = o.maxInsns ?? Number.MAX_SAFE_INTEGER;
  const round = Math.max(1, o.maxLag > 0 ? Math.min(o.slice, o.maxLag) : o.slice);
  /** Rounds the primary runs past a round before it is judged (within max-lag: held output stays bounded). */
  const lead = Math.max(1, Math.min(LEAD_ROUNDS, Math.floor(o.maxLag / round)));
  const ledger = new CommitLedger(p.out, () => p.icount, o.release, o.now);
  let noticed = 0;
  /** Tell the secondary how far output was released (a takeover resumes there). */
  const notice = (): void => {
    if (ledger.released === noticed) return;
    noticed = ledger.released;
    s.post({ op: 'released', upTo: ledger.released, sink: o.sinkBytes?.() ?? 0 });
  };
  /** Per primary round since the last common point: its end's output length and disk writes, sync frame index, pages dirtied, when posted. */
  let rounds: { outAt: number; diskAt: number; syncIndex: number; pages: number[]; postedAt: number }[] = [];
  let judged = 0, roundCount = 0;
  let primaryMs = 0, secondaryMs = 0, resyncMs = 0, lastResultAt = 0;
  let sIcount = 0, sExecuted = 0, sHash = '', sReason: string | null = null, sExit = -1;
  let epoch = 0, finished = false;
  const start = o.now();

  let pStop: StopInfo = { reason: 'limit', icount: 0, eip: 0, cs: 0 };
  let pHash: Uint8Array = new Uint8Array(8);
  let pEnded = false;
  const primaryRound = async (): Promise<void> => {
    const t0 = o.now();
    pStop = await p.runTo(Math.min(p.icount + round, max), o.signal);
    primaryMs += o.now() - t0;
    pEnded = !(pStop.reason === 'limit' && pStop.icount < max);
    pHash = pEnded ? p.finish(pStop) : p.sync(pStop);
    rounds.push({ outAt: p.out.length, diskAt: p.disk?.count ?? 0, syncIndex: link.nextIndex - 1, pages: p.tracker.pagesDirtiedSince(), postedAt: o.now() });
    p.tracker.markCommon();
    post();
    ledger.noteHeld();
    o.progress?.(p.icount, { rounds: roundCount, divergences: ledger.divergences.length, resyncs: ledger.resyncs.length });
  };

  const resync = async (reason: FtResync['reason']): Promise<void> => {
    const t0 = o.now();
    epoch++;
    const join = reason === 'join';
    const secondaryIcount = join ? 0 : sIcount;
    const dirty = await s.call<{ pages: number[]; sectors: number[] }>({ op: 'dirty', all: join });
    const extra = new Set<number>(dirty.pages);
    for (const r of rounds) for (const pg of r.pages) extra.add(pg);
    // A new secondary has only the loaded image: it is sent every page either side has that is not zero, and every sector written.
    if (join) for (const pg of nonZeroPages(p.machine)) extra.add(pg);
    if (join && p.disk) for (const lba of p.disk.writtenSectors()) p.disk.since.add(lba);
    const cp = p.tracker.take({ extraPages: extra });
    const frames = checkpointFrames(cp);
    // The secondary now holds the state that produced the primary's output: it is committed.
    ledger.commitAll();
    notice();
    mirror.skipTo(p.out.length, p.out.counts());
    // The disk: the primary's contents of every sector either side wrote since the last resync.
    const sectors: { lba: number; data: Uint8Array }[] = [];
    if (p.disk && o.disk) {
      for (const lba of new Set([...p.disk.since, ...dirty.sectors])) {
        sectors.push({ lba, data: p.disk.written(lba) ?? o.disk.bytes.slice(lba * SECTOR, (lba + 1) * SECTOR) });
      }
      p.disk.since.clear();
      p.disk.writes.length = 0;
      sDisk.writes.length = 0;
      sDisk.count = p.disk.count;
    }
    const diskCount = p.disk?.count ?? 0;
    const got = await s.call<string>({
      op: 'restore', epoch, frames, at: p.icount, from: link.nextIndex, outLength: p.out.length, counts: [...p.out.counts()], sectors, diskCount,
      serialBytes: tally.serial, rdrands: tally.rdrands,
    });
    const hash = toHex(p.hasher.hashBytes());
    const pausedMs = o.now() - t0;
    resyncMs += pausedMs;
    const rate = primaryMs > 0 ? p.icount / primaryMs : 0;
    ledger.resynced({
      icount: p.icount, reason, secondaryIcount, pages: cp.pages.length, pageBytes: cp.pages.length * 4096, sectors: sectors.length,
      transferBytes: frames.reduce((a, f) => a + f.length, 0) + sectors.length * (SECTOR + 8), ramBytes: o.setup.config.ram, pausedMs,
      pausedInsns: Math.round(pausedMs * rate), hashEqual: got === hash, hash,
    });
    rounds = [];
    judged = 0;
    sIcount = p.icount;
    sHash = got;
    sReason = null;
    lastResultAt = o.now();
    // After a resync at the primary's end, the secondary holds its final state.
    if (pEnded) finished = true;
  };

  /** Judge the secondary's result for primary round `judged` (a resync makes later results stale). */
  const judge = async (res: RemoteRound): Promise<void> => {
    const now = o.now();
    const judgedRound = rounds[judged];
    // Busy from when it had both this round's frames and its previous round done, to the result.
    secondaryMs += now - Math.max(judgedRound.postedAt, lastResultAt);
    lastResultAt = now;
    roundCount++;
    for (let k = 0; k < res.items.ch.length; k++) mirror.append(res.items.ch[k], res.items.b[k], res.items.ic[k], res.items.e[k]);
    sDisk.writes.push(...res.disk);
    sDisk.count += res.disk.length;
    sIcount = res.icount;
    sExecuted = res.executed;
    sReason = res.failed !== null ? 'failed' : res.stopped?.reason ?? null;
    sExit = res.exitStatus;
    if (res.hash) sHash = res.hash;
    const r = res.r;
    const where = { icount: res.icount, eip: res.eip };
    const level = r.kind === 'reached';
    const cmp = compareOutputs(p.out, mirror, ledger.compared, level, where, judgedRound.outAt);
    ledger.commitMatched(cmp.matched);
    notice();
    mirror.dropBefore(ledger.compared);
    let d = cmp.divergence;
    if (!d && p.disk) d = compareDisk(p.disk, sDisk, level, where, judgedRound.diskAt);
    if (!d) d = judgeRound(r, where, () => Uint8Array.from(Buffer.from(res.hash ?? '', 'hex')));
    if (d) ledger.divergence(d);
    const lag = p.icount - res.icount;
    const stuck = r.kind === 'stopped' || r.kind === 'idle' || r.kind === 'failed';
    if (stuck && (lag > o.maxLag || pEnded)) {
      await resync(lag > o.maxLag ? 'lag' : 'divergence');
      return;
    }
    if (d && !stuck) {
      await resync('divergence');
      return;
    }
    if (level && !d) {
      // Round `judged` is a verified common point: pages dirtied before it no longer need to travel.
      s.post({ op: 'confirm', syncIndex: judgedRound.syncIndex });
      rounds = rounds.slice(judged + 1);
      judged = -1;
    }
    judged++;
    if (r.point.kind === 'end') finished = true;
  };

  const protectedLoop = async (): Promise<void> => {
    while (!finished && pStop.reason !== 'interrupted') {
      if (!pEnded && rounds.length - judged <= lead) {
        await primaryRound();
        continue;
      }
      // Round `judged`'s result: those of rounds before a resync (an earlier epoch) are stale.
      let res: RemoteRound | undefined;
      while (res === undefined) {
        await s.nextResult();
        res = s.takeResult();
        if (res.epoch !== epoch) res = undefined;
      }
      await judge(res);
    }
  };

  /** The primary alone: output is released as it comes. With --rejoin, a new secondary may join; true when one did. */
  const unprotected = async (): Promise<boolean> => {
    ledger.commitAll();
    let joining: Promise<HostChannel | null> | null = null;
    let joined: HostChannel | null = null;
    while (!pEnded && pStop.reason !== 'interrupted') {
      if (o.rejoin && !joining) joining = o.rejoin(link.encodedHeader).then((c) => (joined = c), () => (joining = null));
      if (joined) {
        s = new RemoteSecondary(joined);
        s.start({ ...init, frames: first }).catch(() => {});
        rounds = [];
        judged = 0;
        noticed = -1;
        try {
          await resync('join');
          joins.push(p.icount);
          return true;
        } catch (e) {
          // The new secondary was lost too: on alone, trying again.
          if (!s.failure) throw e;
          joining = joined = null;
        }
      }
      await primaryRound();
      ledger.commitAll();
    }
    return false;
  };

  let lost: { icount: number; message: string } | null = null;
  let injections: FtReport['injections'] = [];
  let unprotectedInsns = 0;
  const joins: number[] = [];
  for (let protectedPhase = true; protectedPhase;) {
    protectedPhase = false;
    try {
      if (joins.length === 0) await primaryRound();
      await protectedLoop();
      injections = await s.call<FtReport['injections']>({ op: 'outcomes' });
    } catch (e) {
      // A remote secondary lost (its process died, the link broke): the primary goes on alone.
      if (!remote || !s.failure) throw e;
      lost = { icount: p.icount, message: s.failure.message.split('\n')[0] };
      if (o.claim && !o.claim()) throw new SupersededError(`the secondary took over the output after the link was lost (${lost.message}): this primary stops`);
      o.lost?.(lost);
      const from = p.icount;
      protectedPhase = await unprotected();
      unprotectedInsns += p.icount - from;
    }
  }
  await s.close().catch(() => {});
  const primaryHash = toHex(pHash);
  return {
    image: o.image, loose: [...o.loose], injections, slice: round, maxLag: o.maxLag, rounds: roundCount,
    primary: { icount: pStop.icount, reason: pStop.reason, exitValue: pStop.exitValue ?? null, hash: primaryHash },
    secondary: { icount: sIcount, reason: sReason ?? pStop.reason, exitValue: sExit >= 0 ? sExit : null, hash: sHash, executed: sExecuted },
    divergences: ledger.divergences, resyncs: ledger.resyncs,
    output: ledger.output(p.disk?.count ?? 0),
    link: {
      bytes: link.bytes, frames: link.nextIndex - 1, transport: remote ? 'tcp' : 'thread', peer: o.linkInfo?.().peer ?? null,
      sentBytes: o.linkInfo?.().sentBytes ?? null, receivedBytes: o.linkInfo?.().receivedBytes ?? null, roundTrips: s.roundTrips,
      resyncBytes: ledger.resyncs.reduce((a, r) => a + r.transferBytes, 0), lost, joins, unprotectedInsns,
    },
    wallSeconds: (o.now() - start) / 1000,
    timing: { primaryMs, secondaryMs, resyncMs },
    verdict: ledger.verdict(primaryHash, sHash, pStop.reason === 'interrupted', lost !== null && (joins.length === 0 || joins[joins.length - 1] < lost.icount)),
  };
}

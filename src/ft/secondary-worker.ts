// The FT secondary in a worker thread (ft-check --threads 2): the same
// Secondary, fed the primary's frames as the encoded bytes the link carries.
// It runs on its own: each time the frames of a whole primary round have
// arrived it replays that round and posts the result, without waiting to be
// asked, so the primary never waits for a round trip (parallel.ts). The
// main thread's requests (the secondary's dirty pages, a restore) are
// answered between rounds, in order.
//
// Epochs: a restore starts a new epoch; results are tagged with theirs, so
// the main thread can drop those of rounds run before the restore reached
// the worker.

import { parentPort } from 'node:worker_threads';
import { toHex } from '../machine/hash64.js';
import { FrameLink } from './link.js';
import { restoreFrames } from './resync.js';
import { DropFilter } from './drop-filter.js';
import { Secondary } from './secondary.js';
import type { Injection, LooseSource } from './inject.js';
import type { GuestSetup } from './primary.js';
import type { RemoteRound } from './remote-secondary.js';

export interface WorkerInit {
  header: Uint8Array;
  /** Frames sent before the secondary is built (what the primary's load read). */
  frames: Uint8Array[];
  setup: GuestSetup;
  loose: LooseSource[];
  injections: Injection[];
  /** The disk image's bytes when the primary has a disk (the secondary gets its own copy). */
  diskBytes?: Uint8Array;
}

export type WorkerRequest =
  /** The frames of one primary round, from the link: they end with its sync point or end frame. */
  | { op: 'frames'; frames: Uint8Array[] }
  /** The round ending at link frame `syncIndex` was verified: the secondary's pages dirtied up to it need not travel. */
  | { op: 'confirm'; syncIndex: number }
  /** The pages (and disk sectors) the secondary dirtied since the last verified point; the worker then runs nothing until `restore`. */
  | { op: 'dirty' }
  | {
    op: 'restore'; epoch: number; frames: Uint8Array[]; at: number; from: number; outLength: number; counts: [string, number][];
    /** The primary's disk: the sectors either side wrote since the last resync, and its count of writes. */
    sectors: { lba: number; data: Uint8Array }[]; diskCount: number;
  }
  | { op: 'outcomes' };

let s: Secondary | null = null;
let drops: DropFilter | null = null;
const link = new FrameLink();
let epoch = 0;
/** Whole primary rounds on the link that the secondary has not run yet. */
let available = 0;
/** Set by `dirty` until `restore`, and after an input divergence (the main thread resyncs after one). */
let hold = false;
/** Pages dirtied in each round run since the last verified point, by the round's sync frame index. */
let dirtied: { syncIndex: number; pages: number[] }[] = [];

function init(i: WorkerInit): void {
  drops = new DropFilter(i.injections.filter((x): x is Extract<Injection, { kind: 'drop' }> => x.kind === 'drop'));
  link.onSend = drops.onSend;
  link.receiveHeader(i.header);
  for (const f of i.frames) link.receive(f);
  const flips = i.injections.filter((x): x is Extract<Injection, { kind: 'reg' | 'mem' }> => x.kind !== 'drop');
  s = new Secondary({ header: link.header(), setup: i.setup, link, loose: i.loose, flips, drops, diskBytes: i.diskBytes });
  s.tracker.markCommon();
}

/** Replay the next whole round on the link and post how it went. */
async function runRound(sec: Secondary): Promise<void> {
  available--;
  const before = sec.out.length;
  const r = await sec.runRound();
  const items: RemoteRound['items'] = { ch: [], b: [], ic: [], e: [] };
  for (let k = before; k < sec.out.length; k++) {
    items.ch.push(sec.out.channelOf(k));
    items.b.push(sec.out.byte(k));
    items.ic.push(sec.out.icount(k));
    items.e.push(sec.out.eip(k));
  }
  sec.out.dropBefore(sec.out.length);
  // Disk writes go to the main thread to be compared there.
  const disk = sec.disk ? sec.disk.writes.splice(0) : [];
  const hash = r.kind === 'reached' ? toHex(sec.hasher.hashBytes()) : null;
  const stuck = sec.stopped !== null || sec.failed !== null;
  const result: RemoteRound = {
    epoch, r, items, disk, hash, icount: sec.icount, eip: sec.machine.cpu.eip >>> 0, executed: sec.executed, stuck,
    failed: sec.failed, stopped: sec.stopped, exitStatus: sec.machine.exitStatus,
  };
  if (r.kind === 'reached' && r.point.kind === 'sync') {
    // On to the next round at once; its pages are kept apart until the main thread verifies this one.
    dirtied.push({ syncIndex: r.point.index, pages: sec.tracker.pagesDirtiedSince() });
    sec.tracker.markCommon();
    sec.beginRound(r.point.index + 1);
    link.dropBefore(r.point.index + 1);
  } else if (r.kind === 'input') {
    hold = true;
  }
  parentPort!.postMessage({ round: result });
}

function handle(sec: Secondary, req: WorkerRequest): unknown {
  switch (req.op) {
    case 'frames':
      for (const f of req.frames) link.receive(f);
      available++;
      return null;
    case 'confirm':
      dirtied = dirtied.filter((d) => d.syncIndex > req.syncIndex);
      return null;
    case 'dirty': {
      hold = true;
      const pages = new Set<number>(sec.tracker.pagesDirtiedSince());
      for (const d of dirtied) for (const p of d.pages) pages.add(p);
      return { pages: [...pages], sectors: sec.disk ? [...sec.disk.since] : [] };
    }
    case 'restore': {
      restoreFrames(sec.machine, req.frames);
      sec.tracker.markCommon();
      dirtied = [];
      sec.out.skipTo(req.outLength, new Map(req.counts));
      if (sec.disk) {
        for (const x of req.sectors) sec.disk.put(x.lba, x.data);
        sec.disk.since.clear();
        sec.disk.writes.length = 0;
        sec.disk.count = req.diskCount;
      }
      sec.resynced(req.at);
      sec.beginRound(req.from);
      link.dropBefore(req.from);
      // Rounds on the link before `from` are behind the restored state; later ones will arrive.
      available = 0;
      hold = false;
      epoch = req.epoch;
      return toHex(sec.hasher.hashBytes());
    }
    case 'outcomes':
      return [...sec.outcomes(), ...drops!.outcomes()];
  }
}

/** id > 0: answer with the same id; id 0: no answer. */
type Message = { id: number; init?: WorkerInit; req?: WorkerRequest };
const inbox: Message[] = [];
let pumping = false;

/** Answer what has arrived, in order; between messages, run whatever whole rounds are there. */
async function pump(): Promise<void> {
  if (pumping) return;
  pumping = true;
  try {
    for (;;) {
      const msg = inbox.shift();
      if (msg) {
        try {
          if (msg.init) init(msg.init);
          const value = msg.req ? handle(s!, msg.req) : null;
          if (msg.id > 0) parentPort!.postMessage({ id: msg.id, value });
        } catch (e) {
          // A request without a reply (id 0) that fails ends the check: report it as the worker's failure.
          parentPort!.postMessage({ id: Math.max(0, msg.id), error: String((e as Error)?.stack ?? e) });
        }
        continue;
      }
      if (s && !hold && available > 0) {
        try {
          await runRound(s);
        } catch (e) {
          hold = true;
          parentPort!.postMessage({ id: 0, error: String((e as Error)?.stack ?? e) });
        }
        continue;
      }
      return;
    }
  } finally {
    pumping = false;
  }
}

parentPort!.on('message', (msg: Message) => {
  inbox.push(msg);
  void pump();
});

// The FT secondary as a message handler, whatever carries the messages: a
// worker thread's port (secondary-worker.ts, ft-check --threads 2) or a TCP
// socket (secondary-server.ts, vmrr ft-secondary). It runs on its own: each
// time the frames of a whole primary round have arrived it replays that
// round and posts the result, without waiting to be asked, so the primary
// never waits for a round trip (parallel.ts). Requests (the secondary's
// dirty pages, a restore) are answered between rounds, in order.
//
// Epochs: a restore starts a new epoch; results are tagged with theirs, so
// the primary can drop those of rounds run before the restore arrived.
//
// For a failover the host keeps the secondary's output from the first byte
// the primary has not released (the primary says how far it released), and
// counts the serial bytes and RDRAND values taken, so a live machine can go
// on from the secondary's state (takeover.ts).

import { toHex } from '../machine/hash64.js';
import { pageIsZero } from '../machine/ram-pages.js';
import type { Machine } from '../machine/machine.js';
import { FrameLink } from '../replay/frame-link.js';
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
  /** The primary released its output items before `upTo`: the secondary need keep only those after. */
  | { op: 'released'; upTo: number; sink: number }
  /** The pages (and disk sectors) the secondary dirtied since the last verified point; the host then runs nothing until `restore`. */
  | { op: 'dirty'; all?: boolean }
  | {
    op: 'restore'; epoch: number; frames: Uint8Array[]; at: number; from: number; outLength: number; counts: [string, number][];
    /** The primary's disk: the sectors either side wrote since the last resync, and its count of writes. */
    sectors: { lba: number; data: Uint8Array }[]; diskCount: number;
    /** The primary's serial bytes and RDRAND/RDSEED values taken so far (a failover goes on from there). */
    serialBytes?: number; rdrands?: number;
  }
  | { op: 'outcomes' };

/** id > 0: answer with the same id; id 0: no answer. */
export type HostMessage = { id: number; init?: WorkerInit; req?: WorkerRequest };
/** What the host posts: a reply, a round's result, or (id 0) its failure. */
export type HostReply = { id?: number; value?: unknown; error?: string; round?: RemoteRound };

export class SecondaryHost {
  sec: Secondary | null = null;
  private drops: DropFilter | null = null;
  readonly link = new FrameLink();
  private epoch = 0;
  /** Whole primary rounds on the link that the secondary has not run yet. */
  available = 0;
  /** Set by `dirty` until `restore`, and after an input divergence (the primary resyncs after one). */
  hold = false;
  /** Pages dirtied in each round run since the last verified point, by the round's sync frame index. */
  private dirtied: { syncIndex: number; pages: number[] }[] = [];
  private readonly inbox: HostMessage[] = [];
  private pumping = false;
  /** The primary's output released so far (items before it are dropped here), and its sink's bytes then. */
  releasedUpTo = 0;
  releasedSink = 0;
  /** The last round's result (a failover goes on from a round that reached the primary's point). */
  lastRound: RemoteRound | null = null;
  /** Serial bytes and RDRAND values the primary had taken at the last restore, and this machine's counts then. */
  private base = { serial: 0, rdrands: 0, ownSerial: 0, ownRdrands: 0 };
  /** Resolves when the pump has nothing left to do. */
  private idleWaiters: (() => void)[] = [];

  constructor(private readonly post: (m: HostReply) => void) {}

  receive(msg: HostMessage): void {
    this.inbox.push(msg);
    void this.pump();
  }

  /** Serial bytes the guest has been given so far (by the primary's count). */
  get serialBytes(): number {
    return this.base.serial + (this.sec ? this.sec.machine.eventCounts.serial - this.base.ownSerial : 0);
  }

  /** RDRAND/RDSEED values the guest has taken so far. */
  get rdrands(): number {
    return this.base.rdrands + (this.sec ? this.sec.rdrands - this.base.ownRdrands : 0);
  }

  /** Resolves once every message has been handled and every whole round on the link run (or held). */
  idle(): Promise<void> {
    if (!this.pumping && (this.inbox.length === 0)) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  private init(i: WorkerInit): void {
    const drops = new DropFilter(i.injections.filter((x): x is Extract<Injection, { kind: 'drop' }> => x.kind === 'drop'));
    this.drops = drops;
    this.link.onSend = drops.onSend;
    this.link.receiveHeader(i.header);
    for (const f of i.frames) this.link.receive(f);
    const flips = i.injections.filter((x): x is Extract<Injection, { kind: 'reg' | 'mem' }> => x.kind !== 'drop');
    this.sec = new Secondary({ header: this.link.header(), setup: i.setup, link: this.link, loose: i.loose, flips, drops, diskBytes: i.diskBytes });
    this.sec.tracker.markCommon();
  }

  /** Replay the next whole round on the link and post how it went. */
  private async runRound(sec: Secondary): Promise<void> {
    this.available--;
    const before = sec.out.length;
    const r = await sec.runRound();
    const items: RemoteRound['items'] = { ch: [], b: [], ic: [], e: [] };
    for (let k = before; k < sec.out.length; k++) {
      items.ch.push(sec.out.channelOf(k));
      items.b.push(sec.out.byte(k));
      items.ic.push(sec.out.icount(k));
      items.e.push(sec.out.eip(k));
    }
    // Kept from the first byte the primary has not released: a failover releases them.
    sec.out.dropBefore(this.releasedUpTo);
    // Disk writes go to the primary to be compared there.
    const disk = sec.disk ? sec.disk.writes.splice(0) : [];
    const hash = r.kind === 'reached' ? toHex(sec.hasher.hashBytes()) : null;
    const stuck = sec.stopped !== null || sec.failed !== null;
    const result: RemoteRound = {
      epoch: this.epoch, r, items, disk, hash, icount: sec.icount, eip: sec.machine.cpu.eip >>> 0, executed: sec.executed, stuck,
      failed: sec.failed, stopped: sec.stopped, exitStatus: sec.machine.exitStatus,
    };
    if (r.kind === 'reached' && r.point.kind === 'sync') {
      // On to the next round at once; its pages are kept apart until the primary verifies this one.
      this.dirtied.push({ syncIndex: r.point.index, pages: sec.tracker.pagesDirtiedSince() });
      sec.tracker.markCommon();
      sec.beginRound(r.point.index + 1);
      this.link.dropBefore(r.point.index + 1);
    } else if (r.kind === 'input') {
      this.hold = true;
    }
    this.lastRound = result;
    this.post({ round: result });
  }

  private handle(sec: Secondary, req: WorkerRequest): unknown {
    switch (req.op) {
      case 'frames':
        for (const f of req.frames) this.link.receive(f);
        this.available++;
        return null;
      case 'confirm':
        this.dirtied = this.dirtied.filter((d) => d.syncIndex > req.syncIndex);
        return null;
      case 'released':
        if (req.upTo >= this.releasedUpTo) {
          this.releasedUpTo = req.upTo;
          this.releasedSink = req.sink;
        }
        sec.out.dropBefore(Math.min(this.releasedUpTo, sec.out.length));
        return null;
      case 'dirty': {
        this.hold = true;
        // A joining secondary: every page not zero here must be sent, whatever the primary holds there.
        if (req.all) return { pages: nonZeroPages(sec.machine), sectors: [] };
        const pages = new Set<number>(sec.tracker.pagesDirtiedSince());
        for (const d of this.dirtied) for (const p of d.pages) pages.add(p);
        return { pages: [...pages], sectors: sec.disk ? [...sec.disk.since] : [] };
      }
      case 'restore':
        return this.restore(sec, req);
      case 'outcomes':
        return [...sec.outcomes(), ...this.drops!.outcomes()];
    }
  }

  private restore(sec: Secondary, req: Extract<WorkerRequest, { op: 'restore' }>): string {
    restoreFrames(sec.machine, req.frames);
    sec.tracker.markCommon();
    this.dirtied = [];
    sec.out.skipTo(req.outLength, new Map(req.counts));
    if (sec.disk) {
      for (const x of req.sectors) sec.disk.put(x.lba, x.data);
      sec.disk.since.clear();
      sec.disk.writes.length = 0;
      sec.disk.count = req.diskCount;
    }
    if (req.serialBytes !== undefined && req.rdrands !== undefined) {
      this.base = { serial: req.serialBytes, rdrands: req.rdrands, ownSerial: sec.machine.eventCounts.serial, ownRdrands: sec.rdrands };
    }
    sec.resynced(req.at);
    // A secondary that joined late has only the frames its load read: the next one is `from`.
    this.link.skipTo(req.from);
    sec.beginRound(req.from);
    this.link.dropBefore(req.from);
    // Rounds on the link before `from` are behind the restored state; later ones will arrive.
    this.available = 0;
    this.hold = false;
    this.lastRound = null;
    this.epoch = req.epoch;
    return toHex(sec.hasher.hashBytes());
  }

  /** Answer what has arrived, in order; between messages, run whatever whole rounds are there. */
  private async pump(): Promise<void> {
    if (this.pumping) return;
    this.pumping = true;
    try {
      for (;;) {
        const msg = this.inbox.shift();
        if (msg) {
          try {
            if (msg.init) this.init(msg.init);
            const value = msg.req ? this.handle(this.sec!, msg.req) : null;
            if (msg.id > 0) this.post({ id: msg.id, value });
          } catch (e) {
            // A request without a reply (id 0) that fails ends the check: report it as the host's failure.
            this.post({ id: Math.max(0, msg.id), error: String((e as Error)?.stack ?? e) });
          }
          continue;
        }
        if (this.sec && !this.hold && this.available > 0) {
          try {
            await this.runRound(this.sec);
          } catch (e) {
            this.hold = true;
            this.post({ id: 0, error: String((e as Error)?.stack ?? e) });
          }
          continue;
        }
        return;
      }
    } finally {
      this.pumping = false;
      const w = this.idleWaiters;
      this.idleWaiters = [];
      for (const f of w) f();
    }
  }
}

/** Pages of RAM that are not all zero. */
export function nonZeroPages(m: Machine): number[] {
  const out: number[] = [];
  for (let p = 0; p < m.mem.pages; p++) if (!pageIsZero(m, p)) out.push(p);
  return out;
}

// The FT secondary in a worker thread (ft-check --threads 2): the same
// Secondary, fed the primary's frames as the encoded bytes the link carries,
// answering one request at a time from the main thread (remote-secondary.ts).

import { parentPort } from 'node:worker_threads';
import { applyCheckpoints, type MachineState } from '../machine/snapshot.js';
import { toHex } from '../machine/hash64.js';
import { makeCbor } from '../replay/cbor-fields.js';
import type { CheckpointFrame } from '../replay/frames.js';
import { FrameLink, decodeFrame } from './link.js';
import { DropFilter } from './drop-filter.js';
import { Secondary } from './secondary.js';
import type { Injection, LooseSource } from './inject.js';
import type { GuestSetup } from './primary.js';

export interface WorkerInit {
  header: Uint8Array;
  /** Frames sent before the secondary is built (what the primary's load read). */
  frames: Uint8Array[];
  setup: GuestSetup;
  loose: LooseSource[];
  injections: Injection[];
}

export type WorkerRequest =
  | { op: 'frames'; frames: Uint8Array[] }
  | { op: 'round' }
  | { op: 'dirty' }
  | { op: 'common' }
  | { op: 'begin'; from: number }
  | { op: 'restore'; frames: Uint8Array[]; at: number; from: number; outLength: number; counts: [string, number][] }
  | { op: 'outcomes' };

let s: Secondary | null = null;
let drops: DropFilter | null = null;
const link = new FrameLink();
const cbor = makeCbor();

function init(i: WorkerInit): void {
  drops = new DropFilter(i.injections.filter((x): x is Extract<Injection, { kind: 'drop' }> => x.kind === 'drop'));
  link.onSend = drops.onSend;
  link.receiveHeader(i.header);
  for (const f of i.frames) link.receive(f);
  const flips = i.injections.filter((x): x is Extract<Injection, { kind: 'reg' | 'mem' }> => x.kind !== 'drop');
  s = new Secondary({ header: link.header(), setup: i.setup, link, loose: i.loose, flips, drops });
  s.tracker.markCommon();
}

async function handle(req: WorkerRequest): Promise<unknown> {
  const sec = s!;
  switch (req.op) {
    case 'frames':
      for (const f of req.frames) link.receive(f);
      return null;
    case 'round': {
      const before = sec.out.length;
      const r = await sec.runRound();
      const items = { ch: [] as string[], b: [] as number[], ic: [] as number[], e: [] as number[] };
      for (let k = before; k < sec.out.length; k++) {
        items.ch.push(sec.out.channelOf(k));
        items.b.push(sec.out.byte(k));
        items.ic.push(sec.out.icount(k));
        items.e.push(sec.out.eip(k));
      }
      sec.out.dropBefore(sec.out.length);
      const hash = r.kind === 'reached' ? toHex(sec.hasher.hashBytes()) : null;
      return { r, items, hash, icount: sec.icount, eip: sec.machine.cpu.eip >>> 0, executed: sec.executed, stuck: sec.stopped !== null || sec.failed !== null, failed: sec.failed, stopped: sec.stopped, exitStatus: sec.machine.exitStatus };
    }
    case 'dirty':
      return sec.tracker.pagesDirtiedSince();
    case 'common':
      sec.tracker.markCommon();
      return null;
    case 'begin':
      sec.beginRound(req.from);
      link.dropBefore(req.from);
      return null;
    case 'restore': {
      const parts = req.frames.map((b) => decodeFrame(cbor, b, 0) as CheckpointFrame);
      applyCheckpoints(sec.machine, [{ v: 1, icount: parts[0].icount, full: false, state: parts[0].state as unknown as MachineState, pages: parts.flatMap((f) => f.pages) }]);
      sec.tracker.markCommon();
      sec.out.skipTo(req.outLength, new Map(req.counts));
      sec.resynced(req.at);
      sec.beginRound(req.from);
      link.dropBefore(req.from);
      return toHex(sec.hasher.hashBytes());
    }
    case 'outcomes':
      return [...sec.outcomes(), ...drops!.outcomes()];
  }
}

// Requests are answered strictly in order: a round runs to its end before the next request is looked at.
let queue: Promise<void> = Promise.resolve();
parentPort!.on('message', (msg: { id: number; init?: WorkerInit; req?: WorkerRequest }) => {
  queue = queue.then(async () => {
    try {
      if (msg.init) init(msg.init);
      const value = msg.req ? await handle(msg.req) : null;
      parentPort!.postMessage({ id: msg.id, value });
    } catch (e) {
      parentPort!.postMessage({ id: msg.id, error: String((e as Error)?.stack ?? e) });
    }
  });
});

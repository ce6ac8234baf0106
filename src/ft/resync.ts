// A resync: the primary, paused at a sync point, is checkpointed with the
// RAM pages dirtied on either side since the last common point (and the
// disk sectors either side wrote); the checkpoint travels as encoded
// checkpoint frames, as it would over a socket, and is restored on the
// secondary, whose state hash must then equal the primary's.

import { applyCheckpoints, type Checkpoint, type MachineState } from '../machine/snapshot.js';
import type { Machine } from '../machine/machine.js';
import { makeCbor } from '../replay/cbor-fields.js';
import { checkpointParts } from '../replay/frame-wire.js';
import type { CheckpointFrame } from '../replay/frames.js';
import { SECTOR } from '../devices/disk-backend.js';
import { toHex } from '../machine/hash64.js';
import { decodeFrame, encodeFrame } from '../replay/frame-link.js';
import type { Primary } from './primary.js';
import type { Secondary } from './secondary.js';

export interface ResyncResult {
  pages: number;
  pageBytes: number;
  sectors: number;
  transferBytes: number;
  hashEqual: boolean;
  hash: string;
}

/** A checkpoint as the link carries it: encoded checkpoint frames, as a log would hold them. */
export function checkpointFrames(cp: Checkpoint): Uint8Array[] {
  const cbor = makeCbor();
  const state = cp.state as unknown as Record<string, unknown>;
  return checkpointParts({ icount: cp.icount, state, pages: cp.pages }, 0, null).map((f) => encodeFrame(cbor, f));
}

/** Decode checkpointFrames()' frames and restore them on `m`. */
export function restoreFrames(m: Machine, frames: Uint8Array[]): void {
  const cbor = makeCbor();
  const parts = frames.map((b) => decodeFrame(cbor, b, 0) as CheckpointFrame);
  applyCheckpoints(m, [{
    v: 1, icount: parts[0].icount, full: false,
    state: parts[0].state as unknown as MachineState,
    pages: parts.flatMap((f) => f.pages),
  }]);
}

export function resync(p: Primary, s: Secondary, diskBase?: Uint8Array): ResyncResult {
  const cp = p.tracker.take({ extraPages: s.tracker.pagesDirtiedSince() });
  // On the wire: the checkpoint frames a log would hold, encoded and decoded again.
  const frames = checkpointFrames(cp);
  let transferBytes = frames.reduce((a, f) => a + f.length, 0);
  restoreFrames(s.machine, frames);
  s.tracker.markCommon();

  let sectors = 0;
  if (p.disk && s.disk && diskBase) {
    const lbas = new Set([...p.disk.since, ...s.disk.since]);
    for (const lba of lbas) {
      const data = p.disk.written(lba) ?? diskBase.subarray(lba * SECTOR, (lba + 1) * SECTOR);
      s.disk.put(lba, data);
      transferBytes += SECTOR + 8;
      sectors++;
    }
    p.disk.since.clear();
    s.disk.since.clear();
    p.disk.writes.length = 0;
    s.disk.writes.length = 0;
    s.disk.count = p.disk.count;
  }
  const hp = p.hasher.hashBytes();
  const hs = s.hasher.hashBytes();
  const hash = toHex(hp);
  return { pages: cp.pages.length, pageBytes: cp.pages.length * 4096, sectors, transferBytes, hashEqual: hash === toHex(hs), hash };
}

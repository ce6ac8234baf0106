// A VM's state as content-addressed data: one manifest per consistent state
// (an icount) naming every non-zero RAM page by the hash of its bytes, and
// the machine state (CPU, devices, clock; machine-state.ts) as one more blob.
// Two states of one VM share the blobs of the pages that did not change, so
// a target that holds the previous state needs only the new blobs: that is
// the "only what changed since the state last replicated" copy, and zero
// pages, never listed, cost nothing. Hashes are kept per page and redone
// only for pages the CPU dirtied (the dirty-page hub), so a state of a
// 32 MiB guest that wrote little costs little to take.

import { createHash } from 'node:crypto';
import { Encoder } from 'cbor-x';
import { applyCheckpoints, saveMachineState, type MachineState } from '../machine/snapshot.js';
import { dirtyPageHub, type DirtySet } from '../machine/dirty-pages.js';
import { copyPage, pageIsZero } from '../machine/ram-pages.js';
import { stateHashOf } from '../machine/state-hash.js';
import type { Machine } from '../machine/machine.js';
import { encodeMachineConfig, type MachineConfig } from '../machine/config.js';
import { PAGE_SIZE } from '../memory/phys.js';
import type { OutputMark } from '../replay/output-ledger.js';

export const cbor = new Encoder({ useRecords: false, mapsAsObjects: true, variableMapSize: true });

export function blobHash(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex').slice(0, 32);
}

export interface VmManifest {
  v: 1;
  vm: string;
  icount: number;
  /** The machine's state hash at this state (state-hash.ts): a restore must reproduce it. */
  stateHash: string;
  /** Blob of the CBOR-encoded MachineState. */
  state: string;
  stateBytes: number;
  /** Blob of the guest image; config is the header's machine map (config.ts). */
  image: string;
  config: Record<string, unknown>;
  /** [page number, blob hash] of every non-zero page, ascending. */
  pages: [number, string][];
  /** Guest serial bytes produced before this state (to compare a restored run's output). */
  outputBytes: number;
  /** Node that took the state. */
  takenOn: string;
  /**
   * The seeded RDRAND/RDSEED generator's position (null: unseeded). Kept
   * beside the machine state, not in it: stateHash (and so every log's sync
   * hashes) stays what it was, and the guest cannot see the position.
   */
  rng: number | null;
  /**
   * The disk: the image it started from, `bytes` long, as [chunk index, blob]
   * of every non-zero DISK_CHUNK-byte chunk (zero chunks cost nothing; disks
   * started from the same image share them), and every sector the guest
   * wrote, [LBA, blob], ascending; null: none.
   */
  disk: { bytes: number; chunks: [number, string][]; sectors: [number, string][] } | null;
  /**
   * The guest's log (the node records it) from the state at icount `from` (0:
   * power-on) to this one: its header blob, then segment blobs [from, to, blob, bytes]
   * in order, the last ending with a sync point at this icount; `out` is the
   * recording's output mark here (where a replay from this state starts its
   * count). null: the node kept no log to here.
   */
  log: { header: string; from: number; segments: [number, number, string, number][]; bytes: number; out: OutputMark } | null;
}

export function manifestKeyBlobs(m: VmManifest): string[] {
  const out = [m.state, m.image, ...m.pages.map((p) => p[1])];
  if (m.disk) out.push(...m.disk.chunks.map((c) => c[1]), ...m.disk.sectors.map((s) => s[1]));
  if (m.log) out.push(m.log.header, ...m.log.segments.map((s) => s[2]));
  return out;
}

/**
 * Bytes of the whole state: non-zero pages, the machine state and the
 * sectors written (the image and the disk's base are configuration, counted
 * apart; the log tail is not state, the report counts it apart).
 */
export function fullStateBytes(m: VmManifest): number {
  return m.pages.length * PAGE_SIZE + m.stateBytes + (m.disk?.sectors.length ?? 0) * 512;
}

/** Bytes per blob of a disk's base image. */
export const DISK_CHUNK = 64 << 10;

/** A disk image as [chunk index, hash] of its non-zero chunks, and the chunks by hash. */
export function diskChunks(image: Uint8Array): { chunks: [number, string][]; blobs: Map<string, Uint8Array> } {
  const chunks: [number, string][] = [];
  const blobs = new Map<string, Uint8Array>();
  for (let i = 0; i * DISK_CHUNK < image.length; i++) {
    const c = image.subarray(i * DISK_CHUNK, Math.min(image.length, (i + 1) * DISK_CHUNK));
    if (c.every((b) => b === 0)) continue;
    const h = blobHash(c);
    chunks.push([i, h]);
    blobs.set(h, c);
  }
  return { chunks, blobs };
}

/** The disk's base image again from its chunks (each checked against its name). */
export function diskImage(d: NonNullable<VmManifest['disk']>, blob: (hash: string) => Uint8Array): Uint8Array {
  const out = new Uint8Array(d.bytes);
  for (const [i, h] of d.chunks) {
    const c = blob(h);
    if (blobHash(c) !== h) throw new StateDataError(`disk chunk ${i}: blob ${h} does not hash to its name`);
    out.set(c, i * DISK_CHUNK);
  }
  return out;
}

/** Keep only the log segments from the state at `icount` on (the last state committed before this one). */
export function logSince(m: VmManifest, icount: number): VmManifest {
  if (!m.log) return m;
  const segments = m.log.segments.filter((s) => s[0] >= icount);
  const from = segments.length > 0 ? segments[0][0] : m.icount;
  return { ...m, log: { ...m.log, from, segments, bytes: segments.reduce((n, x) => n + x[3], 0) } };
}

/** Keeps the hash of every page of one machine's RAM, redoing only dirtied pages. */
export class PageHashes {
  private readonly dirty: DirtySet;
  /** '' for a zero page. */
  private readonly hashes: string[];

  constructor(private readonly m: Machine) {
    this.dirty = dirtyPageHub(m.cpu).subscribe();
    this.hashes = new Array(m.mem.pages).fill('');
    for (let p = 0; p < m.mem.pages; p++) this.rehash(p);
  }

  private rehash(p: number): void {
    this.hashes[p] = pageIsZero(this.m, p) ? '' : blobHash(copyPage(this.m, p));
  }

  /** Page hashes now; `changed` gets the pages rehashed since the last call (their bytes are copied then). */
  update(changed?: (page: number, hash: string, data: Uint8Array) => void): [number, string][] {
    const bits = this.dirty.update().bits;
    for (let p = 0; p < bits.length; p++) {
      if (bits[p] === 0) continue;
      const zero = pageIsZero(this.m, p);
      if (zero) {
        this.hashes[p] = '';
        continue;
      }
      const data = copyPage(this.m, p);
      const h = blobHash(data);
      this.hashes[p] = h;
      changed?.(p, h, data);
    }
    this.dirty.clear();
    const out: [number, string][] = [];
    for (let p = 0; p < this.hashes.length; p++) if (this.hashes[p] !== '') out.push([p, this.hashes[p]]);
    return out;
  }

  close(): void {
    this.dirty.close();
  }
}

export interface CapturedState {
  manifest: VmManifest;
  /** Blobs made for this state that were not in the previous one (pages rehashed, the state), by hash. */
  blobs: Map<string, Uint8Array>;
}

export interface CaptureInfo {
  vm: string;
  imageHash: string;
  config: MachineConfig;
  outputBytes: number;
  takenOn: string;
  rng: number | null;
  disk: VmManifest['disk'];
  log: VmManifest['log'];
  /** The disk's and log's blobs (their hashes are in `disk` and `log`). */
  extra: Map<string, Uint8Array>;
}

/**
 * Take a consistent state of `m` (the caller has paused it between slices).
 * `first` asks for every page's bytes, not only the ones changed since the
 * last capture (a new cache, or the first state of this VM).
 */
export function captureState(m: Machine, hashes: PageHashes, info: CaptureInfo, first: boolean): CapturedState {
  const blobs = new Map<string, Uint8Array>(info.extra);
  const pages = hashes.update((_p, h, data) => blobs.set(h, data));
  if (first) for (const [p, h] of pages) if (!blobs.has(h)) blobs.set(h, copyPage(m, p));
  const stateBlob = cbor.encode(saveMachineState(m));
  const state = blobHash(stateBlob);
  blobs.set(state, stateBlob);
  const manifest: VmManifest = {
    v: 1,
    vm: info.vm,
    icount: m.cpu.icount,
    stateHash: stateHashOf(m),
    state,
    stateBytes: stateBlob.length,
    image: info.imageHash,
    config: encodeMachineConfig(info.config),
    pages,
    outputBytes: info.outputBytes,
    takenOn: info.takenOn,
    rng: info.rng,
    disk: info.disk,
    log: info.log,
  };
  return { manifest, blobs };
}

export class StateDataError extends Error {
  override name = 'StateDataError';
}

/** Put a freshly built machine (image loaded) into the manifest's state from its blobs. */
export function applyState(m: Machine, manifest: VmManifest, blob: (hash: string) => Uint8Array): void {
  const pages = manifest.pages.map(([index, h]) => {
    const data = blob(h);
    if (blobHash(data) !== h) throw new StateDataError(`page ${index}: blob ${h} does not hash to its name`);
    return { index, data };
  });
  const sb = blob(manifest.state);
  if (blobHash(sb) !== manifest.state) throw new StateDataError(`machine state blob ${manifest.state} does not hash to its name`);
  const state = cbor.decode(sb) as MachineState;
  applyCheckpoints(m, [{ v: 1, icount: manifest.icount, full: true, state, pages }]);
}

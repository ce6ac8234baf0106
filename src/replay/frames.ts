// Frame kinds: a closed list, one codec per kind, numbered in the file by
// `code`. A frame's payload is the CBOR array [code, body map]. Adding or
// changing a kind, or an event kind, needs FORMAT_VERSION bumped (log-format.ts).

import type { NdBlock } from './nd-block.js';
import type { OutputMark } from './output-ledger.js';

/** The recorder's ND buffer, flushed (packing: nd-pack.ts). `at`: every entry before this icount is logged. */
export interface NdFrame extends NdBlock {
  kind: 'nd';
}

/** Asynchronous event kinds, coded in the file as their index + 1: the machine's events, listed once in src/machine/events.ts. */
export { EVENT_KINDS, type EventKind } from '../machine/events.js';
import type { EventKind } from '../machine/events.js';

/**
 * An asynchronous event, delivered on replay when icount reaches `icount`,
 * before that instruction runs; `eip` is a check, not the position.
 * timer: guest time (ns) the timers were brought to; serial: the byte received on COM1;
 * disk: the ATA drive's owed completion (value 0).
 */
export interface LogEvent {
  kind: EventKind;
  icount: number;
  eip: number;
  value: number;
  /** Serial events under the virtual clock (format 3 on): the guest time (ns) the byte came at. */
  t?: number;
}

/** Events in icount order. `at`: every event before this icount is logged. */
export interface EventsFrame {
  kind: 'events';
  at: number;
  events: LogEvent[];
}

export interface CheckpointPage {
  /** Physical page number (address / 4096). */
  index: number;
  data: Uint8Array;
}

/**
 * The whole machine at `icount`: `state` (CPU and devices, the machine's own
 * save map) and the RAM pages dirtied since checkpoint `seq - 1`, split over
 * `parts` frames when large; `state` is in part 0 only. `prev` is the file
 * offset of the previous checkpoint's part 0, so a seek can walk back the chain.
 */
export interface CheckpointFrame {
  kind: 'checkpoint';
  icount: number;
  seq: number;
  part: number;
  parts: number;
  prev: number | null;
  state: Record<string, unknown> | null;
  pages: CheckpointPage[];
  /** Part 0 from version 2: the output channels' counts and digests at `icount` (no bytes). */
  out?: OutputMark | null;
}

/** A state hash (registers, RAM, device registers) at `icount`, checked on replay. */
export interface SyncFrame {
  kind: 'sync';
  icount: number;
  eip: number;
  hash: Uint8Array;
  /** From version 2: the hash of the CPU state and RAM only (no device registers, no clock), for diff. */
  ghash?: Uint8Array;
  /** From version 2: every output channel's count and digest here, and a character channel's bytes since the previous sync. */
  out?: OutputMark | null;
}

/** The last frame of a finished recording. */
export interface EndFrame {
  kind: 'end';
  icount: number;
  eip: number;
  /** The machine's stop reason: exit, halt, limit, triple-fault, interrupted. */
  reason: string;
  /** isa-debug-exit status for reason exit. */
  exitValue: number | null;
  hash: Uint8Array;
  /** From version 2: the output channels at the end, as in a sync frame. */
  out?: OutputMark | null;
  /** Counters for inspect: ND entries per kind, buffer exits, events, ... */
  stats: Record<string, number>;
}

export type Frame = NdFrame | EventsFrame | CheckpointFrame | SyncFrame | EndFrame;
export type FrameKind = Frame['kind'];

/** Codes in the file, in the order of the closed list. */
export const FRAME_CODES: Readonly<Record<FrameKind, number>> = { nd: 1, events: 2, checkpoint: 3, sync: 4, end: 5 };

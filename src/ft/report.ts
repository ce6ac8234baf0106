// The FT check's report (docs/cli-json.md, ft-check section): every
// divergence, every resync, the output held and released, and the verdict.

import type { InjectionOutcome, LooseSource } from './inject.js';
import type { ScreenPosition } from './screen-channel.js';

/** Where the two guests parted: an output channel, or 'exit', 'state' (sync-point hash or EIP), 'input' (replay checks). */
export interface FtDivergence {
  /** The secondary's icount where it was seen (the output byte's instruction, the sync point, the replay check). */
  icount: number;
  /** The secondary's EIP there. */
  eip: number;
  /** 'serial', 'debugcon', 'debugcon:0xNNN', 'disk', 'exit', 'state' or 'input'. */
  channel: string;
  /** Byte offset in the output channel (disk: write number); null for exit, state and input. */
  offset: number | null;
  /** For the 'screen' channel: the cell (row, column, character or attribute) that byte updates; null when its record is no longer known. */
  screen?: ScreenPosition | null;
  /** What the primary had there: hex bytes for output channels, a description otherwise. */
  primary: string;
  secondary: string;
  message: string;
  /** Index in `resyncs` of the resync that corrected it, or null. */
  resync: number | null;
}

export interface FtResync {
  /** The primary's icount: the secondary was given the primary's state there. */
  icount: number;
  /** 'join': a new secondary joined (after one was lost) and was given the whole machine. */
  reason: 'divergence' | 'lag' | 'join';
  /** Where the secondary was when the primary paused. */
  secondaryIcount: number;
  /** RAM pages sent: dirtied on either side since the last common point. */
  pages: number;
  pageBytes: number;
  /** Disk sectors sent (written on either side since the last common point). */
  sectors: number;
  /** Bytes on the link: the encoded checkpoint frames plus disk sectors. */
  transferBytes: number;
  ramBytes: number;
  /** How long the primary was held paused: milliseconds, and instructions it would have run in that time. */
  pausedMs: number;
  pausedInsns: number;
  /** The secondary's state hash after the restore equals the primary's. */
  hashEqual: boolean;
  hash: string;
}

export interface GuestSummary {
  icount: number;
  reason: string;
  exitValue: number | null;
  hash: string;
}

export interface FtReport {
  image: string;
  loose: LooseSource[];
  injections: InjectionOutcome[];
  slice: number;
  maxLag: number;
  rounds: number;
  primary: GuestSummary;
  /** `executed`: instructions the secondary actually ran (resyncs move its icount without running). */
  secondary: GuestSummary & { executed: number };
  divergences: FtDivergence[];
  resyncs: FtResync[];
  output: {
    /** Bytes the primary produced, per channel and in all. */
    produced: number;
    released: number;
    perChannel: Record<string, number>;
    /** Most output bytes held (produced, not yet released) at once. */
    maxHeldBytes: number;
    /** Instructions the primary ran between producing a byte and its release. */
    latencyMaxInsns: number;
    latencyMeanInsns: number;
    latencyMedianInsns: number;
    /** Host milliseconds from the end of the primary round that produced a byte to its release: median and max. */
    latencyMedianMs: number;
    latencyMaxMs: number;
    diskWrites: number;
  };
  link: FtLinkFigures;
  wallSeconds: number;
  /** Where the time went: the primary's rounds, the secondary's rounds, resyncs (the rest is sync points and comparing). */
  timing: { primaryMs: number; secondaryMs: number; resyncMs: number };
  verdict: FtVerdict;
}

export interface FtLinkFigures {
  /** Log bytes (header and frames) the primary's recorder put on the link, in frames. */
  bytes: number;
  frames: number;
  /** 'inline' (--threads 1), 'thread' (--threads 2), 'tcp' (--secondary HOST:PORT or spawn). */
  transport: 'inline' | 'thread' | 'tcp';
  peer: string | null;
  /** Bytes on the socket each way (tcp only; messages include framing and heartbeats). */
  sentBytes: number | null;
  receivedBytes: number | null;
  /** Requests that waited for the secondary's answer (round results come without asking). */
  roundTrips: number;
  /** Bytes of every resync's checkpoint and sectors. */
  resyncBytes: number;
  /** Set when the secondary was lost: where, why; the primary ran on unprotected from there. */
  lost: { icount: number; message: string } | null;
  /** Primary icounts where a new secondary joined by a full resync (ft-check --rejoin). */
  joins: number[];
  /** Instructions the primary ran with no secondary (0 when protected throughout). */
  unprotectedInsns: number;
}

export interface FtVerdict {
  /** The secondary followed the primary to the end (false: it was lost; the checks cover the part before). */
  protectedToEnd: boolean;
  /** Every divergence was followed by a resync that left equal state hashes, and the end states are equal. */
  corrected: boolean;
  /** Released output is exactly the primary's (every byte once, in order). */
  releasedEqualsPrimary: boolean;
  /** After every resync the secondary's state hash equalled the primary's. */
  hashesEqualAfterResyncs: boolean;
  finalHashesEqual: boolean;
  /** All of the above. */
  ok: boolean;
}

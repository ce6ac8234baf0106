// Output commit and round bookkeeping shared by both FT engines (checker.ts
// in one thread, parallel.ts with the secondary in a worker). The ledger
// holds the primary's output until it is confirmed: the secondary produced
// the same bytes (commitMatched), or a resync gave the secondary the state
// that produced them (commitAll). It records divergences and resyncs, ties
// each open divergence to the resync that corrected it, and builds the
// report's output section and verdict.

import type { Channel, OutputLog } from './outputs.js';
import type { FtDivergence, FtReport, FtResync, FtVerdict } from './report.js';

export class CommitLedger {
  /** Bytes of the primary's output released so far, and compared with the secondary's. */
  released = 0;
  compared = 0;
  readonly divergences: FtDivergence[] = [];
  readonly resyncs: FtResync[] = [];
  private readonly open: FtDivergence[] = [];
  private readonly perChannel: Record<string, number> = {};
  private maxHeld = 0;
  private latencyMax = 0;
  private latencySum = 0;

  constructor(
    /** The primary's output log. */
    private readonly out: OutputLog,
    /** The primary's icount now (latency of a release is counted from each byte's icount). */
    private readonly icount: () => number,
    /** Where released output goes, in the primary's order. */
    private readonly sink: (channel: Channel, bytes: Uint8Array) => void,
  ) {}

  /** After a primary round: the most output held so far. */
  noteHeld(): void {
    this.maxHeld = Math.max(this.maxHeld, this.out.length - this.released);
  }

  /** The secondary matched the primary's output up to `matched`: release it. */
  commitMatched(matched: number): void {
    this.compared = matched;
    this.release(matched);
  }

  /** A resync committed everything the primary produced. */
  commitAll(): void {
    this.release(this.out.length);
    this.compared = this.out.length;
  }

  divergence(d: FtDivergence): void {
    this.divergences.push(d);
    this.open.push(d);
  }

  /** Record a resync; it corrects every divergence still open. */
  resynced(r: FtResync): void {
    this.resyncs.push(r);
    for (const d of this.open) d.resync = this.resyncs.length - 1;
    this.open.length = 0;
  }

  /** The report's output section. */
  output(diskWrites: number): FtReport['output'] {
    return {
      produced: this.out.length, released: this.released, perChannel: this.perChannel, maxHeldBytes: this.maxHeld,
      latencyMaxInsns: this.latencyMax, latencyMeanInsns: this.released > 0 ? Math.round(this.latencySum / this.released) : 0,
      diskWrites,
    };
  }

  /** The verdict, from the final state hashes of both sides. */
  verdict(primaryHash: string, secondaryHash: string, interrupted: boolean): FtVerdict {
    const finalHashesEqual = secondaryHash === primaryHash;
    const hashesEqualAfterResyncs = this.resyncs.every((r) => r.hashEqual);
    const corrected = finalHashesEqual && hashesEqualAfterResyncs && this.divergences.every((d) => d.resync !== null);
    const releasedEqualsPrimary = this.released === this.out.length && !interrupted;
    return { corrected, releasedEqualsPrimary, hashesEqualAfterResyncs, finalHashesEqual, ok: corrected && releasedEqualsPrimary };
  }

  /** Hand the primary's output before `upTo` to the sink, one run of a channel at a time. */
  private release(upTo: number): void {
    const out = this.out;
    const now = this.icount();
    while (this.released < upTo) {
      const ch = out.channelOf(this.released);
      const bytes: number[] = [];
      let j = this.released;
      for (; j < upTo && out.channelOf(j) === ch; j++) {
        bytes.push(out.byte(j));
        const lat = now - out.icount(j);
        this.latencySum += lat;
        if (lat > this.latencyMax) this.latencyMax = lat;
      }
      this.perChannel[ch] = (this.perChannel[ch] ?? 0) + bytes.length;
      this.sink(ch, Uint8Array.from(bytes));
      this.released = j;
    }
    out.dropBefore(this.released);
  }
}

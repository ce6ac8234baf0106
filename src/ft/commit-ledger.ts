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
  /** Each released byte's latency: instructions and host milliseconds (sampled past LATENCY_SAMPLES). */
  private readonly latInsns: number[] = [];
  private readonly latMs: number[] = [];
  private latSeen = 0;
  /** When each primary round ended (its output became holdable): item index reached, host ms. */
  private readonly roundEnds: { upTo: number; t: number }[] = [];

  constructor(
    /** The primary's output log. */
    private readonly out: OutputLog,
    /** The primary's icount now (latency of a release is counted from each byte's icount). */
    private readonly icount: () => number,
    /** Where released output goes, in the primary's order. */
    private readonly sink: (channel: Channel, bytes: Uint8Array) => void,
    /** Host milliseconds (for the latency in host time). */
    private readonly now: () => number = () => 0,
  ) {}

  /** After a primary round: the most output held so far. */
  noteHeld(): void {
    this.maxHeld = Math.max(this.maxHeld, this.out.length - this.released);
    const last = this.roundEnds[this.roundEnds.length - 1];
    if (!last || last.upTo < this.out.length) this.roundEnds.push({ upTo: this.out.length, t: this.now() });
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
      latencyMedianInsns: median(this.latInsns), latencyMedianMs: round3(median(this.latMs)), latencyMaxMs: round3(Math.max(0, ...this.latMs)),
      diskWrites,
    };
  }

  /** The verdict, from the final state hashes of both sides. */
  verdict(primaryHash: string, secondaryHash: string, interrupted: boolean, lost = false): FtVerdict {
    const finalHashesEqual = secondaryHash === primaryHash;
    const hashesEqualAfterResyncs = this.resyncs.every((r) => r.hashEqual);
    // A lost secondary's last hash is from before it was lost: there is no end state to compare.
    const corrected = (finalHashesEqual || lost) && hashesEqualAfterResyncs && this.divergences.every((d) => d.resync !== null);
    const releasedEqualsPrimary = this.released === this.out.length && !interrupted;
    return { protectedToEnd: !lost, corrected, releasedEqualsPrimary, hashesEqualAfterResyncs, finalHashesEqual, ok: corrected && releasedEqualsPrimary };
  }

  /** Host time the round producing item `i` ended (rounds before it are forgotten). */
  private producedAt(i: number): number {
    while (this.roundEnds.length > 1 && this.roundEnds[0].upTo <= i) this.roundEnds.shift();
    return this.roundEnds.length > 0 ? this.roundEnds[0].t : this.now();
  }

  /** Keep every latency up to LATENCY_SAMPLES, then every k-th (k doubling), for the medians. */
  private sample(insns: number, ms: number): void {
    const k = Math.max(1, Math.floor(this.latSeen++ / LATENCY_SAMPLES) + 1);
    if (this.latSeen % k !== 0) return;
    this.latInsns.push(insns);
    this.latMs.push(ms);
  }

  /** Hand the primary's output before `upTo` to the sink, one run of a channel at a time. */
  private release(upTo: number): void {
    const out = this.out;
    const now = this.icount();
    const t = this.now();
    while (this.released < upTo) {
      const ch = out.channelOf(this.released);
      const bytes: number[] = [];
      let j = this.released;
      for (; j < upTo && out.channelOf(j) === ch; j++) {
        bytes.push(out.byte(j));
        const lat = now - out.icount(j);
        this.latencySum += lat;
        if (lat > this.latencyMax) this.latencyMax = lat;
        this.sample(lat, t - this.producedAt(j));
      }
      this.perChannel[ch] = (this.perChannel[ch] ?? 0) + bytes.length;
      this.sink(ch, Uint8Array.from(bytes));
      this.released = j;
    }
    out.dropBefore(this.released);
  }
}

const LATENCY_SAMPLES = 100_000;

function median(a: readonly number[]): number {
  if (a.length === 0) return 0;
  const s = [...a].sort((x, y) => x - y);
  return s[s.length >> 1];
}

function round3(x: number): number {
  return Math.round(x * 1000) / 1000;
}

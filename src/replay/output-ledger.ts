// What the guest sent out, per channel, as the log checks it: a byte count
// and a running 64-bit digest of everything written so far (two FNV-1a
// lanes), plus, for character channels, the bytes written since the last
// mark (so a replay can name the exact byte where its output parts from the
// recording's). The recorder marks at every sync point and at the end; the
// replayer keeps its own ledger over its own output and compares at the
// same points. Channels: `serial` (COM1), `debugcon:0xNN` (each debug
// console port), `disk` (every sector write: LBA, then the bytes).

import type { DiskBackend } from '../devices/disk-backend.js';
import type { MachineWiring } from '../machine/config.js';

/** Bytes of a character channel kept per interval; beyond it only the digest is logged. */
export const MAX_INTERVAL_BYTES = 64 << 10;

/** One channel at a mark: counted bytes and the digest of all of them; `bytes`: written since the previous mark. */
export interface ChannelMark {
  count: number;
  digest: string;
  bytes: Uint8Array | null;
}

export type OutputMark = Record<string, ChannelMark>;

class Channel {
  count = 0;
  private a = 0x811c9dc5;
  private b = 0x050c5d1f;
  private pending: number[] | null;
  /** With a position source: the icount at which each pending byte was written. */
  at: number[] = [];

  constructor(keepBytes: boolean) {
    this.pending = keepBytes ? [] : null;
  }

  /** Continue from a mark (a restored checkpoint): same count and digest, a new interval. */
  restore(m: ChannelMark): void {
    this.count = m.count;
    this.a = parseInt(m.digest.slice(0, 8), 16) | 0;
    this.b = parseInt(m.digest.slice(8, 16), 16) | 0;
    if (this.pending) this.pending = [];
    this.at = [];
  }

  push(byte: number, icount: number): void {
    this.count++;
    this.a = Math.imul(this.a ^ byte, 0x01000193);
    this.b = Math.imul(this.b ^ byte, 0x2127599b) ^ (this.b >>> 15);
    const p = this.pending;
    if (p === null) return;
    if (p.length < MAX_INTERVAL_BYTES) {
      p.push(byte);
      if (icount >= 0) this.at.push(icount);
    } else {
      this.pending = null;
    }
  }

  /** The channel now; with `reset`, a new interval starts (bytes are kept again for character channels). */
  mark(reset: boolean, keepBytes: boolean): ChannelMark {
    const m: ChannelMark = { count: this.count, digest: this.digest(), bytes: this.pending ? Uint8Array.from(this.pending) : null };
    if (reset) {
      this.pending = keepBytes ? [] : null;
      this.at = [];
    }
    return m;
  }

  /** A copy of everything (an in-memory snapshot of a replay anywhere, mid-interval). */
  clone(): Channel {
    const c = Object.create(Channel.prototype) as Channel;
    Object.assign(c, this, { pending: this.pending && [...this.pending], at: [...this.at] });
    return c;
  }

  digest(): string {
    return (this.a >>> 0).toString(16).padStart(8, '0') + (this.b >>> 0).toString(16).padStart(8, '0');
  }
}

/** An OutputLedger's whole state, from save(). */
export interface LedgerState {
  readonly channels: ReadonlyMap<string, Channel>;
  readonly closed: Map<string, { at: number[]; count: number }>;
}

export class OutputLedger {
  private readonly channels = new Map<string, Channel>();
  /** Where the machine is (set on replay, so a divergence can say when a byte was written). */
  position: (() => number) | null = null;
  /** Write positions of the interval the last mark() closed. */
  private closed = new Map<string, { at: number[]; count: number }>();

  private channel(name: string): Channel {
    let c = this.channels.get(name);
    if (!c) {
      c = new Channel(name !== 'disk');
      this.channels.set(name, c);
    }
    return c;
  }

  write(name: string, byte: number): void {
    this.channel(name).push(byte & 0xff, this.position ? this.position() : -1);
  }

  /** The icount at which byte `offset` of a channel was written, if it is in the interval the last mark() closed. */
  writtenAt(name: string, offset: number): number | null {
    const c = this.closed.get(name);
    if (!c) return null;
    const i = c.at.length - (c.count - offset);
    return i >= 0 && i < c.at.length ? c.at[i] : null;
  }

  /** Every channel now (for a sync point or the end); starts a new interval. */
  mark(): OutputMark {
    return this.snapshot(true);
  }

  /** Every channel now, without starting a new interval (for a checkpoint: counts and digests only). */
  peek(): OutputMark {
    const out = this.snapshot(false);
    for (const name of Object.keys(out)) out[name] = { ...out[name], bytes: null };
    return out;
  }

  /** The whole ledger now, the current interval's bytes included (for a snapshot at any icount). */
  save(): LedgerState {
    return { channels: new Map([...this.channels].map(([n, c]) => [n, c.clone()])), closed: this.closed };
  }

  /** Put the ledger back as save() found it (the state can be loaded again). */
  load(s: LedgerState): void {
    this.channels.clear();
    for (const [n, c] of s.channels) this.channels.set(n, c.clone());
    this.closed = s.closed;
  }

  /** Continue from a checkpoint's mark. */
  restore(m: OutputMark): void {
    this.channels.clear();
    for (const name of Object.keys(m)) this.channel(name).restore(m[name]);
  }

  private snapshot(reset: boolean): OutputMark {
    if (reset) this.closed = new Map([...this.channels].map(([n, c]) => [n, { at: c.at, count: c.count }]));
    const out: OutputMark = {};
    for (const [name, c] of [...this.channels].sort((x, y) => (x[0] < y[0] ? -1 : 1))) out[name] = c.mark(reset, name !== 'disk');
    return out;
  }

  /** The wiring with every output also counted here (serial, each debugcon port, disk writes). */
  tap(w: MachineWiring): MachineWiring {
    const serial = w.serial ?? (() => {});
    const sinkOf = w.debugcon ?? (() => serial);
    return {
      ...w,
      serial: (b) => {
        this.write('serial', b);
        serial(b);
      },
      debugcon: (port) => {
        const sink = sinkOf(port);
        const name = `debugcon:0x${port.toString(16)}`;
        return (b) => {
          this.write(name, b);
          sink(b);
        };
      },
      disk: w.disk ? this.tapDisk(w.disk) : undefined,
    };
  }

  private tapDisk(d: DiskBackend): DiskBackend {
    const write = (lba: number, data: Uint8Array): void => {
      for (let i = 0; i < 4; i++) this.write('disk', (lba >>> (8 * i)) & 0xff);
      for (let i = 0; i < data.length; i++) this.write('disk', data[i]);
      d.write(lba, data);
    };
    return {
      get sectors() { return d.sectors; },
      get inFlight() { return d.inFlight; },
      read: (lba, count, into, done) => d.read(lba, count, into, done),
      write,
    };
  }
}

/** How one channel differs between the recording's mark and the replay's, or null when it does not. */
export interface OutputMismatch {
  channel: string;
  /** The first byte offset (from the start of the run) known to differ, or the range it lies in. */
  offset: number;
  exact: boolean;
  message: string;
  expected: string;
  actual: string;
}

const EMPTY: ChannelMark = { count: 0, digest: new Channel(false).digest(), bytes: new Uint8Array(0) };

/**
 * Compare the replay's marks with the recording's at the same position.
 * Where both hold the bytes of their interval, the first differing byte is
 * found exactly (intervals are aligned by absolute offset: a replay restored
 * from a checkpoint starts its interval there); otherwise the mismatch is the
 * range since `prev`, the last recording mark that matched.
 */
export function compareMarks(expected: OutputMark, actual: OutputMark, prev: OutputMark | null): OutputMismatch | null {
  const names = [...new Set([...Object.keys(expected), ...Object.keys(actual)])].sort();
  for (const name of names) {
    const e = expected[name] ?? EMPTY;
    const a = actual[name] ?? EMPTY;
    if (e.count === a.count && e.digest === a.digest) continue;
    const what = name === 'disk' ? 'disk writes' : `${name} output`;
    if (e.bytes && a.bytes) {
      const eFrom = e.count - e.bytes.length;
      const aFrom = a.count - a.bytes.length;
      const from = Math.max(eFrom, aFrom);
      const end = Math.min(e.count, a.count);
      let off = from;
      while (off < end && e.bytes[off - eFrom] === a.bytes[off - aFrom]) off++;
      const at = (m: ChannelMark, mFrom: number): string => (off < m.count ? describeByte(m.bytes!, off - mFrom) : 'no more bytes');
      const more = off >= end ? `: the recording wrote ${e.count} bytes by here, the replay ${a.count}` : '';
      return { channel: name, offset: off, exact: true, message: `${what} differs at byte ${off}${more}`, expected: at(e, eFrom), actual: at(a, aFrom) };
    }
    const start = prev?.[name]?.count ?? 0;
    return {
      channel: name, offset: start, exact: false,
      message: `${what} differs in bytes ${start} to ${Math.max(e.count, a.count)} (the digests differ; this interval's bytes are not in the log)`,
      expected: `${e.count} bytes, digest ${e.digest}`, actual: `${a.count} bytes, digest ${a.digest}`,
    };
  }
  return null;
}

function describeByte(b: Uint8Array, i: number): string {
  const v = b[i];
  const ctx = Buffer.from(b.subarray(Math.max(0, i - 12), Math.min(b.length, i + 12))).toString('latin1');
  const printable = v >= 0x20 && v < 0x7f ? ` '${String.fromCharCode(v)}'` : '';
  return `0x${v.toString(16).padStart(2, '0')}${printable} (near ${JSON.stringify(ctx)})`;
}

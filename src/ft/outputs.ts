// Externally visible output of one FT guest, in the order it was produced:
// each byte with its channel (COM1, a debug-console port), the icount and
// EIP of the instruction that wrote it. The primary's bytes are held here
// until released (output commit); the secondary's are compared with them
// and then forgotten.

import { ScreenRecords } from './screen-channel.js';

/** Channel names: 'serial' (COM1), 'debugcon' (port 0xE9), 'debugcon:0x402' (other --debugcon ports). */
export type Channel = string;

export function debugconChannel(port: number): Channel {
  return port === 0xe9 ? 'debugcon' : `debugcon:0x${port.toString(16)}`;
}

export class OutputLog {
  readonly channels: Channel[] = [];
  private readonly chanIds = new Map<Channel, number>();
  private chan: number[] = [];
  private bytes: number[] = [];
  private icounts: number[] = [];
  private eips: number[] = [];
  /** Index of the first item still held (items before it were dropped). */
  private base = 0;
  /** Bytes produced per channel so far (offsets in reports are per channel). */
  private readonly perChannel = new Map<number, number>();
  private chanOffsets: number[] = [];
  /** The 'screen' channel's id, and where its recent records lie (for row and column in reports). */
  private screenId = -1;
  private readonly screens = new ScreenRecords();

  constructor(private readonly position: () => { icount: number; eip: number }) {}

  /** A sink for one channel's bytes. */
  sink(channel: Channel): (byte: number) => void {
    const c = this.idOf(channel);
    return (byte) => this.push(c, byte);
  }

  private idOf(channel: Channel): number {
    let id = this.chanIds.get(channel);
    if (id === undefined) {
      id = this.channels.length;
      this.channels.push(channel);
      this.chanIds.set(channel, id);
      if (channel === 'screen') this.screenId = id;
    }
    return id;
  }

  /** An item produced elsewhere (a secondary in a worker thread), mirrored here. */
  append(channel: Channel, byte: number, icount: number, eip: number): void {
    const c = this.idOf(channel);
    const off = this.perChannel.get(c) ?? 0;
    this.perChannel.set(c, off + 1);
    this.chan.push(c);
    this.bytes.push(byte & 0xff);
    this.icounts.push(icount);
    this.eips.push(eip >>> 0);
    this.chanOffsets.push(off);
    if (c === this.screenId) this.screens.feed(byte);
  }

  private push(c: number, byte: number): void {
    const p = this.position();
    const off = this.perChannel.get(c) ?? 0;
    this.perChannel.set(c, off + 1);
    this.chan.push(c);
    this.bytes.push(byte & 0xff);
    this.icounts.push(p.icount);
    this.eips.push(p.eip >>> 0);
    this.chanOffsets.push(off);
    if (c === this.screenId) this.screens.feed(byte);
  }

  /** This guest's recent screen-channel records (to name a differing byte as a row and column). */
  get screenRecords(): ScreenRecords {
    return this.screens;
  }

  /** Items produced so far (dropped ones included). */
  get length(): number {
    return this.base + this.bytes.length;
  }

  channelOf(i: number): Channel {
    return this.channels[this.chan[i - this.base]];
  }
  byte(i: number): number {
    return this.bytes[i - this.base];
  }
  icount(i: number): number {
    return this.icounts[i - this.base];
  }
  eip(i: number): number {
    return this.eips[i - this.base];
  }
  /** Offset of item i within its channel's stream. */
  channelOffset(i: number): number {
    return this.chanOffsets[i - this.base];
  }

  /** Items [from, to) of channel `channel`, as bytes (for reports). */
  slice(from: number, to: number, channel: Channel): number[] {
    const out: number[] = [];
    for (let i = Math.max(from, this.base); i < Math.min(to, this.length); i++) if (this.channelOf(i) === channel) out.push(this.byte(i));
    return out;
  }

  /** Forget items before `index` (released or compared). */
  dropBefore(index: number): void {
    const n = Math.min(index - this.base, this.bytes.length);
    if (n <= 0) return;
    this.chan.splice(0, n);
    this.bytes.splice(0, n);
    this.icounts.splice(0, n);
    this.eips.splice(0, n);
    this.chanOffsets.splice(0, n);
    this.base += n;
  }

  /** The items are gone (a resync replaced this guest's state); count them as produced up to `length`. */
  skipTo(length: number, channelCounts: ReadonlyMap<Channel, number>): void {
    this.dropBefore(this.length);
    this.base = length;
    for (const [ch, n] of channelCounts) this.perChannel.set(this.idOf(ch), n);
    this.screens.restartAt(channelCounts.get('screen') ?? 0);
  }

  /** Bytes produced per channel so far. */
  counts(): Map<Channel, number> {
    const m = new Map<Channel, number>();
    for (const [id, n] of this.perChannel) m.set(this.channels[id], n);
    return m;
  }
}

// The port-I/O bus. Devices claim their ports when constructed; unclaimed
// ports read as all ones and ignore writes, as on a PC, and are counted, so
// that a run can say which ports its guest expected a device at.

import type { IoBus } from '../cpu/cpu.js';

export type PortRead = (port: number) => number;
export type PortWrite = (port: number, value: number) => void;

/** Handlers for 16- and 32-bit accesses that a device takes as a whole (e.g. the ATA data port). */
export interface WideHandlers {
  read16?: PortRead;
  write16?: PortWrite;
  read32?: PortRead;
  write32?: PortWrite;
}

export class PortBus implements IoBus {
  private readonly readers: (PortRead | undefined)[] = new Array(65536);
  private readonly writers: (PortWrite | undefined)[] = new Array(65536);
  private readonly owners: (string | undefined)[] = new Array(65536);
  /** Wide handlers by port; without one, a wide access is split into bytes at consecutive ports. */
  private readonly wide = new Map<number, WideHandlers>();
  /** Byte accesses to ports no device claimed: reads and writes per port (not machine state: a report). */
  readonly unclaimedReads = new Map<number, number>();
  readonly unclaimedWrites = new Map<number, number>();

  /** Claim ports [first, first+count) for byte-wide reads and/or writes. */
  claim(name: string, first: number, count: number, read?: PortRead, write?: PortWrite): void {
    for (let p = first; p < first + count; p++) {
      if (this.owners[p] !== undefined) throw new Error(`port 0x${p.toString(16)} claimed by both ${this.owners[p]} and ${name}`);
      this.owners[p] = name;
      this.readers[p] = read;
      this.writers[p] = write;
    }
  }

  /** Take 16/32-bit accesses at `port` whole (the port must already be claimed by the caller). */
  claimWide(port: number, handlers: WideHandlers): void {
    this.wide.set(port & 0xffff, handlers);
  }

  owner(port: number): string | undefined {
    return this.owners[port & 0xffff];
  }

  in8(port: number): number {
    const r = this.readers[port & 0xffff];
    if (r) return r(port & 0xffff) & 0xff;
    if (this.owners[port & 0xffff] === undefined) count(this.unclaimedReads, port & 0xffff);
    return 0xff;
  }
  in16(port: number): number {
    const w = this.wide.size ? this.wide.get(port & 0xffff)?.read16 : undefined;
    if (w) return w(port & 0xffff) & 0xffff;
    return this.in8(port) | (this.in8(port + 1) << 8);
  }
  in32(port: number): number {
    const w = this.wide.size ? this.wide.get(port & 0xffff)?.read32 : undefined;
    if (w) return w(port & 0xffff) >>> 0;
    return (this.in16(port) | (this.in16(port + 2) << 16)) >>> 0;
  }
  out8(port: number, v: number): void {
    const w = this.writers[port & 0xffff];
    if (w) w(port & 0xffff, v & 0xff);
    else if (this.owners[port & 0xffff] === undefined) count(this.unclaimedWrites, port & 0xffff);
  }

  /** The unclaimed ports the guest touched, in port order. */
  unclaimed(): UnclaimedPort[] {
    const ports = [...new Set([...this.unclaimedReads.keys(), ...this.unclaimedWrites.keys()])].sort((a, b) => a - b);
    return ports.map((port) => ({ port, reads: this.unclaimedReads.get(port) ?? 0, writes: this.unclaimedWrites.get(port) ?? 0 }));
  }
  out16(port: number, v: number): void {
    const w = this.wide.size ? this.wide.get(port & 0xffff)?.write16 : undefined;
    if (w) return w(port & 0xffff, v & 0xffff);
    this.out8(port, v);
    this.out8(port + 1, v >>> 8);
  }
  out32(port: number, v: number): void {
    const w = this.wide.size ? this.wide.get(port & 0xffff)?.write32 : undefined;
    if (w) return w(port & 0xffff, v >>> 0);
    this.out16(port, v);
    this.out16(port + 2, v >>> 16);
  }
}

export interface UnclaimedPort {
  port: number;
  reads: number;
  writes: number;
}

function count(m: Map<number, number>, port: number): void {
  m.set(port, (m.get(port) ?? 0) + 1);
}

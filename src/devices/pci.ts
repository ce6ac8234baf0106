// PCI configuration mechanism #1 (ports 0xCF8-0xCFF) on bus 0, and the
// configuration space of one function. The address register at 0xCF8 takes
// dword accesses only (bit 31 enable, bus 23-16, device 15-11, function
// 10-8, register 7-2); 0xCFC-0xCFF read and write the addressed dword's
// bytes at any width. An absent function reads all ones. A byte at 0xCF9 is
// the PIIX3 reset control register, which QEMU places under the address
// register: bit 2 set resets the system.

import type { PortBus } from './port-bus.js';

/** Reset values, as `offset: byte` pairs, and which bits of which registers the guest may write. */
export interface PciFunctionSpec {
  name: string;
  /** Device << 3 | function. */
  devfn: number;
  init: Record<number, number>;
  /** Extra write masks by offset; 0x40-0xFF are writable and COMMAND, cache line and interrupt line are, as QEMU's defaults. */
  wmask?: Record<number, number>;
}

export interface PciFunctionState {
  devfn: number;
  config: Uint8Array;
}

export class PciFunction {
  readonly config = new Uint8Array(256);
  private readonly wmask = new Uint8Array(256);
  private readonly reset: Uint8Array;
  /** Called after a guest write to [offset, offset+len). */
  onWrite: (offset: number, len: number) => void = () => {};

  constructor(readonly spec: PciFunctionSpec) {
    for (const [o, v] of Object.entries(spec.init)) this.config[Number(o)] = v;
    this.reset = this.config.slice();
    this.wmask[0x04] = 0x47; // I/O, memory, bus master, parity, SERR (byte 5 bit 2: INTx disable)
    this.wmask[0x05] = 0x05;
    this.wmask[0x0c] = 0xff;
    this.wmask[0x3c] = 0xff;
    this.wmask.fill(0xff, 0x40);
    for (const [o, m] of Object.entries(spec.wmask ?? {})) this.wmask[Number(o)] = m;
  }

  read(offset: number, len: number): number {
    let v = 0;
    for (let i = len - 1; i >= 0; i--) v = (v << 8) | this.config[offset + i];
    return v >>> 0;
  }

  write(offset: number, len: number, v: number): void {
    for (let i = 0; i < len; i++) {
      const o = offset + i;
      const b = (v >>> (8 * i)) & 0xff;
      this.config[o] = (this.config[o] & ~this.wmask[o]) | (b & this.wmask[o]);
    }
    this.onWrite(offset, len);
  }

  powerOn(): void {
    this.config.set(this.reset);
  }
}

export interface PciBusState {
  v: 1;
  address: number;
  rcr: number;
  functions: PciFunctionState[];
}

export class PciBus {
  private address = 0;
  private rcr = 0;
  private readonly fns = new Map<number, PciFunction>();

  constructor(bus: PortBus, private readonly onReset: () => void) {
    bus.claim('pci-config', 0xcf8, 8, (p) => this.readByte(p), (p, v) => this.writeByte(p, v));
    bus.claimWide(0xcf8, { read32: () => this.address, write32: (_p, v) => (this.address = v & 0x80fffffc) });
    bus.claimWide(0xcfe, { read16: (q) => this.data(q, 2), write16: (q, v) => this.setData(q, 2, v) });
    bus.claimWide(0xcfc, {
      read16: (q) => this.data(q, 2),
      write16: (q, v) => this.setData(q, 2, v),
      read32: (q) => this.data(q, 4),
      write32: (q, v) => this.setData(q, 4, v),
    });
  }

  add(spec: PciFunctionSpec): PciFunction {
    const f = new PciFunction(spec);
    this.fns.set(spec.devfn, f);
    return f;
  }

  /** A function's configuration bytes (bus 0), or an empty array when absent. */
  config(devfn: number): Uint8Array {
    return this.fns.get(devfn)?.config ?? new Uint8Array(256);
  }

  /** Configuration read of bus 0 (tests, the loader's firmware state). */
  configRead(devfn: number, offset: number, len: number): number {
    const f = this.fns.get(devfn);
    return f ? f.read(offset, len) : len === 4 ? 0xffffffff : (1 << (8 * len)) - 1;
  }

  configWrite(devfn: number, offset: number, len: number, v: number): void {
    this.fns.get(devfn)?.write(offset, len, v);
  }

  /** The function the address register selects, or undefined (disabled, another bus, absent). */
  private target(): PciFunction | undefined {
    const a = this.address;
    if (!(a & 0x80000000) || ((a >>> 16) & 0xff) !== 0) return undefined;
    return this.fns.get((a >>> 8) & 0xff);
  }

  private data(port: number, len: number): number {
    const f = this.target();
    const off = (this.address & 0xfc) + (port & 3);
    if (!f) return len === 4 ? 0xffffffff : (1 << (8 * len)) - 1;
    return f.read(off, len);
  }

  private setData(port: number, len: number, v: number): void {
    this.target()?.write((this.address & 0xfc) + (port & 3), len, v);
  }

  private readByte(port: number): number {
    if (port >= 0xcfc) return this.data(port, 1);
    return port === 0xcf9 ? this.rcr : 0xff;
  }

  private writeByte(port: number, v: number): void {
    if (port >= 0xcfc) return this.setData(port, 1, v);
    if (port !== 0xcf9) return;
    this.rcr = v & 0x0e;
    if (v & 4) this.onReset();
  }

  save(): PciBusState {
    return { v: 1, address: this.address, rcr: this.rcr, functions: [...this.fns.values()].map((f) => ({ devfn: f.spec.devfn, config: f.config.slice() })) };
  }

  load(s: PciBusState): void {
    if (s.v !== 1) throw new Error(`PCI state: unknown version ${s.v}`);
    this.address = s.address;
    this.rcr = s.rcr;
    for (const fs of s.functions) this.fns.get(fs.devfn)?.config.set(fs.config);
  }
}

// QEMU's fw_cfg "firmware configuration" interface as the pc machine has it:
// a 16-bit selector written at 0x510 and a byte-wide data port at 0x511 that
// reads the selected item from its start, one byte per read, zeros past its
// end (and for keys that hold nothing). Items are the configuration the
// machine was built from, never written by the guest, so only the selector
// and the read offset are state. The DMA interface (0x514) is not modelled:
// the ID item says so (bit 1 clear) and SeaBIOS then reads through 0x511.
// Item layout (keys, the file directory's big-endian entries) is QEMU's
// documented ABI (docs/specs/fw_cfg.rst in QEMU's tree).

import type { PortBus } from './port-bus.js';

export const FW_CFG_PORT = 0x510;
export const FW_CFG_SIGNATURE = 0x00;
export const FW_CFG_ID = 0x01;
export const FW_CFG_UUID = 0x02;
export const FW_CFG_RAM_SIZE = 0x03;
export const FW_CFG_NOGRAPHIC = 0x04;
export const FW_CFG_NB_CPUS = 0x05;
export const FW_CFG_KERNEL_ADDR = 0x07;
export const FW_CFG_KERNEL_SIZE = 0x08;
export const FW_CFG_KERNEL_CMDLINE = 0x09;
export const FW_CFG_INITRD_ADDR = 0x0a;
export const FW_CFG_INITRD_SIZE = 0x0b;
export const FW_CFG_BOOT_DEVICE = 0x0c;
export const FW_CFG_NUMA = 0x0d;
export const FW_CFG_BOOT_MENU = 0x0e;
export const FW_CFG_MAX_CPUS = 0x0f;
export const FW_CFG_KERNEL_ENTRY = 0x10;
export const FW_CFG_KERNEL_DATA = 0x11;
export const FW_CFG_INITRD_DATA = 0x12;
export const FW_CFG_CMDLINE_ADDR = 0x13;
export const FW_CFG_CMDLINE_SIZE = 0x14;
export const FW_CFG_CMDLINE_DATA = 0x15;
export const FW_CFG_SETUP_ADDR = 0x16;
export const FW_CFG_SETUP_SIZE = 0x17;
export const FW_CFG_SETUP_DATA = 0x18;
export const FW_CFG_FILE_DIR = 0x19;
export const FW_CFG_FILE_FIRST = 0x20;
export const FW_CFG_E820_TABLE = 0x8003;
/** Selector bit QEMU once used for guest writes (ignored since QEMU 2.4, as here). */
const FW_CFG_WRITE_CHANNEL = 0x4000;
const FILE_NAME_BYTES = 56;

export interface FwCfgState {
  v: 1;
  /** The selected key as written (write bit included). */
  key: number;
  /** Bytes of the selected item read so far. */
  offset: number;
}

/** The items a machine offers: legacy keys, and named files (the directory is built from them). */
export interface FwCfgContents {
  items: Map<number, Uint8Array>;
  files: Map<string, Uint8Array>;
}

export class FwCfg {
  private readonly items = new Map<number, Uint8Array>();
  private key = 0;
  private offset = 0;
  private cur: Uint8Array | undefined;

  constructor(bus: PortBus, contents: FwCfgContents) {
    for (const [k, v] of contents.items) this.items.set(k, v);
    const names = [...contents.files.keys()].sort();
    const dir = new Uint8Array(4 + names.length * 64);
    const dv = new DataView(dir.buffer);
    dv.setUint32(0, names.length);
    names.forEach((name, i) => {
      const data = contents.files.get(name)!;
      const o = 4 + i * 64;
      const sel = FW_CFG_FILE_FIRST + i;
      dv.setUint32(o, data.length);
      dv.setUint16(o + 4, sel);
      const nb = new TextEncoder().encode(name);
      if (nb.length >= FILE_NAME_BYTES) throw new Error(`fw_cfg file name too long: ${name}`);
      dir.set(nb, o + 8);
      this.items.set(sel, data);
    });
    this.items.set(FW_CFG_FILE_DIR, dir);
    this.select(0);
    // The selector is a 16-bit register; a byte write sets its low byte (QEMU's port accepts only words: rare).
    bus.claim('fw_cfg', FW_CFG_PORT, 2, (p) => (p === FW_CFG_PORT + 1 ? this.readData() : 0), (p, v) => {
      if (p === FW_CFG_PORT) this.select(v);
    });
    bus.claimWide(FW_CFG_PORT, { write16: (_p, v) => this.select(v), read16: () => 0 });
  }

  private select(key: number): void {
    this.key = key & 0xffff;
    this.offset = 0;
    this.cur = this.items.get(this.key & ~FW_CFG_WRITE_CHANNEL);
  }

  private readData(): number {
    const c = this.cur;
    if (!c || this.offset >= c.length) return 0;
    return c[this.offset++];
  }

  /** The bytes of an item (tests, reports). */
  item(key: number): Uint8Array | undefined {
    return this.items.get(key);
  }

  /** True when nothing was selected or read since power-on. */
  get idle(): boolean {
    return this.key === 0 && this.offset === 0;
  }

  save(): FwCfgState {
    return { v: 1, key: this.key, offset: this.offset };
  }

  load(s: FwCfgState): void {
    if (s.v !== 1) throw new Error(`fw_cfg state: unknown version ${s.v}`);
    this.select(s.key);
    this.offset = s.offset;
  }
}

const u16 = (v: number): Uint8Array => Uint8Array.of(v & 0xff, (v >>> 8) & 0xff);
const u32 = (v: number): Uint8Array => { const b = new Uint8Array(4); new DataView(b.buffer).setUint32(0, v >>> 0, true); return b; };
const u64 = (v: number): Uint8Array => { const b = new Uint8Array(8); new DataView(b.buffer).setBigUint64(0, BigInt(v), true); return b; };

/** What the guest is handed when a kernel is loaded through fw_cfg (QEMU's -kernel/-initrd/-append items). */
export interface FwCfgKernel {
  setup: Uint8Array;
  kernel: Uint8Array;
  initrd?: Uint8Array;
  cmdline: string;
  setupAddr: number;
  kernelAddr: number;
  initrdAddr: number;
  cmdlineAddr: number;
}

export interface PcFwCfgOptions {
  ramBytes: number;
  /** Boot menu shown (QEMU's -boot menu=on). */
  bootMenu: boolean;
  /** The CMOS-style boot device letter QEMU stores (first of -boot order: 'c' by default). */
  bootDevice?: string;
  kernel?: FwCfgKernel;
}

/** The items QEMU's pc machine offers SeaBIOS, for this machine (one CPU, RAM below 4 GiB, no ACPI tables). */
export function pcFwCfgContents(o: PcFwCfgOptions): FwCfgContents {
  const items = new Map<number, Uint8Array>();
  items.set(FW_CFG_SIGNATURE, new TextEncoder().encode('QEMU'));
  items.set(FW_CFG_ID, u32(1)); // traditional interface only: no DMA
  items.set(FW_CFG_UUID, new Uint8Array(16));
  items.set(FW_CFG_RAM_SIZE, u64(o.ramBytes));
  items.set(FW_CFG_NOGRAPHIC, u16(0));
  items.set(FW_CFG_NB_CPUS, u16(1));
  items.set(FW_CFG_MAX_CPUS, u16(1));
  items.set(FW_CFG_NUMA, u64(0));
  items.set(FW_CFG_BOOT_MENU, u16(o.bootMenu ? 1 : 0));
  items.set(FW_CFG_BOOT_DEVICE, u16((o.bootDevice ?? 'c').charCodeAt(0)));
  items.set(FW_CFG_E820_TABLE, u32(0)); // the legacy table of reservations: none
  const k = o.kernel;
  if (k) {
    const cmd = Uint8Array.from([...new TextEncoder().encode(k.cmdline), 0]);
    items.set(FW_CFG_SETUP_ADDR, u32(k.setupAddr));
    items.set(FW_CFG_SETUP_SIZE, u32(k.setup.length));
    items.set(FW_CFG_SETUP_DATA, k.setup);
    items.set(FW_CFG_KERNEL_ADDR, u32(k.kernelAddr));
    items.set(FW_CFG_KERNEL_SIZE, u32(k.kernel.length));
    items.set(FW_CFG_KERNEL_DATA, k.kernel);
    items.set(FW_CFG_INITRD_ADDR, u32(k.initrd ? k.initrdAddr : 0));
    items.set(FW_CFG_INITRD_SIZE, u32(k.initrd?.length ?? 0));
    if (k.initrd) items.set(FW_CFG_INITRD_DATA, k.initrd);
    items.set(FW_CFG_CMDLINE_ADDR, u32(k.cmdlineAddr));
    items.set(FW_CFG_CMDLINE_SIZE, u32(cmd.length));
    items.set(FW_CFG_CMDLINE_DATA, cmd);
    items.set(FW_CFG_KERNEL_CMDLINE, u32(k.cmdlineAddr));
  }
  const e820 = new Uint8Array(20); // etc/e820: {u64 address, u64 length, u32 type}; QEMU lists the RAM below 4 GiB
  const ev = new DataView(e820.buffer);
  ev.setBigUint64(0, 0n, true);
  ev.setBigUint64(8, BigInt(o.ramBytes), true);
  ev.setUint32(16, 1, true);
  const files = new Map<string, Uint8Array>([['etc/e820', e820]]);
  return { items, files };
}

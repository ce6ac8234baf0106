import { beforeEach, describe, expect, it } from 'vitest';
import { PortBus } from '../../src/devices/port-bus.js';
import { AtaDisk, ATA_COMMAND_NS, ATA_SECTOR_NS } from '../../src/devices/ata.js';
import { MemoryDisk, type DiskBackend } from '../../src/devices/disk-backend.js';
import { ManualClock } from './helpers.js';

const SECTORS = 64;
const image = (): Uint8Array => {
  const b = new Uint8Array(SECTORS * 512);
  for (let i = 0; i < b.length; i++) b[i] = ((i >> 9) * 3 + i) & 0xff;
  return b;
};

let bus: PortBus;
let clock: ManualClock;
let disk: MemoryDisk;
let ata: AtaDisk;
let irq: boolean;
let reschedules: number;

function make(backend: DiskBackend): void {
  bus = new PortBus();
  clock = new ManualClock();
  irq = false;
  reschedules = 0;
  ata = new AtaDisk(bus, backend, clock, (l) => (irq = l), () => reschedules++);
}
beforeEach(() => {
  disk = new MemoryDisk(image());
  make(disk);
});

function command(cmd: number, lba: number, count: number): void {
  bus.out8(0x1f2, count);
  bus.out8(0x1f3, lba & 0xff);
  bus.out8(0x1f4, (lba >> 8) & 0xff);
  bus.out8(0x1f5, (lba >> 16) & 0xff);
  bus.out8(0x1f6, 0xe0 | ((lba >> 24) & 0x0f));
  bus.out8(0x1f7, cmd);
}
function readSector(): Uint8Array {
  const out = new Uint8Array(512);
  for (let i = 0; i < 512; i += 2) {
    const w = bus.in16(0x1f0);
    out[i] = w & 0xff;
    out[i + 1] = w >> 8;
  }
  return out;
}
const status = (): number => bus.in8(0x1f7);
const alt = (): number => bus.in8(0x3f6);

describe('AtaDisk', () => {
  it('is ready at power-on; the absent slave reads 0', () => {
    expect(status() & 0xc9).toBe(0x40);
    bus.out8(0x1f6, 0xf0);
    expect(status()).toBe(0);
  });

  it('an absent slave reads 0 from its task file instead of echoing writes', () => {
    bus.out8(0x1f6, 0xf0);
    bus.out8(0x1f2, 0x55);
    bus.out8(0x1f4, 0xaa);
    expect(bus.in8(0x1f2)).toBe(0);
    expect(bus.in8(0x1f4)).toBe(0);
    bus.out8(0x1f6, 0xe0);
    expect(bus.in8(0x1f2)).toBe(0x55); // the master holds what was written
  });

  it('soft reset leaves the ATA disk signature: count 1, LBA low 1, mid and high 0', () => {
    bus.out8(0x1f4, 0x12);
    bus.out8(0x1f5, 0x34);
    bus.out8(0x3f6, 0x04);
    bus.out8(0x3f6, 0x00);
    expect([0x1f2, 0x1f3, 0x1f4, 0x1f5].map((p) => bus.in8(p))).toEqual([1, 1, 0, 0]);
    expect(bus.in8(0x1f1)).toBe(1); // diagnostic code: no error
  });

  it('READ SECTORS: busy until the machine completes it, then DRQ and IRQ per sector', () => {
    clock.t = 1000;
    command(0x20, 5, 2);
    expect(alt() & 0x88).toBe(0x80);
    expect(ata.busy).toBe(true);
    expect(ata.hostReady).toBe(true); // an in-memory disk answers at once
    expect(ata.dueNs).toBe(1000 + ATA_COMMAND_NS + ATA_SECTOR_NS);
    expect(irq).toBe(false);
    ata.complete();
    expect(irq).toBe(true);
    expect(alt() & 0x89).toBe(0x08);
    expect(irq).toBe(true); // alternate status does not acknowledge
    expect(status() & 0x89).toBe(0x08);
    expect(irq).toBe(false);
    expect(readSector()).toEqual(image().subarray(5 * 512, 6 * 512));
    expect(ata.busy).toBe(true);
    ata.complete();
    expect(readSector()).toEqual(image().subarray(6 * 512, 7 * 512));
    expect(status() & 0x89).toBe(0);
    expect(ata.busy).toBe(false);
  });

  it('WRITE SECTORS: DRQ at once for the first sector, an IRQ after each, data lands in the overlay', () => {
    command(0x30, 10, 2);
    expect(status() & 0x89).toBe(0x08);
    for (let i = 0; i < 256; i++) bus.out16(0x1f0, 0xa5a5);
    expect(ata.busy).toBe(true);
    ata.complete();
    expect(irq).toBe(true);
    expect(status() & 0x89).toBe(0x08);
    for (let i = 0; i < 128; i++) bus.out32(0x1f0, 0x11223344);
    ata.complete();
    expect(status() & 0x89).toBe(0);
    const c = disk.contents();
    expect(c.subarray(10 * 512, 11 * 512).every((b) => b === 0xa5)).toBe(true);
    expect(c[11 * 512]).toBe(0x44);
    expect(c[11 * 512 + 3]).toBe(0x11);
    expect(c.subarray(12 * 512)).toEqual(image().subarray(12 * 512));
  });

  it('an LBA beyond the disk aborts at once with ERR, ABRT and an interrupt', () => {
    command(0x20, SECTORS, 1);
    expect(irq).toBe(true);
    expect(status() & 0x89).toBe(0x01);
    expect(bus.in8(0x1f1)).toBe(0x04);
    command(0x20, SECTORS - 1, 2);
    expect(status() & 0x01).toBe(1);
  });

  it('an unknown command aborts', () => {
    command(0xff, 0, 1);
    expect(status() & 0x01).toBe(1);
    expect(bus.in8(0x1f1) & 0x04).toBe(4);
  });

  it('IDENTIFY: 256 words with LBA support and the sector count', () => {
    command(0xec, 0, 0);
    ata.complete();
    const id = readSector();
    const w = (i: number): number => id[i * 2] | (id[i * 2 + 1] << 8);
    expect(w(0) & 0x8000).toBe(0);
    expect(w(49) & 0x200).toBe(0x200);
    expect(w(5)).toBe(512); // bytes per sector, which a BIOS uses as the sector size
    expect(w(4)).toBe(w(6) * 512);
    expect(w(60) | (w(61) << 16)).toBe(SECTORS);
    expect(String.fromCharCode(id[55], id[54], id[57], id[56])).toBe('VMRR');
    expect(status() & 0x08).toBe(0);
  });

  it('nIEN keeps INTRQ off the line; clearing it lets a still-pending one through', () => {
    bus.out8(0x3f6, 0x02);
    command(0x20, 0, 1);
    ata.complete();
    expect(irq).toBe(false);
    bus.out8(0x3f6, 0x00);
    expect(irq).toBe(true);
  });

  it('a host read that has not finished keeps hostReady false; its completion reschedules', () => {
    let finish: ((e: string | null) => void) | undefined;
    const slow: DiskBackend = {
      sectors: SECTORS,
      inFlight: 0,
      read: (_l, _c, into, done) => { into.fill(7); finish = done; },
      write: () => {},
    };
    make(slow);
    command(0x20, 0, 1);
    expect(ata.hostReady).toBe(false);
    const before = reschedules;
    finish!(null);
    expect(ata.hostReady).toBe(true);
    expect(reschedules).toBe(before + 1);
    ata.complete();
    expect(readSector()[0]).toBe(7);
  });

  it('a host read error completes with UNC', () => {
    const bad: DiskBackend = { sectors: SECTORS, inFlight: 0, read: (_l, _c, _i, done) => done('EIO'), write: () => {} };
    make(bad);
    command(0x20, 0, 1);
    ata.complete();
    expect(status() & 0x01).toBe(1);
    expect(bus.in8(0x1f1)).toBe(0x40);
  });

  it('a status read while a completion is owed marks a safepoint (polled)', () => {
    command(0x20, 0, 1);
    expect(ata.polled).toBe(false);
    const before = reschedules;
    alt();
    expect(ata.polled).toBe(true);
    expect(reschedules).toBe(before + 1);
  });

  it('save/load reproduces the task file and transfer state', () => {
    command(0x20, 3, 2);
    ata.complete();
    readSector();
    const s = ata.save();
    const other = new AtaDisk(new PortBus(), disk, clock, () => {}, () => {});
    other.load(structuredClone(s));
    expect(other.save()).toEqual(s);
  });
});

// ATA disk on the primary IDE channel (0x1F0-0x1F7, 0x3F6, IRQ 14), one
// drive (master): IDENTIFY DEVICE, READ/WRITE SECTORS (LBA28 or CHS),
// multi-sector PIO transfers, status and alternate status, nIEN, SRST,
// errors for out-of-range addresses. No DMA.
//
// The device never completes anything on its own. A command leaves it busy
// with a completion due at a nominal guest time (`dueNs`: the service-time
// model, per-command overhead plus per-sector transfer, AtaTiming); a read
// also waits for the host (`hostReady`). The machine's scheduler decides when
// to call complete() (DESIGN section 9, docs/completion-interrupts.md): at
// dueNs, or earlier at a safepoint (the guest is in HLT, or `polled` says it
// is reading the status), never before the host, never while the previous
// completion's IRQ is still in service.

import type { GuestClock } from '../machine/clock.js';
import type { PortBus } from './port-bus.js';
import { SECTOR, type DiskBackend } from './disk-backend.js';

const ST_ERR = 0x01, ST_DRQ = 0x08, ST_DSC = 0x10, ST_DRDY = 0x40, ST_BSY = 0x80;
const ER_ABRT = 0x04, ER_UNC = 0x40;
const CTL_NIEN = 0x02, CTL_SRST = 0x04;
/** Default nominal command overhead and per-sector transfer time, in guest ns. */
export const ATA_COMMAND_NS = 20_000;
export const ATA_SECTOR_NS = 2_000;

/** The nominal service-time model: a command costs `commandNs`, each sector moved `sectorNs` more. */
export interface AtaTiming {
  commandNs: number;
  sectorNs: number;
}

export const DEFAULT_ATA_TIMING: AtaTiming = { commandNs: ATA_COMMAND_NS, sectorNs: ATA_SECTOR_NS };
const MAX_SECTORS = 256;
/** Status reads of one owed completion after which the guest counts as spinning on the device. */
export const ATA_SPIN_POLLS = 64;
/** CHS geometry reported and used for CHS addressing (as a BIOS would translate). */
const HEADS = 16, SPT = 63;

type Op = 'none' | 'read' | 'write' | 'identify' | 'nodata';
const OPS: readonly Op[] = ['none', 'read', 'write', 'identify', 'nodata'];

export interface AtaDiskState {
  v: 1;
  regs: Uint8Array;
  status: number;
  error: number;
  control: number;
  op: number;
  lba: number;
  left: number;
  sector: number;
  pos: number;
  busy: boolean;
  dueNs: number;
  hostReady: boolean;
  hostError: boolean;
  irq: boolean;
  buf: Uint8Array;
}

export class AtaDisk {
  /** Task file: features(1), count(2), lba low(3), mid(4), high(5), device(6). */
  private readonly regs = new Uint8Array(8);
  private status = ST_DRDY | ST_DSC;
  private error = 1; // diagnostic code: no error
  private control = 0;
  private op: Op = 'none';
  /** First LBA of the transfer and sectors it still has to move. */
  private lba = 0;
  private left = 0;
  /** Sector of the transfer now in the data window, and the byte offset in it. */
  private sector = 0;
  private pos = 0;
  /** Data of the whole transfer (up to 256 sectors). */
  private readonly buf = new Uint8Array(MAX_SECTORS * SECTOR);
  /** A completion is owed: guest time it is due, and whether the host has done its part. */
  busy = false;
  dueNs = Infinity;
  hostReady = false;
  private hostError = false;
  /** Status reads since the owed completion began (up to ATA_SPIN_POLLS): one makes a safepoint. */
  polls = 0;
  private irq = false;

  /**
   * `setIrq` drives IRQ 14; `reschedule` tells the machine a completion was
   * scheduled, became possible (host done), or the guest is polling.
   */
  constructor(
    bus: PortBus,
    private readonly disk: DiskBackend,
    private readonly clock: GuestClock,
    private readonly setIrq: (level: boolean) => void,
    private readonly reschedule: () => void,
    private readonly timing: AtaTiming = DEFAULT_ATA_TIMING,
  ) {
    bus.claim('ata0', 0x1f0, 8, (p) => this.readReg(p - 0x1f0), (p, v) => this.writeReg(p - 0x1f0, v));
    bus.claimWide(0x1f0, {
      read16: () => this.readData16(),
      write16: (_p, v) => this.writeData16(v),
      read32: () => (this.readData16() | (this.readData16() << 16)) >>> 0,
      write32: (_p, v) => { this.writeData16(v & 0xffff); this.writeData16(v >>> 16); },
    });
    bus.claim('ata0-ctl', 0x3f6, 1, () => this.altStatus(), (_p, v) => this.writeControl(v));
  }

  private get slaveSelected(): boolean {
    return (this.regs[6] & 0x10) !== 0;
  }

  /** Interrupts from this device can reach the PIC (nIEN clear). */
  interruptsEnabled(): boolean {
    return !(this.control & CTL_NIEN);
  }

  private altStatus(): number {
    if (this.slaveSelected) return 0;
    this.notePoll();
    return this.status;
  }

  /** The guest read the status while a completion was owed (a safepoint). */
  get polled(): boolean {
    return this.polls > 0;
  }

  private notePoll(): void {
    if (!this.busy || this.polls >= ATA_SPIN_POLLS) return;
    this.polls++;
    // End the slice right after this read even if the host is not done: with the
    // virtual clock the safepoint must be this exact instruction, not a slice end.
    if (this.polls === 1 || this.polls === ATA_SPIN_POLLS) this.reschedule();
  }

  private readReg(r: number): number {
    switch (r) {
      case 0:
        return this.readData16() & 0xff;
      case 1:
        return this.slaveSelected ? 0 : this.error;
      case 7:
        if (this.slaveSelected) return 0;
        this.setInt(false);
        this.notePoll();
        return this.status;
      default:
        // An absent slave drives nothing: its task file does not echo writes.
        return this.slaveSelected && r !== 6 ? 0 : this.regs[r];
    }
  }

  private writeReg(r: number, v: number): void {
    if (r === 0) return this.writeData16(v);
    if (r < 7) {
      this.regs[r] = v;
      return;
    }
    if (this.slaveSelected) return; // no slave drive
    this.command(v);
  }

  private writeControl(v: number): void {
    const wasReset = this.control & CTL_SRST;
    this.control = v;
    if ((v & CTL_SRST) && !wasReset) {
      this.busy = false;
      this.dueNs = Infinity;
      this.op = 'none';
      this.status = ST_BSY;
    } else if (!(v & CTL_SRST) && wasReset) {
      this.status = ST_DRDY | ST_DSC;
      this.error = 1;
      // ATA signature after reset: count 1, LBA low 1, LBA mid and high 0 (a disk, not ATAPI).
      this.regs.set([0, 1, 1, 0, 0, 0], 1);
    }
    // nIEN masks INTRQ without forgetting it.
    this.setIrq(this.irq && this.interruptsEnabled());
  }

  private setInt(level: boolean): void {
    if (level === this.irq) return;
    this.irq = level;
    if (this.interruptsEnabled()) this.setIrq(level);
  }

  private lbaFromRegs(): number {
    const r = this.regs;
    if (r[6] & 0x40) return ((r[6] & 0x0f) << 24) | (r[5] << 16) | (r[4] << 8) | r[3];
    const cyl = (r[5] << 8) | r[4];
    return (cyl * HEADS + (r[6] & 0x0f)) * SPT + r[3] - 1;
  }

  private command(cmd: number): void {
    if (this.status & ST_BSY) return; // commands are ignored while busy
    this.setInt(false);
    this.error = 0;
    switch (cmd) {
      case 0x20: case 0x21: case 0x30: case 0x31: {
        const count = this.regs[2] || MAX_SECTORS;
        const lba = this.lbaFromRegs();
        if (lba < 0 || lba + count > this.disk.sectors) return this.abort(ER_ABRT);
        this.lba = lba;
        this.left = count;
        this.sector = 0;
        this.pos = 0;
        if (cmd < 0x30) {
          this.op = 'read';
          this.beginRead(count);
        } else {
          // PIO out: the first sector is asked for at once, without an interrupt.
          this.op = 'write';
          this.status = ST_DRDY | ST_DSC | ST_DRQ;
        }
        return;
      }
      case 0xec:
        this.op = 'identify';
        this.fillIdentify();
        this.sector = 0;
        this.pos = 0;
        this.left = 1;
        this.owe(this.timing.commandNs, true);
        return;
      case 0x10: case 0x40: case 0x41: case 0x70: case 0x91: case 0xe7: case 0xea: case 0xef:
        // Recalibrate, verify, seek, set parameters, flush, set features: nothing to do but finish.
        this.op = 'nodata';
        this.owe(this.timing.commandNs, true);
        return;
      default:
        this.abort(ER_ABRT);
    }
  }

  private beginRead(count: number): void {
    this.status = ST_BSY | ST_DSC;
    this.busy = true;
    this.polls = 0;
    this.hostReady = false;
    this.hostError = false;
    this.dueNs = this.clock.now() + this.timing.commandNs + this.timing.sectorNs;
    this.reschedule();
    this.disk.read(this.lba, count, this.buf.subarray(0, count * SECTOR), (err) => {
      this.hostError = err !== null;
      this.hostReady = true;
      this.reschedule();
    });
  }

  /** Become busy until a completion `ns` from now. */
  private owe(ns: number, hostReady: boolean): void {
    this.status = ST_BSY | ST_DSC;
    this.busy = true;
    this.polls = 0;
    this.hostReady = hostReady;
    this.dueNs = this.clock.now() + ns;
    this.reschedule();
  }

  private abort(err: number): void {
    this.op = 'none';
    this.error = err;
    this.status = ST_DRDY | ST_DSC | ST_ERR;
    this.setInt(true);
  }

  /** The owed completion, delivered by the machine's event loop. */
  complete(): void {
    if (!this.busy) return;
    this.busy = false;
    this.dueNs = Infinity;
    this.polls = 0;
    switch (this.op) {
      case 'read':
        if (this.hostError) return this.abort(ER_UNC);
        this.status = ST_DRDY | ST_DSC | ST_DRQ;
        break;
      case 'identify':
        this.status = ST_DRDY | ST_DSC | ST_DRQ;
        break;
      case 'write':
        // The sector just written is stored; ask for the next one or finish.
        this.status = this.left > 0 ? ST_DRDY | ST_DSC | ST_DRQ : ST_DRDY | ST_DSC;
        if (this.left === 0) this.op = 'none';
        break;
      default:
        this.status = ST_DRDY | ST_DSC;
        this.op = 'none';
    }
    this.setInt(true);
  }

  private readData16(): number {
    if (!(this.status & ST_DRQ) || (this.op !== 'read' && this.op !== 'identify')) return 0xffff;
    const at = this.sector * SECTOR + this.pos;
    const v = this.buf[at] | (this.buf[at + 1] << 8);
    this.pos += 2;
    if (this.pos >= SECTOR) this.sectorRead();
    return v;
  }

  private sectorRead(): void {
    this.pos = 0;
    this.sector++;
    this.left--;
    this.regs[2] = (this.regs[2] - 1) & 0xff;
    if (this.left > 0 && this.op === 'read') {
      // The next sector's data is already here; it still takes its transfer time.
      this.owe(this.timing.sectorNs, true);
      return;
    }
    this.op = 'none';
    this.status = ST_DRDY | ST_DSC;
  }

  private writeData16(v: number): void {
    if (!(this.status & ST_DRQ) || this.op !== 'write') return;
    const at = this.sector * SECTOR + this.pos;
    this.buf[at] = v & 0xff;
    this.buf[at + 1] = (v >> 8) & 0xff;
    this.pos += 2;
    if (this.pos < SECTOR) return;
    this.disk.write(this.lba + this.sector, this.buf.subarray(at + 2 - SECTOR, at + 2));
    this.pos = 0;
    this.sector++;
    this.left--;
    this.regs[2] = (this.regs[2] - 1) & 0xff;
    this.owe(this.timing.sectorNs, true);
  }

  private fillIdentify(): void {
    const w = new Uint16Array(256);
    const total = Math.min(this.disk.sectors, 0x0fffffff);
    const cyls = Math.min(16383, Math.floor(total / (HEADS * SPT)));
    w[0] = 0x0040; // fixed disk
    w[1] = cyls; w[3] = HEADS; w[6] = SPT;
    w[4] = SPT * SECTOR; w[5] = SECTOR; // obsolete bytes per track / per sector, still read by BIOSes
    putString(w, 10, 20, 'VMRR0001');
    putString(w, 23, 8, '0.1');
    putString(w, 27, 40, 'VMRR HARDDISK');
    w[47] = 0x8000; // READ/WRITE MULTIPLE not supported
    w[49] = 0x0200; // LBA
    w[53] = 0x0001; // words 54-58 valid
    w[54] = cyls; w[55] = HEADS; w[56] = SPT;
    const chs = cyls * HEADS * SPT;
    w[57] = chs & 0xffff; w[58] = chs >>> 16;
    w[60] = total & 0xffff; w[61] = total >>> 16;
    w[80] = 0x00f0; // ATA-4 to ATA-7
    for (let i = 0; i < 256; i++) {
      this.buf[i * 2] = w[i] & 0xff;
      this.buf[i * 2 + 1] = w[i] >> 8;
    }
  }

  save(): AtaDiskState {
    return {
      v: 1, regs: this.regs.slice(), status: this.status, error: this.error, control: this.control,
      op: OPS.indexOf(this.op), lba: this.lba, left: this.left, sector: this.sector, pos: this.pos, busy: this.busy,
      dueNs: this.dueNs, hostReady: this.hostReady, hostError: this.hostError, irq: this.irq,
      buf: this.buf.slice(0, Math.max(SECTOR, (this.sector + this.left) * SECTOR)),
    };
  }

  load(s: AtaDiskState): void {
    if (s.v !== 1) throw new Error(`ATA state: unknown version ${s.v}`);
    this.regs.set(s.regs);
    this.status = s.status; this.error = s.error; this.control = s.control; this.op = OPS[s.op];
    this.lba = s.lba; this.left = s.left; this.sector = s.sector; this.pos = s.pos; this.busy = s.busy;
    this.dueNs = s.dueNs; this.hostReady = s.hostReady; this.hostError = s.hostError; this.irq = s.irq;
    this.buf.set(s.buf);
    this.polls = 0;
    this.setIrq(this.irq && this.interruptsEnabled());
  }
}

/** ATA strings: space-padded, two characters per word, first character in the high byte. */
function putString(w: Uint16Array, at: number, len: number, s: string): void {
  const padded = s.padEnd(len, ' ');
  for (let i = 0; i < len; i += 2) w[at + i / 2] = (padded.charCodeAt(i) << 8) | padded.charCodeAt(i + 1);
}

// Shadow RAM under the BIOS ROM's low alias, switched by the i440FX PAM
// registers as on QEMU's pc machine. Each PAM area below 1 MiB that the ROM
// covers has RAM beneath it; its two bits choose where reads come from (ROM
// or RAM) and whether writes reach the RAM. A BIOS copies itself into the
// RAM (reads ROM, writes RAM), then runs from it (reads and writes RAM) and
// may lock it (reads RAM, writes dropped). What reads see is kept in the
// RAM array (so the CPU's fast paths read it as RAM); the other side, the
// RAM while reads come from the ROM, is kept here and is machine state.
// Areas the ROM does not cover stay plain RAM whatever PAM says.

import type { Cpu } from '../cpu/cpu.js';
import type { PhysicalMemory } from '../memory/phys.js';
import { PAM_AREAS, pamMode, type PamArea } from '../devices/pc-chipset.js';

const READ_RAM = 1;
const WRITE_RAM = 2;

export interface ShadowRamState {
  v: 1;
  /** Per PAM area (PAM_AREAS order): its mode, and the RAM hidden while reads come from the ROM (null if none). */
  modes: number[];
  hidden: (Uint8Array | null)[];
}

export class ShadowRam {
  private modes = PAM_AREAS.map(() => 0);
  private hidden: (Uint8Array | null)[] = PAM_AREAS.map(() => null);

  constructor(private readonly mem: PhysicalMemory, private readonly cpu: Cpu) {
    mem.readOnlyWrite = (addr, v) => this.hiddenWrite(addr, v);
  }

  /** Areas the ROM's low alias covers (none without a ROM). */
  private covered(a: PamArea): boolean {
    return a.base >= this.mem.romLowBase && a.base + a.size <= 0x100000;
  }

  /** The PAM registers changed: move each covered area to its new mode. */
  update(config: Uint8Array): void {
    let changed = false;
    PAM_AREAS.forEach((a, i) => {
      if (!this.covered(a)) return;
      const mode = pamMode(config, a);
      if (mode === this.modes[i]) return;
      this.switchArea(i, a, mode);
      changed = true;
    });
    if (changed) this.cpu.flushTlb();
  }

  private switchArea(i: number, a: PamArea, mode: number): void {
    const ram = this.mem.ram;
    const wasRam = (this.modes[i] & READ_RAM) !== 0;
    const isRam = (mode & READ_RAM) !== 0;
    if (wasRam !== isRam) {
      if (isRam) {
        ram.set(this.hidden[i] ?? new Uint8Array(a.size), a.base);
        this.hidden[i] = null;
      } else {
        this.hidden[i] = ram.slice(a.base, a.base + a.size);
        ram.set(this.mem.romLowBytes(a.base, a.size), a.base);
      }
      // Behind the CPU's back: dirty pages, decoded code, the T bit.
      for (let p = a.base; p < a.base + a.size; p += 4096) this.cpu.notePhysWrite(p, 4096);
    }
    this.modes[i] = mode;
    const ro = mode === (READ_RAM | WRITE_RAM) ? 0 : 1;
    this.mem.readOnly.fill(ro, a.base >>> 12, (a.base + a.size) >>> 12);
  }

  /** A write to a read-only page: it reaches the hidden RAM of an area that reads the ROM but writes RAM. */
  private hiddenWrite(addr: number, v: number): void {
    const i = PAM_AREAS.findIndex((a) => addr >= a.base && addr < a.base + a.size);
    if (i < 0 || this.modes[i] !== WRITE_RAM) return;
    const h = (this.hidden[i] ??= new Uint8Array(PAM_AREAS[i].size));
    h[addr - PAM_AREAS[i].base] = v;
  }

  save(): ShadowRamState {
    return { v: 1, modes: this.modes.slice(), hidden: this.hidden.map((h) => (h ? h.slice() : null)) };
  }

  /** Load modes and hidden RAM; the RAM array itself is the snapshot's. */
  load(s: ShadowRamState): void {
    if (s.v !== 1) throw new Error(`shadow RAM state: unknown version ${s.v}`);
    this.modes = s.modes.slice();
    this.hidden = s.hidden.map((h) => (h ? h.slice() : null));
    PAM_AREAS.forEach((a, i) => {
      if (!this.covered(a)) return;
      const ro = this.modes[i] === (READ_RAM | WRITE_RAM) ? 0 : 1;
      this.mem.readOnly.fill(ro, a.base >>> 12, (a.base + a.size) >>> 12);
    });
    this.cpu.flushTlb();
  }
}

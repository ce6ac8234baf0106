// The machine's state apart from RAM: CPU, every device, the guest clock and
// the isa-debug-exit status, as one versioned plain object made of the
// parts' own named save maps (CBOR-friendly: numbers, booleans, strings,
// Uint8Array). Checkpoints, snapshots and the state hash are built on it.

import { loadCpu, saveCpu, type CpuState } from '../cpu/cpu-state.js';
import type { PicPairState } from '../devices/pic-pair.js';
import type { Pit8254State } from '../devices/pit8254.js';
import type { CmosRtcState } from '../devices/cmos-rtc.js';
import type { Uart16550State } from '../devices/uart16550.js';
import type { AtaDiskState } from '../devices/ata.js';
import type { ClockState } from './clock.js';
import type { ChipsetState } from './chipset.js';
import type { Machine } from './machine.js';

export interface MachineState {
  v: 1;
  /** Checked on load: a state only fits a machine with the same RAM. */
  ramBytes: number;
  cpu: CpuState;
  clock: ClockState;
  pic: PicPairState;
  pit: Pit8254State;
  rtc: CmosRtcState;
  uart: Uart16550State;
  /** Null when the machine has no disk. */
  ata: AtaDiskState | null;
  /** isa-debug-exit status, -1 while the guest runs. */
  exitStatus: number;
  /** Port 0x92, i8042, PCI, shadow RAM; absent in states saved before they existed (power-on state). */
  chipset?: ChipsetState;
}

/** Everything but RAM. Reading it changes nothing in the machine. */
export function saveMachineState(m: Machine): MachineState {
  return {
    v: 1,
    ramBytes: m.mem.size,
    cpu: saveCpu(m.cpu),
    clock: m.clock.save(),
    pic: m.pic.save(),
    pit: m.pit.save(),
    rtc: m.rtc.save(),
    uart: m.uart.save(),
    ata: m.ata ? m.ata.save() : null,
    exitStatus: m.exitStatus,
    chipset: m.chipset.save(),
  };
}

/**
 * Load a state saved from a machine of the same configuration (RAM size,
 * clock mode, disk present or not). RAM is the caller's (snapshot.ts,
 * checkpoints.ts); the CPU's caches are dropped here, so RAM must be in
 * place first or be replaced through those modules.
 */
export function loadMachineState(m: Machine, s: MachineState): void {
  if (s.v !== 1) throw new Error(`machine state: unknown version ${String(s.v)}`);
  if (s.ramBytes !== m.mem.size) throw new Error(`machine state: saved with ${s.ramBytes} bytes of RAM, this machine has ${m.mem.size}`);
  if ((s.ata === null) !== (m.ata === undefined)) {
    throw new Error(`machine state: saved ${s.ata ? 'with' : 'without'} a disk, this machine has ${m.ata ? 'one' : 'none'}`);
  }
  m.clock.load(s.clock);
  m.pit.load(s.pit);
  m.rtc.load(s.rtc);
  m.uart.load(s.uart);
  if (s.ata && m.ata) m.ata.load(s.ata);
  if (s.chipset) m.chipset.load(s.chipset);
  // The PIC last: the devices above re-drive their IRQ lines as they load,
  // which could latch a request; the PIC's own saved state is the truth.
  m.pic.load(s.pic);
  m.exitStatus = s.exitStatus;
  // Also clears the exit request the devices' reschedule calls just made.
  loadCpu(m.cpu, s.cpu);
}

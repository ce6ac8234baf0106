// Whole-machine snapshots (CPU, devices, clock, RAM) held in memory, for
// going back in a replay session (replay-session.ts) and for tests; and the
// entry point to the checkpoint API (checkpoints.ts), which stores RAM as
// dirty pages and is what the log, seeking and the FT resync use.
//
// Restoring needs a machine built with the same options (RAM size, clock
// mode, disk or none). A BIOS image's ROM mapping is configuration, not
// state: load the same image into a fresh machine before restoring.
// Not in the state: the disk's contents (the backend's write overlay), the
// input source's position, and host I/O still in flight.

import type { Machine } from './machine.js';
import { loadMachineState, saveMachineState, type MachineState } from './machine-state.js';
import { writePage } from './ram-pages.js';
import { PAGE_SIZE } from '../memory/phys.js';

export { CheckpointTracker, applyCheckpoints, checkpointPageBytes, type Checkpoint, type TakeOptions } from './checkpoints.js';
export { saveMachineState, loadMachineState, type MachineState } from './machine-state.js';
export type { RamPage } from './ram-pages.js';

export interface Snapshot {
  v: 1;
  icount: number;
  state: MachineState;
  /** All of RAM. */
  ram: Uint8Array;
}

/**
 * A snapshot of `m` now. Pass an old snapshot of the same machine as `reuse`
 * to copy RAM into its buffer: fresh memory is costly to touch on some hosts
 * (a sandbox measured 300 ms to fault in 32 MiB, against 5 ms to copy).
 */
export function takeSnapshot(m: Machine, reuse?: Snapshot): Snapshot {
  let ram: Uint8Array;
  if (reuse && reuse.ram.length === m.mem.size) {
    ram = reuse.ram;
    ram.set(m.mem.ram);
  } else {
    ram = m.mem.ram.slice();
  }
  return { v: 1, icount: m.cpu.icount, state: saveMachineState(m), ram };
}

/** Put `m` back in the snapshot's state; only pages that differ are written (and reported as dirty). */
export function restoreSnapshot(m: Machine, s: Snapshot): void {
  if (s.v !== 1) throw new Error(`snapshot: unknown version ${String(s.v)}`);
  if (s.ram.length !== m.mem.size) throw new Error(`snapshot: ${s.ram.length} bytes of RAM, this machine has ${m.mem.size}`);
  for (let p = 0; p < m.mem.pages; p++) writePage(m, p, s.ram.subarray(p * PAGE_SIZE, (p + 1) * PAGE_SIZE));
  loadMachineState(m, s.state);
}

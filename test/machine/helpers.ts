// Machines for the snapshot, checkpoint and state-hash tests: fixtures
// booted with the virtual clock (deterministic), serial output collected
// with the icount of each byte so output after a point can be compared.

import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Machine } from '../../src/machine/machine.js';
import { loadMultiboot } from '../../src/machine/loaders.js';
import type { MachineInput } from '../../src/machine/machine.js';

export const FIXTURES = join(dirname(fileURLToPath(import.meta.url)), '../../fixtures');
/** 16 MiB: every fixture fits, and fresh machines (many per test) are cheaper to hash. */
export const RAM = 16 << 20;

export interface Booted {
  m: Machine;
  /** Serial output so far. */
  out: () => string;
  /** Serial output written at or after icount `from`. */
  outFrom: (from: number) => string;
}

/** A fixed input source: with the virtual clock, two machines of one fixture are then identical. */
export function fixedInput(): MachineInput {
  let r = 0x12345678;
  return {
    rdtsc: () => 0,
    // A fixed sequence, so RDRAND differs call to call but not run to run.
    rdrand: () => (r = (Math.imul(r, 1103515245) + 12345) >>> 0),
    clockNs: () => 0,
    peekClockNs: () => 0,
    wallClockMs: () => 1_700_000_000_123,
  };
}

export function boot(name: string, ramBytes = RAM): Booted {
  const bytes: number[] = [];
  const at: number[] = [];
  const m = new Machine({
    ramBytes,
    input: fixedInput(),
    clock: 'virtual',
    serial: (b) => {
      bytes.push(b);
      at.push(m.cpu.icount);
    },
  });
  m.load(loadMultiboot(new Uint8Array(readFileSync(join(FIXTURES, name))), ramBytes, ''));
  const text = (from: number): string => String.fromCharCode(...bytes.filter((_, i) => at[i] >= from));
  return { m, out: () => text(0), outFrom: text };
}

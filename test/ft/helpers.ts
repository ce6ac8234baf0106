import { DEFAULT_MACHINE_CONFIG, encodeMachineConfig, type MachineConfig } from '../../src/machine/config.js';
// FT checks on fixtures, in process: the engine with a fixture's plan, the
// released output collected, and `run`'s output for comparison.

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Machine } from '../../src/machine/machine.js';
import { loadMultiboot } from '../../src/machine/loaders.js';
import { Readable } from 'node:stream';
import { StreamByteSource } from '../../src/cli/serial-input.js';
import { MemoryDisk } from '../../src/devices/disk-backend.js';
import { HostInputSource } from '../../src/replay/input-source.js';
import { sha256Hex } from '../../src/replay/digest.js';
import { ftCheck, type FtCheckOptions } from '../../src/ft/checker.js';
import type { FtReport } from '../../src/ft/report.js';
import { parseInjection, type LooseSource } from '../../src/ft/inject.js';
import { FIXTURES, RAM } from '../machine/helpers.js';

export { FIXTURES, RAM };
export const SMALL_RAM = 4 << 20;

export interface FtRun {
  report: FtReport;
  /** Released output, all channels interleaved as stdout would get it. */
  out: string;
}

export interface FtTestOptions {
  inject?: string[];
  loose?: LooseSource[];
  slice?: number;
  maxLag?: number;
  clock?: 'host' | 'virtual';
  maxInsns?: number;
  ram?: number;
  /** A disk image in fixtures/: the primary reads it from memory, the secondary gets its own copy. */
  disk?: string;
  /** A file in fixtures/ for COM1's receiver. */
  serialIn?: string;
}

export async function ft(name: string, t: FtTestOptions = {}): Promise<FtRun> {
  const parts: Buffer[] = [];
  const report = await ftCheck(ftOptions(name, t, parts));
  return { report, out: Buffer.concat(parts).toString('latin1') };
}

/** The options ft() checks with; released output goes to `parts`. */
export function ftOptions(name: string, t: FtTestOptions, parts: Buffer[]): FtCheckOptions {
  const bytes = new Uint8Array(readFileSync(join(FIXTURES, name)));
  // Small RAM: each machine's fresh memory is costly to fault in here; these fixtures need little.
  const ram = t.ram ?? SMALL_RAM;
  const clock = t.clock ?? 'host';
  const plan = loadMultiboot(bytes, ram, '');
  const diskBytes = t.disk ? new Uint8Array(readFileSync(join(FIXTURES, t.disk))) : undefined;
  const config: MachineConfig = { ...DEFAULT_MACHINE_CONFIG, ram, imageArg: name, clock };
  return {
    image: name,
    setup: { plan, config },
    recorder: {
      ndBufferSize: 256,
      mhz: 1000,
      header: {
        toolVersion: 'test',
        machine: encodeMachineConfig(config),
        imagePath: name,
        imageSha256: sha256Hex(bytes),
        diskPath: null,
        diskSha256: null,
        clock,
      },
    },
    disk: t.disk ? { primary: new MemoryDisk(diskBytes!), bytes: diskBytes! } : undefined,
    serialIn: t.serialIn ? new StreamByteSource(Readable.from([readFileSync(join(FIXTURES, t.serialIn))])) : undefined,
    maxInsns: t.maxInsns,
    injections: (t.inject ?? []).map(parseInjection),
    loose: t.loose ?? [],
    slice: t.slice ?? 1_000_000,
    maxLag: t.maxLag ?? 5_000_000,
    release: (_ch, b) => parts.push(Buffer.from(b)),
    now: () => performance.now(),
  };
}

const runCache = new Map<string, { out: string; icount: number; reason: string; exitValue: number | null }>();

/** What `vmrr run` prints for a fixture whose output does not depend on time (cached). */
export function plainRun(name: string, clock: 'host' | 'virtual' = 'host', maxInsns?: number, disk?: string): { out: string; icount: number; reason: string; exitValue: number | null } {
  const key = `${name} ${clock} ${maxInsns} ${disk}`;
  const hit = runCache.get(key);
  if (hit) return hit;
  const bytes = new Uint8Array(readFileSync(join(FIXTURES, name)));
  let out = '';
  const m = new Machine({ ramBytes: RAM, input: new HostInputSource(1000), clock, mhz: 1000, serial: (b) => (out += String.fromCharCode(b)),
    disk: disk ? new MemoryDisk(new Uint8Array(readFileSync(join(FIXTURES, disk)))) : undefined });
  m.load(loadMultiboot(bytes, RAM, ''));
  const stop = m.run(maxInsns);
  const r = { out, icount: stop.icount, reason: stop.reason, exitValue: stop.exitValue ?? null };
  runCache.set(key, r);
  return r;
}

// Parsers for option values: each takes the raw string and returns the value
// or throws an OptionError whose message is one line, fit for `vmrr: <message>`.

import type { IoDelivery } from '../machine/scheduler.js';
import { MAX_MHZ, MAX_RAM, MIN_MHZ, MIN_RAM, type ClockMode } from '../machine/config.js';

/** A bad option value; the message is one line, fit for `vmrr: <message>`. */
export class OptionError extends Error {
  override name = 'OptionError';
}

/** Where --debugcon sends a port's bytes. */
export interface DebugconRoute {
  port: number;
  file: string;
}

export type ExitCodeMode = 'vmrr' | 'guest';

/** Where --gdb listens. */
export interface GdbAddress {
  host: string;
  port: number;
}

const KiB = 1024;
export const MiB = 1024 * KiB;
const GiB = 1024 * MiB;
export { MIN_RAM, MAX_RAM } from '../machine/config.js';

/** QEMU's -m syntax: a number with an optional K, M or G suffix; no suffix means MiB. */
export function parseRamSize(raw: string): number {
  const m = /^(\d+)\s*([KMG])?(?:i?B)?$/i.exec(raw.trim());
  if (!m) throw new OptionError(`--ram: '${raw}' is not a size (use e.g. 32M, 512M, 1G)`);
  const unit = { K: KiB, M: MiB, G: GiB }[(m[2] ?? 'M').toUpperCase() as 'K' | 'M' | 'G'];
  const bytes = Number(m[1]) * unit;
  if (bytes < MIN_RAM || bytes > MAX_RAM) throw new OptionError(`--ram: ${raw} is out of range (2M to 3G)`);
  if (bytes % (4 * KiB) !== 0) throw new OptionError(`--ram: ${raw} is not a multiple of 4K`);
  return bytes;
}

/** PORT:FILE, PORT in hex (0x402) or decimal. */
export function parseDebugcon(raw: string, previous: unknown): DebugconRoute[] {
  const m = /^(0x[0-9a-f]+|\d+):(.+)$/i.exec(raw);
  if (!m) throw new OptionError(`--debugcon: '${raw}' is not PORT:FILE (e.g. 0xe9:debug.log)`);
  const port = Number(m[1]);
  if (port > 0xffff) throw new OptionError(`--debugcon: port ${m[1]} is beyond 0xFFFF`);
  const list = Array.isArray(previous) ? (previous as DebugconRoute[]) : [];
  if (list.some((d) => d.port === port)) throw new OptionError(`--debugcon: port ${m[1]} given twice`);
  return [...list, { port, file: m[2] }];
}

/** A power of two from 1 to `max`, for the TLB geometry. */
export function parseTlbPower(flag: string, raw: string, max: number): number {
  const n = /^\d+$/.test(raw.trim()) ? Number(raw.trim()) : NaN;
  if (!Number.isSafeInteger(n) || n < 1 || n > max || (n & (n - 1)) !== 0) {
    throw new OptionError(`${flag}: '${raw}' is not a power of two from 1 to ${max}`);
  }
  return n;
}

/** A positive instruction count: digits (underscores allowed) or an exact power-of-ten form like 5e8. */
export function parseCount(raw: string): number {
  const s = raw.replace(/_/g, '');
  const n = /^\d+$/.test(s) || /^\d+(\.\d+)?e\d+$/i.test(s) ? Number(s) : NaN;
  if (!Number.isSafeInteger(n) || n < 1) throw new OptionError(`--max-insns: '${raw}' is not a positive whole number`);
  return n;
}

/** Largest --jit-threshold: beyond it the block compiler would in effect never run. */
export const MAX_JIT_THRESHOLD = 1_000_000_000;

/** A block-compiler threshold: a whole number from 0 (interpreter only) to MAX_JIT_THRESHOLD. */
export function parseJitThreshold(flag: string, raw: string): number {
  const s = raw.trim().replace(/_/g, '');
  const n = /^\d+$/.test(s) ? Number(s) : NaN;
  if (!Number.isSafeInteger(n) || n > MAX_JIT_THRESHOLD) {
    throw new OptionError(`${flag}: '${raw}' is not a whole number from 0 (interpreter only) to ${MAX_JIT_THRESHOLD}`);
  }
  return n;
}

export function parseClock(raw: string): ClockMode {
  if (raw === 'host' || raw === 'virtual') return raw;
  throw new OptionError(`--clock: '${raw}' is not one of: host, virtual`);
}

/** A nominal CPU speed in MHz: a number from 1 to 100000. */
export function parseMhz(raw: string): number {
  const n = /^\d+(\.\d+)?$/.test(raw.trim()) ? Number(raw) : NaN;
  if (!(n >= MIN_MHZ && n <= MAX_MHZ)) throw new OptionError(`--mhz: '${raw}' is not a speed from 1 to 100000 (MHz)`);
  return n;
}

/** Longest nominal disk time accepted: 10 s of guest time per command or sector. */
const MAX_DISK_NS = 10_000_000_000;
const NS_PER_UNIT = { ns: 1, us: 1e3, ms: 1e6, s: 1e9 } as const;

/** A guest duration for the disk model: nanoseconds, or a whole number with ns, us, ms or s. */
function parseDiskNs(flag: string, raw: string): number {
  const m = /^(\d+)(ns|us|ms|s)?$/.exec(raw.trim());
  const ns = m ? Number(m[1]) * NS_PER_UNIT[(m[2] ?? 'ns') as keyof typeof NS_PER_UNIT] : NaN;
  if (!(ns >= 0 && ns <= MAX_DISK_NS)) {
    throw new OptionError(`${flag}: '${raw}' is not a time from 0 to 10s (nanoseconds, or e.g. 20us, 5ms)`);
  }
  return ns;
}

export const parseDiskLatency = (raw: string): number => parseDiskNs('--disk-latency', raw);
export const parseDiskSectorTime = (raw: string): number => parseDiskNs('--disk-sector-time', raw);

export function parseIoDelivery(raw: string): IoDelivery {
  if (raw === 'nominal' || raw === 'safepoint') return raw;
  throw new OptionError(`--io-delivery: '${raw}' is not one of: nominal, safepoint`);
}

export function parseExitCodeMode(raw: string): ExitCodeMode {
  if (raw === 'vmrr' || raw === 'guest') return raw;
  throw new OptionError(`--exit-code: '${raw}' is not one of: vmrr, guest`);
}

/** [HOST:]PORT for --gdb: PORT 0 lets the system pick one; HOST defaults to loopback. */
export function parseGdbAddress(raw: string): GdbAddress {
  const m = /^(?:(.*):)?(\d+)$/.exec(raw.trim());
  const port = m ? Number(m[2]) : NaN;
  if (!m || !(port >= 0 && port <= 65535)) throw new OptionError(`--gdb: '${raw}' is not [HOST:]PORT (e.g. 1234, 127.0.0.1:1234, 0 for any free port)`);
  const host = m[1] === undefined || m[1] === '' ? '127.0.0.1' : m[1].replace(/^\[(.*)\]$/, '$1');
  return { host, port };
}

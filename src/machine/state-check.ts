// The validated decode layer for machine states read from outside (a log's
// checkpoints, an FT resync): nothing reaches a device's load() before it is
// checked here. A state must have the shape of the state this machine saves
// itself (the same keys, kinds, versions and fixed lengths; ata present
// exactly when the machine has a disk), and the fields a device uses as an
// index or a count must be in range. Anything else is a StateError naming
// the field.

import type { Machine } from './machine.js';
import { saveMachineState, type MachineState } from './machine-state.js';

/** A saved state that does not fit this machine: exit status 2 at the CLI, never a crash. */
export class StateError extends Error {
  override name = 'StateError';
}

/** Fields whose length may differ from the template's, with their limits. */
const VARIABLE: Record<string, number> = {
  'cpu.faultChain': 3,
  'ata.buf': 256 * 512,
};

/**
 * Fields a state may lack (added to the state after version 1 of a device;
 * the device's load() gives them their power-on value).
 */
const OPTIONAL = new Set<string>(['chipset', 'cpu.msrs']);

/** Fields (or, with [], elements of an array field) that are null or a value of this kind. */
const NULLABLE: Record<string, string> = { 'chipset.shadow.hidden[]': 'Uint8Array' };
/** Text fields that are settings the machine was built with: they must be this machine's. */
const SETTINGS = new Set(['clock.mode']);

/** Save maps whose newest version this machine may not write now (the CPU writes 2 only with the x87 in use). */
const NEWEST: Record<string, number> = { 'cpu.v': 2 };

/** Integer fields and their ranges (inclusive), beyond the shape. */
const RANGES: Record<string, [number, number]> = {
  'cpu.cpl': [0, 3],
  'cpu.eip': [0, 0xffffffff],
  'cpu.icount': [0, Number.MAX_SAFE_INTEGER],
  'rtc.index': [0, 127],
  'uart.rxHead': [0, 15],
  'uart.rxCount': [0, 16],
  'uart.divisor': [0, 0xffff],
  'ata.pos': [0, 256 * 512],
  'ata.left': [0, 65536],
  'ata.op': [0, 255],
  'exitStatus': [-1, 0xffffffff],
};
const ELEMENT_RANGES: Record<string, [number, number]> = {
  'cpu.sreg': [0, 0xffff],
  'cpu.regs': [-0x80000000, 0xffffffff],
  'cpu.segBase': [0, 0xffffffff],
  'cpu.segLimit': [0, 0xffffffff],
};
/** Per-PIT-channel fields. */
const CHANNEL_RANGES: Record<string, [number, number]> = {
  mode: [0, 5],
  access: [0, 3],
  reload: [0, 0xffff],
  latchBytes: [0, 2],
  writeLow: [0, 0xff],
};

const kindOf = (v: unknown): string => {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  // A Buffer (what some CBOR decoders give) is a Uint8Array.
  if (v instanceof Uint8Array) return 'Uint8Array';
  if (ArrayBuffer.isView(v)) return (v as object).constructor.name;
  return typeof v;
};

function fail(path: string, what: string): never {
  throw new StateError(`state field '${path}' ${what}`);
}

function checkNumber(path: string, v: number, range: [number, number] | undefined): void {
  if (Number.isNaN(v)) fail(path, 'is NaN');
  if (!range) return;
  if (!Number.isInteger(v) || v < range[0] || v > range[1]) fail(path, `is ${v}, not an integer from ${range[0]} to ${range[1]}`);
}

/** `raw` must look like `template` at `path`. */
function checkLike(raw: unknown, template: unknown, path: string, key: string): void {
  const want = kindOf(template), got = kindOf(raw);
  if (got === 'undefined' && OPTIONAL.has(path)) return;
  const nullable = NULLABLE[path] ?? NULLABLE[path.replace(/\[\d+\]$/, '[]')];
  if (nullable && (got === 'null' || got === nullable) && (want === 'null' || want === nullable)) {
    if (got === 'Uint8Array' && (raw as Uint8Array).length > 1 << 20) fail(path, 'is over 1 MiB');
    return;
  }
  if (want !== got) fail(path, `is ${got === 'undefined' ? 'missing' : `a ${got}`}, not a ${want}`);
  // A save map's version: one this vmrr knows (its own or older; load() reads older ones).
  if (key === 'v') return checkNumber(path, raw as number, [1, Math.max(template as number, NEWEST[path] ?? 0)]);
  if (typeof raw === 'number') return checkNumber(path, raw, RANGES[path]);
  if (typeof raw === 'string') {
    if (SETTINGS.has(path) && raw !== template) fail(path, `is ${JSON.stringify(raw)}; this machine has ${JSON.stringify(template)}`);
    if (raw.length > 200) fail(path, 'is a string of over 200 characters');
    return;
  }
  if (ArrayBuffer.isView(raw)) {
    const n = (raw as Uint8Array).length, m = (template as Uint8Array).length;
    const limit = VARIABLE[path];
    if (limit === undefined ? n !== m : n > limit) fail(path, `has ${n} elements (${limit === undefined ? `${m} expected` : `at most ${limit}`})`);
    return;
  }
  if (Array.isArray(raw)) {
    const t = template as unknown[];
    const limit = VARIABLE[path];
    if (limit === undefined ? raw.length !== t.length : raw.length > limit) {
      fail(path, `has ${raw.length} elements (${limit === undefined ? `${t.length} expected` : `at most ${limit}`})`);
    }
    const er = ELEMENT_RANGES[path];
    raw.forEach((x, i) => {
      const ti = t.length > 0 ? t[Math.min(i, t.length - 1)] : x;
      if (er && typeof x === 'number') return checkNumber(`${path}[${i}]`, x, er);
      if (path === 'pit.channels') return checkChannel(x, ti, `${path}[${i}]`);
      // A variable array with no template element (an empty fault chain): elements must be numbers.
      if (t.length === 0 && typeof x !== 'number') fail(`${path}[${i}]`, `is a ${kindOf(x)}, not a number`);
      checkLike(x, ti, `${path}[${i}]`, String(i));
    });
    return;
  }
  if (got === 'object') {
    const r = raw as Record<string, unknown>, tm = template as Record<string, unknown>;
    for (const k of Object.keys(tm)) {
      if (path === 'cpu' && k === 'fpu') continue;
      checkLike(r[k], tm[k], path === '' ? k : `${path}.${k}`, k);
    }
    for (const k of Object.keys(r)) {
      // The x87 is saved only when it is not in its FNINIT state: present or absent whatever this machine's is now.
      if (path === 'cpu' && k === 'fpu') checkFpu(r.fpu);
      else if (!(k in tm)) fail(path === '' ? k : `${path}.${k}`, 'is not a field of this machine\'s state');
    }
  }
}

const U32: [number, number] = [0, 0xffffffff];

function checkFpu(raw: unknown): void {
  if (raw === undefined) return;
  if (kindOf(raw) !== 'object') fail('cpu.fpu', `is a ${kindOf(raw)}, not a map`);
  const f = raw as Record<string, unknown>;
  const num = (k: string, range: [number, number]): void => {
    if (typeof f[k] !== 'number') fail(`cpu.fpu.${k}`, `is ${kindOf(f[k])}, not a number`);
    checkNumber(`cpu.fpu.${k}`, f[k] as number, range);
  };
  for (const k of ['cw', 'sw', 'fop', 'fcs', 'fds']) num(k, [0, 0xffff]);
  num('top', [0, 7]);
  for (const k of ['fip', 'fdp']) num(k, U32);
  const arr = (k: string, n: number): unknown[] => {
    const v = f[k];
    if (!Array.isArray(v) || v.length !== n) fail(`cpu.fpu.${k}`, `is not an array of ${n}`);
    return v as unknown[];
  };
  arr('val', 16).forEach((x, i) => (typeof x === 'number' ? checkNumber(`cpu.fpu.val[${i}]`, x, [-0x80000000, 0xffffffff]) : fail(`cpu.fpu.val[${i}]`, 'is not a number')));
  arr('empty', 8).forEach((x, i) => typeof x !== 'boolean' && fail(`cpu.fpu.empty[${i}]`, 'is not a boolean'));
  arr('raw', 8).forEach((x, i) => {
    if (x === null) return;
    const ranges: [number, number][] = [[0, 1], [0, 0x7fff], U32, U32];
    if (!Array.isArray(x) || x.length !== 4) fail(`cpu.fpu.raw[${i}]`, 'is not null or [sign, exponent, mantissa high, mantissa low]');
    (x as unknown[]).forEach((y, j) => (typeof y === 'number' ? checkNumber(`cpu.fpu.raw[${i}][${j}]`, y, ranges[j]) : fail(`cpu.fpu.raw[${i}][${j}]`, 'is not a number')));
  });
  if (f.ferr !== undefined && typeof f.ferr !== 'boolean') fail('cpu.fpu.ferr', 'is not a boolean');
  const known = new Set(['cw', 'sw', 'top', 'val', 'empty', 'raw', 'fip', 'fcs', 'fop', 'fdp', 'fds', 'ferr']);
  for (const k of Object.keys(f)) if (!known.has(k)) fail(`cpu.fpu.${k}`, 'is not a field of the x87 state');
}

function checkChannel(raw: unknown, template: unknown, path: string): void {
  checkLike(raw, template, `${path}`, 'channel');
  const c = raw as Record<string, unknown>;
  for (const [k, range] of Object.entries(CHANNEL_RANGES)) checkNumber(`${path}.${k}`, c[k] as number, range);
}

/**
 * Check a state read from outside against `m` (its own saved state is the
 * template) before anything is applied; returns it typed.
 */
export function checkMachineState(m: Machine, raw: unknown): MachineState {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw new StateError('the machine state is not a map');
  const s = raw as Record<string, unknown>;
  if (typeof s.v !== 'number' || !Number.isInteger(s.v) || s.v < 1 || s.v > 1) {
    throw new StateError(`the machine state has version ${typeof s.v === 'number' ? s.v : 'none'}; this vmrr reads version 1`);
  }
  if (s.ramBytes !== m.mem.size) throw new StateError(`the machine state was saved with ${String(s.ramBytes)} bytes of RAM; this machine has ${m.mem.size}`);
  const template = saveMachineState(m);
  if ((s.ata === null) !== (template.ata === null)) {
    throw new StateError(`the machine state was saved ${s.ata === null ? 'without' : 'with'} a disk; this machine has ${template.ata ? 'one' : 'none'}`);
  }
  checkLike(raw, template, '', '');
  return raw as unknown as MachineState;
}

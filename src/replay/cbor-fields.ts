// Typed access to decoded CBOR maps. Frame bodies come from disk, so every
// field is checked before use; a wrong one raises FormatError naming it.

import { Encoder } from 'cbor-x';
import { FormatError } from './log-error.js';

export type CborMap = Record<string, unknown>;

/**
 * A cbor-x codec producing plain CBOR: maps as maps (no cbor-x record
 * extension), byte strings untagged (no tag 64), so other CBOR tools read
 * the log. One per reader or writer: encoders keep internal buffers.
 */
export function makeCbor(): Encoder {
  return new Encoder({
    useRecords: false,
    mapsAsObjects: true,
    tagUint8Array: false,
    variableMapSize: true,
  });
}

export function asMap(v: unknown, what: string): CborMap {
  if (typeof v !== 'object' || v === null || Array.isArray(v) || v instanceof Uint8Array) {
    throw new FormatError(`${what} is not a map`);
  }
  return v as CborMap;
}

export function uintField(m: CborMap, key: string, max = Number.MAX_SAFE_INTEGER): number {
  const v = m[key];
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0 || v > max) {
    throw new FormatError(`field '${key}' is ${describe(v)}, not an integer from 0 to ${max}`);
  }
  return v;
}

export function optUintField(m: CborMap, key: string, max = Number.MAX_SAFE_INTEGER): number | null {
  return m[key] === undefined || m[key] === null ? null : uintField(m, key, max);
}

export function strField(m: CborMap, key: string): string {
  const v = m[key];
  if (typeof v !== 'string') throw new FormatError(`field '${key}' is ${describe(v)}, not a string`);
  return v;
}

export function optStrField(m: CborMap, key: string): string | null {
  return m[key] === undefined || m[key] === null ? null : strField(m, key);
}

export function bytesField(m: CborMap, key: string, length = -1): Uint8Array {
  const v = m[key];
  if (!(v instanceof Uint8Array)) throw new FormatError(`field '${key}' is ${describe(v)}, not a byte string`);
  if (length >= 0 && v.length !== length) throw new FormatError(`field '${key}' has ${v.length} bytes, not ${length}`);
  return v;
}

export function arrayField(m: CborMap, key: string): unknown[] {
  const v = m[key];
  if (!Array.isArray(v)) throw new FormatError(`field '${key}' is ${describe(v)}, not an array`);
  return v;
}

export function describe(v: unknown): string {
  if (v === undefined) return 'missing';
  if (v === null) return 'null';
  if (v instanceof Uint8Array) return `a byte string`;
  if (Array.isArray(v)) return 'an array';
  if (typeof v === 'string') return `the string ${JSON.stringify(v.length > 20 ? v.slice(0, 20) + '...' : v)}`;
  if (typeof v === 'number') return String(v);
  return `a ${typeof v}`;
}

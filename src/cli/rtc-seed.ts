// The two options that make a virtual-clock run bit-reproducible: where the
// RTC starts (--rtc-base, as QEMU's -rtc base=) and the RDRAND/RDSEED seed
// (--seed). The host's time itself is read by the input source, never here.
import { civilFromDays, daysFromCivil } from '../devices/calendar.js';
import type { ClockMode, RtcBase } from '../machine/config.js';
import { OptionError } from './option-values.js';

/** Where a virtual-clock RTC starts without --rtc-base or SOURCE_DATE_EPOCH: 2000-01-01T00:00:00Z. */
export const VIRTUAL_RTC_BASE_MS = 946_684_800_000;

/** `utc`, `localtime`, or a date as QEMU takes it: 2006-06-17 or 2006-06-17T16:01:21 (the time the RTC shows). */
export function parseRtcBase(raw: string): RtcBase {
  const s = raw.trim();
  if (s === 'utc' || s === 'localtime') return s;
  const m = /^(\d{4})-(\d{2})-(\d{2})(?:T(\d{2}):(\d{2}):(\d{2}))?Z?$/.exec(s);
  const bad = (): never => {
    throw new OptionError(`--rtc-base: '${raw}' is not utc, localtime or a date like 2006-06-17T16:01:21`);
  };
  if (!m) return bad();
  const [y, mo, d, h = 0, mi = 0, se = 0] = m.slice(1).map((v) => (v === undefined ? undefined : Number(v))) as number[];
  const days = daysFromCivil(y, mo, d);
  const back = civilFromDays(days);
  if (back.year !== y || back.month !== mo || back.day !== d || h > 23 || mi > 59 || se > 59) return bad();
  return ((days * 24 + h) * 60 + mi) * 60_000 + se * 1000;
}

/** An RDRAND/RDSEED seed: a whole number from 0 to 2^32-1. */
export function parseSeed(raw: string): number {
  const s = raw.trim();
  const n = /^\d+$/.test(s) ? Number(s) : /^0x[0-9a-f]+$/i.test(s) ? Number.parseInt(s.slice(2), 16) : NaN;
  if (!(Number.isSafeInteger(n) && n <= 0xffffffff)) throw new OptionError(`--seed: '${raw}' is not a whole number from 0 to 4294967295`);
  return n;
}

/**
 * The RTC base without --rtc-base: SOURCE_DATE_EPOCH (seconds) when set, else a
 * fixed date with the virtual clock (a reproducible run reads no host time)
 * and the host's UTC time with the host clock.
 */
export function defaultRtcBase(clock: ClockMode, env: Record<string, string | undefined>): RtcBase {
  const sde = env.SOURCE_DATE_EPOCH;
  if (sde !== undefined && sde !== '') {
    if (!/^\d+$/.test(sde.trim())) throw new OptionError(`SOURCE_DATE_EPOCH: '${sde}' is not a whole number of seconds since 1970-01-01`);
    return Number(sde.trim()) * 1000;
  }
  return clock === 'virtual' ? VIRTUAL_RTC_BASE_MS : 'utc';
}

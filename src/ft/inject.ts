// Faults injected into the FT secondary (--inject) and the inputs it takes
// from its own host instead of the primary (--loose). Parsing only; the
// secondary applies register and memory flips at their icounts, and
// drop-filter.ts removes dropped values from what it reads off the link.

/** A bad --inject or --loose value; one line, mapped to exit status 2 by the CLI. */
export class InjectSpecError extends Error {
  override name = 'InjectSpecError';
}

export const REG_NAMES = ['eax', 'ecx', 'edx', 'ebx', 'esp', 'ebp', 'esi', 'edi', 'eip', 'eflags'] as const;
export type RegName = (typeof REG_NAMES)[number];
/** ND kinds (the log's entry kinds) and event kinds, as drop:KIND names them. */
export const DROP_KINDS = ['rdtsc', 'rdrand', 'rdseed', 'clock', 'timer', 'serial', 'disk', 'key'] as const;
export type DropKind = (typeof DROP_KINDS)[number];
export const LOOSE_SOURCES = ['rdtsc', 'rdrand', 'timer'] as const;
export type LooseSource = (typeof LOOSE_SOURCES)[number];

export type Injection =
  | { kind: 'reg'; spec: string; reg: RegName; mask: number; icount: number }
  | { kind: 'mem'; spec: string; addr: number; mask: number; icount: number }
  /** Drop the `n`th (from 1) value or event of `what` in the primary's stream. */
  | { kind: 'drop'; spec: string; what: DropKind; n: number };

const NUM = /^(0x[0-9a-f_]+|\d[\d_]*)$/i;

function num(raw: string, what: string, spec: string, min: number, max: number): number {
  if (!NUM.test(raw)) throw bad(spec, `${what} '${raw}' is not a number`);
  const n = Number(raw.replace(/_/g, ''));
  if (!Number.isSafeInteger(n) || n < min || n > max) throw bad(spec, `${what} ${raw} is not from ${min} to ${max}`);
  return n;
}

function bad(spec: string, why: string): InjectSpecError {
  return new InjectSpecError(`--inject: '${spec}': ${why} (forms: reg:NAME:XORMASK@ICOUNT, mem:PHYSADDR:XORMASK@ICOUNT, drop:KIND@N)`);
}

/** One --inject value; throws InjectSpecError with one line on a bad spec. */
export function parseInjection(spec: string): Injection {
  const at = spec.lastIndexOf('@');
  if (at < 0) throw bad(spec, "no '@'");
  const head = spec.slice(0, at).split(':');
  const pos = spec.slice(at + 1);
  switch (head[0]) {
    case 'reg': {
      if (head.length !== 3) throw bad(spec, 'reg needs NAME:XORMASK');
      const reg = head[1].toLowerCase() as RegName;
      if (!REG_NAMES.includes(reg)) throw bad(spec, `unknown register '${head[1]}' (one of ${REG_NAMES.join(', ')})`);
      const mask = num(head[2], 'XORMASK', spec, 1, 0xffffffff);
      return { kind: 'reg', spec, reg, mask, icount: num(pos, 'ICOUNT', spec, 0, Number.MAX_SAFE_INTEGER) };
    }
    case 'mem': {
      if (head.length !== 3) throw bad(spec, 'mem needs PHYSADDR:XORMASK');
      const addr = num(head[1], 'PHYSADDR', spec, 0, 0xffffffff);
      const mask = num(head[2], 'XORMASK', spec, 1, 0xff);
      return { kind: 'mem', spec, addr, mask, icount: num(pos, 'ICOUNT', spec, 0, Number.MAX_SAFE_INTEGER) };
    }
    case 'drop': {
      if (head.length !== 2) throw bad(spec, 'drop needs KIND');
      const what = head[1].toLowerCase() as DropKind;
      if (!DROP_KINDS.includes(what)) throw bad(spec, `unknown kind '${head[1]}' (one of ${DROP_KINDS.join(', ')})`);
      return { kind: 'drop', spec, what, n: num(pos, 'N', spec, 1, Number.MAX_SAFE_INTEGER) };
    }
    default:
      throw bad(spec, `unknown fault '${head[0]}'`);
  }
}

/** --loose rdtsc,rdrand,timer. */
export function parseLoose(raw: string): LooseSource[] {
  const out: LooseSource[] = [];
  for (const s of raw.split(',').map((x) => x.trim().toLowerCase()).filter((x) => x !== '')) {
    if (!LOOSE_SOURCES.includes(s as LooseSource)) {
      throw new InjectSpecError(`--loose: '${s}' is not one of: ${LOOSE_SOURCES.join(', ')}`);
    }
    if (!out.includes(s as LooseSource)) out.push(s as LooseSource);
  }
  if (out.length === 0) throw new InjectSpecError('--loose: no source given (use e.g. rdtsc,rdrand,timer)');
  return out;
}

/** Where an injection stands at the end of a check, for the report. */
export interface InjectionOutcome {
  spec: string;
  /** Applied to the secondary (false: its point was never reached, or skipped over by a resync). */
  applied: boolean;
  /** The secondary's icount when it was applied (for drop: the dropped value's or event's icount). */
  icount: number | null;
}

// The one way --json objects are written: floats rounded to what they can
// mean (no 0.007313789000000014), everything else as JSON.stringify gives it.

/** Decimals kept for a non-integer number, by its key (docs/cli-json.md "Numbers"). */
function decimalsFor(key: string): number {
  if (/Seconds$/.test(key)) return 3;
  if (/Ms$/.test(key)) return 1;
  if (key === 'mips') return 2;
  if (/Share$/.test(key)) return 4;
  return 6;
}

/** A number rounded for its key; integers and non-finite values pass unchanged. */
export function roundFor(key: string, v: number): number {
  if (Number.isInteger(v) || !Number.isFinite(v)) return v;
  const f = 10 ** decimalsFor(key);
  return Math.round(v * f) / f;
}

/** JSON text of a command's report, floats rounded. */
export function jsonText(value: unknown): string {
  return JSON.stringify(value, (key, v) => (typeof v === 'number' ? roundFor(key, v) : v));
}

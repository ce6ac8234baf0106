// --json numbers: floats rounded by what they measure, integers untouched.
import { describe, expect, it } from 'vitest';
import { jsonText, roundFor } from '../../src/cli/json-out.js';
import { ensureBuilt, vmrr } from './helpers.js';

describe('JSON rounding', () => {
  it('seconds to 3 decimals, milliseconds to 1, MIPS to 2, other floats to 6; integers and hex strings unchanged', () => {
    expect(roundFor('wallSeconds', 0.007313789000000014)).toBe(0.007);
    expect(roundFor('pausedMs', 87.123456)).toBe(87.1);
    expect(roundFor('mips', 21.96354613558624)).toBe(21.96);
    expect(roundFor('ratio', 1 / 3)).toBe(0.333333);
    expect(roundFor('icount', 123456789012)).toBe(123456789012);
    expect(JSON.parse(jsonText({ a: { wallSeconds: 1.23456, n: 7, h: '0x1' }, list: [0.1 + 0.2] }))).toEqual({ a: { wallSeconds: 1.235, n: 7, h: '0x1' }, list: [0.3] });
  });

  it('vmrr run --json prints rounded wallSeconds and mips', () => {
    ensureBuilt();
    const r = vmrr(['run', '--json', 'fixtures/alu.mb']);
    expect(r.status, r.stderr).toBe(0);
    const text = r.stdout;
    expect(text).toMatch(/"wallSeconds":\d+(\.\d{1,3})?,/);
    expect(text).toMatch(/"mips":\d+(\.\d{1,2})?[,}]/);
  });
});

// Bit-reproducible virtual runs: with --clock virtual and --seed, two
// recordings of the same guest are identical after the header, and ft-check's
// state hashes agree; --rtc-base and SOURCE_DATE_EPOCH set the RTC's start,
// which the header records; no host time reaches any frame.
import { readFileSync, rmSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FRAME_HEADER_BYTES, PREAMBLE_BYTES } from '../../src/replay/log-format.js';
import { HostInputSource } from '../../src/replay/input-source.js';
import { parseRtcBase, parseSeed, VIRTUAL_RTC_BASE_MS } from '../../src/cli/rtc-seed.js';
import type { InspectReport } from '../../src/cli/inspect.js';
import { ensureBuilt, expectUsageError, tempFiles, vmrr } from './helpers.js';

beforeAll(ensureBuilt, 120_000);

const t = tempFiles({});
afterAll(() => rmSync(t.dir, { recursive: true, force: true }));

/** The log's bytes after its preamble and header frame. */
function afterHeader(path: string): Buffer {
  const b = readFileSync(path);
  return b.subarray(PREAMBLE_BYTES + FRAME_HEADER_BYTES + b.readUInt32LE(PREAMBLE_BYTES));
}

function record(name: string, args: string[], env: Record<string, string> = {}): string {
  const log = t.path(name);
  const r = vmrr(['record', ...args, 'fixtures/nondet.mb', '-o', log], env);
  expect(r.status, r.stderr).toBe(0);
  return log;
}

function inspect(log: string): InspectReport {
  const r = vmrr(['inspect', '--json', log]);
  expect(r.status, r.stderr).toBe(0);
  return JSON.parse(r.stdout) as InspectReport;
}

describe('reproducible virtual-clock runs', () => {
  it('two recordings with --clock virtual --seed 1 are byte for byte identical after the header; without --seed they differ (RDRAND)', () => {
    const a = record('a.vmrr', ['--clock', 'virtual', '--seed', '1']);
    const b = record('b.vmrr', ['--clock', 'virtual', '--seed', '1']);
    expect(afterHeader(a).length).toBeGreaterThan(100);
    expect(afterHeader(a).equals(afterHeader(b))).toBe(true);
    const c = record('c.vmrr', ['--clock', 'virtual', '--seed', '2']);
    expect(afterHeader(a).equals(afterHeader(c))).toBe(false);
    const d = record('d.vmrr', ['--clock', 'virtual']);
    const e = record('e.vmrr', ['--clock', 'virtual']);
    expect(afterHeader(d).equals(afterHeader(e))).toBe(false);
    // The end frame holds no host time.
    expect(Object.keys(inspect(a).end?.stats ?? {})).not.toContain('wallMs');
    const h = inspect(a).header.machine as Record<string, unknown>;
    expect(h.wallClockMs).toBe(VIRTUAL_RTC_BASE_MS);
    expect(h.seed).toBe(1);
  }, 120_000);

  it('ft-check --json: identical seeded virtual runs give identical state hashes', () => {
    const run = (): { primary: { hash: string }; secondary: { hash: string } } => {
      const r = vmrr(['ft-check', '--clock', 'virtual', '--seed', '7', '--json', 'fixtures/nondet.mb']);
      expect(r.status, r.stderr).toBe(0);
      return JSON.parse(r.stdout);
    };
    const a = run();
    const b = run();
    expect(a.primary.hash).toBe(b.primary.hash);
    expect(a.secondary.hash).toBe(a.primary.hash);
  }, 120_000);

  it('--rtc-base DATE and SOURCE_DATE_EPOCH set where the RTC starts (the header\'s wallClockMs); bad values exit 2', () => {
    const wall = (log: string): unknown => (inspect(log).header.machine as Record<string, unknown>).wallClockMs;
    expect(wall(record('r1.vmrr', ['--rtc-base', '2006-06-17T16:01:21']))).toBe(1150560081000);
    expect(wall(record('r2.vmrr', [], { SOURCE_DATE_EPOCH: '1000000000' }))).toBe(1e12);
    // An explicit --rtc-base wins over SOURCE_DATE_EPOCH.
    expect(wall(record('r3.vmrr', ['--clock', 'virtual', '--rtc-base', '2006-06-17'], { SOURCE_DATE_EPOCH: '1000000000' }))).toBe(1150502400000);
    // utc reads the host's time: about when the log was created.
    const r4 = record('r4.vmrr', ['--rtc-base', 'utc']);
    expect(Math.abs((wall(r4) as number) - Date.parse(inspect(r4).header.created))).toBeLessThan(60_000);
    expectUsageError(vmrr(['run', '--rtc-base', '2006-02-30', 'fixtures/alu.mb']), /--rtc-base: '2006-02-30' is not utc, localtime or a date/, expect);
    expectUsageError(vmrr(['run', '--seed', '-1', 'fixtures/alu.mb']), /--seed: '-1' is not a whole number/, expect);
    expectUsageError(vmrr(['run', 'fixtures/alu.mb'], { SOURCE_DATE_EPOCH: 'soon' }), /SOURCE_DATE_EPOCH: 'soon'/, expect);
  }, 120_000);
});

describe('--rtc-base and --seed values', () => {
  it('parses dates as the time the RTC shows, utc and localtime; refuses impossible dates', () => {
    expect(parseRtcBase('2006-06-17T16:01:21')).toBe(1150560081000);
    expect(parseRtcBase('1970-01-01')).toBe(0);
    expect(parseRtcBase('utc')).toBe('utc');
    expect(parseRtcBase('localtime')).toBe('localtime');
    for (const bad of ['2006-13-01', '2006-02-29', '2006-06-17T24:00:00', 'yesterday', '']) expect(() => parseRtcBase(bad)).toThrow(/--rtc-base/);
    expect(parseSeed('0')).toBe(0);
    expect(parseSeed('0xffffffff')).toBe(0xffffffff);
    expect(() => parseSeed('4294967296')).toThrow(/--seed/);
  });

  it('a seeded host source gives the same RDRAND sequence every time, another seed another one, and a fixed RTC base', () => {
    const seq = (seed: number): number[] => {
      const h = new HostInputSource(1000, { seed, rtcBase: 5000 });
      expect(h.wallClockMs()).toBe(5000);
      return Array.from({ length: 64 }, (_, i) => h.rdrand(i % 2 ? 16 : 32, false));
    };
    expect(seq(1)).toEqual(seq(1));
    expect(seq(1)).not.toEqual(seq(2));
    expect(new Set(seq(0)).size).toBeGreaterThan(60);
    expect(seq(3).filter((_, i) => i % 2).every((v) => v <= 0xffff)).toBe(true);
  });
});

// The FT check end to end in process: without faults nothing diverges and the
// released output is `run`'s; each fault kind is reported at or after its
// point, resynced, with the released output still `run`'s and equal final
// hashes; a loose secondary diverges by itself and is corrected every time.

import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { FIXTURES, ft, plainRun, SMALL_RAM } from './helpers.js';
import type { FtReport } from '../../src/ft/report.js';

function expectCorrected(r: FtReport): void {
  expect(r.verdict, JSON.stringify(r.divergences)).toEqual({
    protectedToEnd: true, corrected: true, releasedEqualsPrimary: true, hashesEqualAfterResyncs: true, finalHashesEqual: true, ok: true,
  });
  for (const d of r.divergences) expect(d.resync).not.toBeNull();
  for (const s of r.resyncs) {
    expect(s.hashEqual).toBe(true);
    // Only what was dirtied since the last common point travels, far less than RAM.
    expect(s.pageBytes).toBeLessThan(s.ramBytes / 8);
    expect(s.ramBytes).toBe(SMALL_RAM);
  }
  expect(r.primary.hash).toBe(r.secondary.hash);
  expect(r.output.released).toBe(r.output.produced);
}

describe('ft-check without faults', () => {
  it.each([
    ['alu.mb', 'host'],
    ['bench-short.mb', 'host'],
    ['timer.mb', 'host'],
    ['string.mb', 'virtual'],
    ['timer.mb', 'virtual'],
  ] as const)('%s (%s clock): no divergence, no resync, released output identical to run', async (name, clock) => {
    const { report, out } = await ft(name, { clock, slice: 200_000 });
    expect(report.divergences).toEqual([]);
    expect(report.resyncs).toEqual([]);
    expectCorrected(report);
    expect(out).toBe(plainRun(name).out);
    expect(report.primary.reason).toBe('exit');
    expect(report.primary.exitValue).toBe(1);
    expect(report.secondary.executed).toBe(report.primary.icount);
    expect(report.output.maxHeldBytes).toBeGreaterThan(0);
  }, 60_000);
});

describe('ft-check with a fault injected into the secondary (alu.mb, a CPU fixture)', () => {
  // Register flips land on a round boundary (a sync point): a flipped register the guest overwrites
  // before the next sync point would be a masked fault, which no checker can or need report.
  const cases: [string, number][] = [
    ['reg:ebx:0x10@120000', 120_000],
    ['reg:esi:0x100@160000', 160_000],
    ['reg:eflags:0x1@80000', 80_000],
    ['mem:0x100200:0x1@50000', 50_000],
    ['reg:eip:0x4@125000', 125_000],
    ['drop:clock@1', 0],
  ];
  it.each(cases)('%s is reported at or after its point, resynced, and the released output is run\'s', async (spec, at) => {
    const { report, out } = await ft('alu.mb', { inject: [spec], slice: 40_000 });
    const inj = report.injections[0];
    expect(inj.applied).toBe(true);
    const point = Math.max(at, inj.icount ?? 0);
    expect(report.divergences.length).toBeGreaterThan(0);
    expect(report.divergences[0].icount).toBeGreaterThanOrEqual(point);
    expect(report.resyncs.length).toBeGreaterThan(0);
    expect(report.resyncs[0].icount).toBeGreaterThanOrEqual(point);
    expectCorrected(report);
    expect(out).toBe(plainRun('alu.mb').out);
  }, 60_000);

  it('drop:serial on the serial echo guest: the secondary misses a byte, echoes otherwise, is caught and corrected', async () => {
    const { report, out } = await ft('serial-echo.mb', { inject: ['drop:serial@3'], serialIn: 'serial-echo.in', slice: 20_000 });
    expect(report.injections[0].applied).toBe(true);
    expect(report.divergences.length).toBeGreaterThan(0);
    expect(report.divergences[0].icount).toBeGreaterThanOrEqual(report.injections[0].icount!);
    expectCorrected(report);
    expect(out).toBe(readFileSync(join(FIXTURES, 'expected', 'serial-echo.txt'), 'latin1'));
  }, 60_000);

  it('drop:timer on the timer guest is applied; a later tick brings the timers to the same time, so it may be masked, never released wrong', async () => {
    const { report, out } = await ft('timer.mb', { inject: ['drop:timer@2'], slice: 5_000 });
    expect(report.injections[0].applied).toBe(true);
    for (const d of report.divergences) expect(d.icount).toBeGreaterThanOrEqual(report.injections[0].icount!);
    expectCorrected(report);
    expect(out).toBe(plainRun('timer.mb').out);
  }, 60_000);

  it('drop:rdtsc on the RDTSC guest is caught by the replay itself (channel input) and corrected', async () => {
    const { report, out } = await ft('nondet.mb', { inject: ['drop:rdtsc@500'], slice: 30_000 });
    expect(report.injections[0].applied).toBe(true);
    expect(report.divergences[0].channel).toBe('input');
    expect(report.divergences[0].icount).toBeGreaterThanOrEqual(report.injections[0].icount!);
    expectCorrected(report);
    expect(out).toBe(plainRun('nondet.mb').out);
  }, 60_000);

  it('a fault past the end of the run is reported as not applied, and nothing diverges', async () => {
    const { report } = await ft('string.mb', { inject: ['reg:eax:1@999999999'], clock: 'virtual' });
    expect(report.injections).toEqual([{ spec: 'reg:eax:1@999999999', applied: false, icount: null }]);
    expect(report.divergences).toEqual([]);
    expectCorrected(report);
  }, 60_000);
});

describe('ft-check with a disk', () => {
  it('ata.mb: disk writes are compared and counted; a dropped disk completion is caught and corrected', async () => {
    const alone = plainRun('ata.mb', 'host', undefined, 'ata-disk.img');
    const clean = await ft('ata.mb', { disk: 'ata-disk.img', slice: 20_000 });
    expect(clean.report.divergences).toEqual([]);
    expect(clean.report.output.diskWrites).toBeGreaterThan(0);
    expectCorrected(clean.report);
    expect(clean.out).toBe(alone.out);
    const dropped = await ft('ata.mb', { disk: 'ata-disk.img', slice: 20_000, inject: ['drop:disk@3'] });
    expect(dropped.report.injections[0].applied).toBe(true);
    expect(dropped.report.divergences.length).toBeGreaterThan(0);
    expectCorrected(dropped.report);
    expect(dropped.out).toBe(alone.out);
  }, 60_000);
});

describe('ft-check lag', () => {
  it('a secondary that stopped is resynced once it is more than --max-lag behind, and its held output is released then', async () => {
    const { report, out } = await ft('alu.mb', { inject: ['reg:eip:0x4@120000'], slice: 25_000, maxLag: 30_000 });
    expect(report.divergences[0].channel).toBe('exit');
    const lag = report.resyncs.find((s) => s.reason === 'lag');
    expect(lag).toBeDefined();
    expect(lag!.icount - lag!.secondaryIcount).toBeGreaterThan(30_000);
    expectCorrected(report);
    expect(out).toBe(plainRun('alu.mb').out);
  }, 60_000);
});

describe('ft-check --loose', () => {
  it('--loose rdtsc on the RDTSC guest diverges by itself, and every divergence is corrected', async () => {
    const { report, out } = await ft('nondet.mb', { loose: ['rdtsc'], slice: 20_000 });
    expect(report.divergences.length).toBeGreaterThan(0);
    expect(report.resyncs.length).toBeGreaterThan(0);
    expectCorrected(report);
    expect(out).toBe(plainRun('nondet.mb').out);
  }, 60_000);

  it('--loose rdtsc,rdrand,timer on the demo guest: natural divergences, all corrected', async () => {
    const { report } = await ft('demo.mb', { loose: ['rdtsc', 'rdrand', 'timer'], slice: 100_000 });
    expect(report.divergences.length).toBeGreaterThan(0);
    expectCorrected(report);
  }, 60_000);
});

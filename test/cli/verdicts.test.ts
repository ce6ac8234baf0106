// Every verdict is checked (issue 10): replay compares output digests and
// state hashes by default and names the channel and byte where output parts;
// --no-verify never says identical; a version 1 log replays and says what it
// could not check; diff counts instructions as replay does (interrupt
// handlers included) and names the input.
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { ROOT, ensureBuilt, tempFiles, vmrr } from './helpers.js';
import type { ReplaySummary } from '../../src/cli/replay.js';
import type { DiffSummary } from '../../src/cli/diff.js';

const tmp = tempFiles({});
const json = <T>(stdout: string): T => JSON.parse(stdout) as T;

beforeAll(() => ensureBuilt(), 120_000);

/** Index of the first byte where two buffers differ (or the shorter length). */
function firstDifference(a: Buffer, b: Buffer): number {
  let i = 0;
  while (i < a.length && i < b.length && a[i] === b[i]) i++;
  return i;
}

describe('replay checks output, not only state', () => {
  it('a stale-TLB replay that prints something else exits 1 naming the channel and the byte offset', () => {
    const log = tmp.path('off.vmrr');
    const rec = vmrr(['record', '--no-tlb-tracking', 'fixtures/tlb.mb', '-o', log]);
    expect(rec.status, rec.stderr).toBe(0);
    // What the other TLB geometry prints, found independently with `run`.
    const other = vmrr(['run', '--no-tlb-tracking', '--tlb-entries', '1', 'fixtures/tlb.mb']);
    const offset = firstDifference(rec.stdoutBytes, other.stdoutBytes);
    expect(offset).toBeLessThan(rec.stdoutBytes.length);

    const r = vmrr(['replay', '--no-tlb-tracking', '--tlb-entries', '1', log]);
    expect(r.status, r.stderr).toBe(1);
    expect(r.stderr).toMatch(/^replay diverged at icount \d+, EIP 0x[0-9a-f]{8}: /);
    expect(r.stderr).toContain(`serial output differs at byte ${offset} (the replay wrote it at icount `);
    expect(r.stderr).not.toContain('identical');

    const j = vmrr(['replay', '--json', '--no-tlb-tracking', '--tlb-entries', '1', log]);
    expect(j.status).toBe(1);
    const s = json<ReplaySummary>(j.stdout);
    expect(s.verdict).toBe('divergence');
    expect(s.divergence).toMatchObject({ during: 'output', output: { channel: 'serial', offset, exact: true } });
    expect(s.divergence!.expected).toContain(`0x${rec.stdoutBytes[offset].toString(16).padStart(2, '0')}`);
    expect(s.divergence!.actual).toContain(`0x${other.stdoutBytes[offset].toString(16).padStart(2, '0')}`);
  }, 60_000);

  it('the same log replayed as recorded is identical, and says which channels and how many bytes it compared', () => {
    const log = tmp.path('ok.vmrr');
    const rec = vmrr(['record', 'fixtures/uart.mb', '-o', log]);
    expect(rec.status, rec.stderr).toBe(0);
    const s = json<ReplaySummary>(vmrr(['replay', '--json', log]).stdout);
    expect(s.verdict).toBe('identical');
    expect(s.checked.outputChannels).toContain('serial');
    expect(s.checked.outputBytes).toBeGreaterThanOrEqual(rec.stdoutBytes.length);
    expect(s.checked.stateHashes).toBe(s.checked.outputMarks);
    expect(s.notChecked).toEqual([]);
  }, 60_000);

  it('a format version 1 log (no output digests) still replays, byte for byte, and says output was not checked', () => {
    const r = vmrr(['replay', '--json', '--image', 'fixtures/nondet.mb', 'test/data/v1-nondet.vmrr']);
    expect(r.status, r.stderr).toBe(0);
    const s = json<ReplaySummary>(r.stdout);
    expect(s.verdict).toBe('identical');
    expect(s.checked.stateHashes).toBeGreaterThan(1);
    expect(s.checked.outputMarks).toBe(0);
    expect(s.notChecked.join('\n')).toMatch(/output digests .*format version 1/);
    const text = vmrr(['replay', '--image', 'fixtures/nondet.mb', 'test/data/v1-nondet.vmrr']);
    expect(text.stderr).toMatch(/not checked: output digests/);
    expect(text.stdout.length).toBeGreaterThan(0);
    expect(vmrr(['replay', '--image', 'fixtures/nondet.mb', 'test/data/v1-nondet.vmrr']).stdout).toBe(text.stdout);
  }, 60_000);
});

describe('diff counts instructions as replay does', () => {
  const a = tmp.path('demo-a.vmrr');
  const b = tmp.path('demo-b.vmrr');
  beforeAll(() => {
    for (const log of [a, b]) expect(vmrr(['record', '--clock', 'virtual', 'fixtures/demo.mb', '-o', log]).status).toBe(0);
  }, 120_000);

  it('after timer interrupts, diff names the RDRAND at the icount replay --to and inspect give, and its value on both sides', () => {
    const d = vmrr(['diff', '--json', a, b]);
    expect(d.status, d.stderr).toBe(1);
    const r = json<DiffSummary>(d.stdout);
    const rdrand = r.inputs.find((i) => i.kind === 'rdrand');
    expect(rdrand, JSON.stringify(r.inputs)).toBeDefined();
    expect(rdrand!.a).not.toBe(rdrand!.b);
    expect(r.icount).toBe(rdrand!.icount);
    expect(r.instruction).toMatch(/^rdrand /);
    // Timer interrupts were delivered before it: the count includes their handlers.
    const at = json<ReplaySummary>(vmrr(['replay', '--json', '--to', String(r.icount), a]).stdout);
    expect(at.verdict).toBe('reached');
    expect(at.eventsDelivered).toBeGreaterThan(0);
    expect(at.eip).toBe(r.eip);
    expect(r.registers.map((g) => g.name)).toContain('eax');
  }, 120_000);

  it('--budget stops the search early and says so; exit 1, not identical', () => {
    const d = vmrr(['diff', '--json', '--budget', '1000', a, b]);
    expect(d.status, d.stderr).toBe(1);
    const r = json<DiffSummary>(d.stdout);
    expect(r).toMatchObject({ identical: false, icount: null, incomplete: 'budget' });
    expect(r.note).toMatch(/no difference in the 1000 instructions after icount 0/);
  }, 60_000);

  it('two logs of a guest with no differing input are identical, and the report says what that rests on', () => {
    const x = tmp.path('timer-a.vmrr');
    const y = tmp.path('timer-b.vmrr');
    for (const log of [x, y]) expect(vmrr(['record', '--clock', 'virtual', 'fixtures/timer.mb', '-o', log]).status).toBe(0);
    const d = vmrr(['diff', x, y]);
    expect(d.status, d.stderr).toBe(0);
    expect(d.stdout).toMatch(/^identical: /);
    expect(d.stdout).toMatch(/inputs after it equal in both logs, CPU state and RAM compared at \d+ points/);
  }, 120_000);

  it('an RTC read that differs because the recordings\' RTCs started at other times: diff finds the IN and names the cause', () => {
    const x = tmp.path('rtc-a.vmrr');
    const y = tmp.path('rtc-b.vmrr');
    // With --clock virtual the RTC starts at a fixed time unless told otherwise: a second apart here.
    expect(vmrr(['record', '--clock', 'virtual', '--rtc-base', '2006-06-17T16:01:21', 'fixtures/rtc.mb', '-o', x]).status).toBe(0);
    expect(vmrr(['record', '--clock', 'virtual', '--rtc-base', '2006-06-17T16:01:22', 'fixtures/rtc.mb', '-o', y]).status).toBe(0);
    const r = json<DiffSummary>(vmrr(['diff', '--json', x, y]).stdout);
    expect(r.instruction).toMatch(/^in +al,0x71$/);
    expect(r.note).toMatch(/differ in (rtcBase, )?wallClockMs/);
  }, 120_000);

  it('Ctrl-C stops a long diff with status 130 and a partial report', async () => {
    const log = tmp.path('timer.vmrr');
    expect(vmrr(['record', '--clock', 'virtual', 'fixtures/timer.mb', '-o', log]).status).toBe(0);
    const child = spawn(process.execPath, [join(ROOT, 'bin', 'vmrr.js'), 'diff', '--json', log, '--tlb-entries', '1'], { cwd: ROOT });
    let out = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    setTimeout(() => child.kill('SIGINT'), 1500);
    const status = await new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    if (status === 0) return; // finished before the signal on a fast machine: nothing to interrupt
    expect(status).toBe(130);
    const r = json<DiffSummary>(out);
    expect(r.incomplete).toBe('interrupted');
    expect(r.note).toMatch(/^interrupted: no difference found up to icount \d+/);
  }, 120_000);
});

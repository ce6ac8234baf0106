// `vmrr inspect` end to end: the real CLI on logs written with LogWriter (and
// one by the recording ND source), complete, cut at many offsets, damaged.
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LogWriter } from '../../src/replay/log-writer.js';
import { crc32 } from '../../src/replay/crc32.js';
import type { Frame, LogEvent } from '../../src/replay/frames.js';
import { FORMAT_VERSION, type LogHeader } from '../../src/replay/log-format.js';
import { inspectCommand, type InspectReport } from '../../src/cli/inspect.js';
import { formatInspect } from '../../src/cli/inspect-text.js';
import { Rng } from '../replay/helpers.js';
import { FakeHost, randomSteps, record } from '../replay/nd-harness.js';
import { ensureBuilt, expectUsageError, tempFiles, vmrr } from './helpers.js';

beforeAll(ensureBuilt, 120_000);

const { dir, path } = tempFiles({});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const header: LogHeader = {
  toolVersion: '0.1.0',
  machine: { ram: 32 << 20, mhz: 1000, clock: 'host' },
  imagePath: 'fixtures/nondet.mb',
  imageSha256: 'ab'.repeat(32),
  diskPath: 'disk.img',
  diskSha256: 'cd'.repeat(32),
  clock: 'host',
  ndBufferSize: 4,
  created: '2026-11-30T03:00:00.000Z',
};

const events: LogEvent[] = [
  { kind: 'timer', icount: 200, eip: 0x1000, value: 1_000_000 },
  { kind: 'serial', icount: 300, eip: 0x1008, value: 0x68 },
  { kind: 'disk', icount: 300, eip: 0x1008, value: 0 },
  { kind: 'timer', icount: 4_000, eip: 0x1010, value: 2_000_000 },
];

const frames: Frame[] = [
  // A full buffer (4 entries = ndBufferSize): a buffer exit.
  { kind: 'nd', count: 4, at: 120, check: 0x12345678, kinds: Uint8Array.of(0, 1, 0, 2), icounts: Float64Array.of(100, 105, 110, 115), values: Float64Array.of(1e9, 0xdeadbeef, 1e9 + 77, 7) },
  { kind: 'events', at: 400, events: events.slice(0, 3) },
  { kind: 'sync', icount: 1_000, eip: 0x100010, hash: new Uint8Array(32).fill(9) },
  { kind: 'nd', count: 1, at: 1_500, check: 0x9abcdef0, kinds: Uint8Array.of(3), icounts: Float64Array.of(1_400), values: Float64Array.of(123_456) },
  { kind: 'sync', icount: 3_000, eip: 0x100020, hash: new Uint8Array(32).fill(10) },
  { kind: 'events', at: 4_100, events: events.slice(3) },
];

const end = { icount: 5_000, eip: 0x101234, reason: 'exit', exitValue: 3, hash: new Uint8Array(32).fill(7), stats: { rdtsc: 2, bufferExits: 1 } };

interface Written {
  path: string;
  bytes: Buffer;
  /** Offset where each whole frame ends, frame 1 first; [0] is where the header ends. */
  ends: number[];
  writer: LogWriter;
}

/** The frames above with a checkpoint of two pages at icount 2,000 in the middle. */
function writeLog(name: string, finish = true): Written {
  const p = path(name);
  const w = LogWriter.create(p, header, { sync: false });
  const ends = [w.offset];
  const page = (n: number): { index: number; data: Uint8Array } => ({ index: n, data: new Uint8Array(4096).fill(n) });
  frames.slice(0, 3).forEach((f) => (w.write(f), ends.push(w.offset)));
  w.writeCheckpoint({ icount: 2_000, state: { cpu: { eip: 0x1000 } }, pages: [page(1), page(2)] });
  ends.push(w.offset);
  frames.slice(3).forEach((f) => (w.write(f), ends.push(w.offset)));
  if (finish) {
    w.finish(end);
    ends.push(readFileSync(p).length);
  } else w.abort();
  return { path: p, bytes: readFileSync(p), ends, writer: w };
}

const complete = writeLog('complete.vmrr');
const unfinished = writeLog('unfinished.vmrr', false);

function json(args: string[]): InspectReport {
  const r = vmrr(['inspect', '--json', ...args]);
  expect(r.status, r.stderr).toBe(0);
  expect(r.stderr).toBe('');
  expect(r.stdout.endsWith('}\n')).toBe(true);
  return JSON.parse(r.stdout) as InspectReport;
}

/** A copy of `bytes` in a new file. */
function copy(name: string, bytes: Uint8Array): string {
  writeFileSync(path(name), bytes);
  return path(name);
}

describe('vmrr inspect on a complete log', () => {
  it('prints the header, frames and events per kind, ND counts, checkpoints, syncs and the end state', () => {
    const r = vmrr(['inspect', complete.path]);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).toBe('');
    const out = r.stdout;
    expect(out).toContain(`${complete.path}: vmrr log format ${FORMAT_VERSION}, ${complete.bytes.length.toLocaleString('en-US')} bytes read`);
    expect(out).toMatch(/complete: the recorder finished at icount 5,000/);
    for (const text of ['tool version   0.1.0', 'image          fixtures/nondet.mb', `image SHA-256  ${'ab'.repeat(32)}`,
      'disk           disk.img', `disk SHA-256   ${'cd'.repeat(32)}`, 'clock          host', 'ND buffer      4 entries',
      'created        2026-11-30T03:00:00.000Z', 'machine        ram=33554432 mhz=1000 clock=host']) {
      expect(out).toContain(text);
    }
    expect(out).toMatch(/^ {2}nd +2 +[\d,]+$/m);
    expect(out).toMatch(/^ {2}events +2 +[\d,]+$/m);
    expect(out).toMatch(/^ {2}checkpoint +1 +[\d,]+$/m);
    expect(out).toMatch(/^ {2}sync +2 +[\d,]+$/m);
    expect(out).toMatch(/^ {2}end +1 +[\d,]+$/m);
    expect(out).toMatch(new RegExp(`^ {2}total +8 +${complete.bytes.length.toLocaleString('en-US')}$`, 'm'));
    expect(out).toMatch(/^ {2}timer +2 +\d+$/m);
    expect(out).toMatch(/^ {2}serial +1 +\d+$/m);
    expect(out).toMatch(/^ {2}disk +1 +\d+$/m);
    expect(out).toContain('rdtsc 2, rdrand 1, rdseed 1, clock 1');
    expect(out).toContain('5 in 2 blocks (buffer flushes), 1 buffer exit (full buffers)');
    expect(out).toMatch(/checkpoints +1, 2 pages, [\d,]+ bytes, at icount 2,000/);
    expect(out).toContain('sync points    2, from icount 1,000 to 3,000');
    expect(out).toMatch(/icount +5,000\n +EIP +0x00101234\n +reason +exit\n +exit value +3 \(0x00000003\)/);
    expect(out).toContain(`final hash     ${'07'.repeat(32)}`);
    expect(out).toContain('recorder stats rdtsc 2, bufferExits 1');
    expect(out).not.toMatch(/Events and ND blocks/);
  });

  it('--json prints one object whose fields match what was written', () => {
    const j = json([complete.path]);
    const t = complete.writer.tally;
    expect(j).toMatchObject({
      log: complete.path, formatVersion: FORMAT_VERSION, complete: true, bytes: complete.bytes.length, fileBytes: complete.bytes.length,
      header: { toolVersion: '0.1.0', imagePath: 'fixtures/nondet.mb', imageSha256: 'ab'.repeat(32), diskPath: 'disk.img', diskSha256: 'cd'.repeat(32),
        clock: 'host', ndBufferSize: 4, created: '2026-11-30T03:00:00.000Z', machine: { ram: 32 << 20, mhz: 1000, clock: 'host' }, bytes: complete.ends[0] },
      nd: { rdtsc: 2, rdrand: 1, rdseed: 1, clock: 1, total: 5, blocks: 2, bufferExits: 1 },
      checkpoints: { count: 1, pages: 2, bytes: t.checkpoint.bytes, icounts: [2_000] },
      syncs: { count: 2, firstIcount: 1_000, lastIcount: 3_000 },
      lastIcount: 5_000,
      end: { icount: 5_000, eip: 0x101234, reason: 'exit', exitValue: 3, hash: '07'.repeat(32), stats: { rdtsc: 2, bufferExits: 1 } },
      cut: null,
    });
    for (const kind of ['nd', 'events', 'checkpoint', 'sync', 'end'] as const) expect(j.frames[kind], kind).toEqual(t[kind]);
    expect(j.frames.total).toEqual({ frames: 8, bytes: complete.bytes.length });
    expect(j.nd.bytesPerEntry).toBeCloseTo(t.nd.bytes / 5, 9);
    expect(Object.keys(j.events)).toEqual(['timer', 'serial', 'disk', 'key']);
    expect(j.events.timer.count).toBe(2);
    expect(j.events.serial.count).toBe(1);
    expect(j.events.disk.count).toBe(1);
    expect(j).not.toHaveProperty('eventList');
  });

  it('--json event bytes are exact: with the frame overhead they make up the events frames', () => {
    const j = json([complete.path]);
    // Per events frame: length and CRC (8), [2, {"at": at, "events": [ ... ]}] around the events.
    const overhead = (at: number, n: number): number => 8 + 1 + 1 + 1 + 3 + (at < 24 ? 1 : at < 256 ? 2 : at < 65536 ? 3 : 5) + 7 + (n < 24 ? 1 : 2);
    const eventBytes = Object.values(j.events).reduce((a, e) => a + e.bytes, 0);
    expect(eventBytes + overhead(400, 3) + overhead(4_100, 1)).toBe(j.frames.events.bytes);
    // [1, 200, 0x1000, 1000000]: 1 + 1 + 2 + 3 + 5; [1, 3700, 0x1010, 2000000]: 1 + 1 + 3 + 3 + 5.
    expect(j.events.timer.bytes).toBe(12 + 13);
  });

  it('--events lists every event (icount, EIP, kind, value) and ND block in file order', () => {
    const r = vmrr(['inspect', '--events', complete.path]);
    expect(r.status, r.stderr).toBe(0);
    const list = r.stdout.slice(r.stdout.indexOf('Events and ND blocks'));
    const rows = list.split('\n').slice(2).filter(Boolean);
    expect(rows).toHaveLength(6);
    expect(rows[0]).toMatch(/^ +1 +120 +- +nd +4 entries \(rdtsc 2, rdrand 1, rdseed 1\) at icount 100\.\.115, check 0x12345678, \d+ bytes$/);
    expect(rows[1]).toMatch(/^ +2 +200 +0x00001000 +timer +guest time 1,000,000 ns$/);
    expect(rows[2]).toMatch(/^ +2 +300 +0x00001008 +serial +byte 0x68 'h'$/);
    expect(rows[3]).toMatch(/^ +2 +300 +0x00001008 +disk +completion$/);
    expect(rows[4]).toMatch(/^ +5 +1,500 +- +nd +1 entry \(clock 1\) at icount 1,400\.\.1,400, check 0x9abcdef0, \d+ bytes$/);
    expect(rows[5]).toMatch(/^ +7 +4,000 +0x00001010 +timer +guest time 2,000,000 ns$/);
  });

  it('--events --json adds eventList and ndBlocks', () => {
    const j = json(['--events', complete.path]);
    expect(j.eventList).toEqual(events.map((e, i) => ({ ...e, frame: i < 3 ? 2 : 7 })));
    expect(j.ndBlocks).toHaveLength(2);
    expect(j.ndBlocks![0]).toMatchObject({
      frame: 1, offset: complete.ends[0], at: 120, entries: 4, perKind: { rdtsc: 2, rdrand: 1, rdseed: 1, clock: 0 },
      firstIcount: 100, lastIcount: 115, check: 0x12345678, bytes: complete.ends[1] - complete.ends[0],
    });
    expect(j.ndBlocks![1]).toMatchObject({ frame: 5, at: 1_500, entries: 1, firstIcount: 1_400, lastIcount: 1_400, check: 0x9abcdef0 });
  });

  it('inspects a log written by the recording ND source, counting its buffer exits', () => {
    const rec = record(mkdirp('nd'), 'nd.vmrr', randomSteps(new Rng(11), 200), 8, new FakeHost(11));
    const j = json(['--events', rec.path]);
    const c = rec.src.counters;
    expect(j.nd.total).toBe(200);
    expect([j.nd.rdtsc, j.nd.rdrand, j.nd.rdseed, j.nd.clock]).toEqual(Array.from(c.perKind));
    expect(j.nd.bufferExits).toBe(c.bufferExits);
    expect(j.nd.blocks).toBe(c.blocks);
    expect(j.ndBlocks!.reduce((a, b) => a + b.entries, 0)).toBe(200);
  });

  it('inspects a log made by vmrr record, agreeing with the recorder\'s own summary', () => {
    const log = path('recorded.vmrr');
    const rec = vmrr(['record', '--json', 'fixtures/nondet.mb', '-o', log, '--sync-every', '20000', '--checkpoint-every', '50000']);
    expect(rec.status, rec.stderr).toBe(0);
    const s = JSON.parse(rec.stdout) as { icount: number; eip: number; exitValue: number; nd: Record<string, number>; syncPoints: number; checkpoints: number };
    const j = json([log]);
    expect(j.complete).toBe(true);
    expect(j.end).toMatchObject({ icount: s.icount, eip: s.eip, reason: 'exit', exitValue: s.exitValue });
    for (const k of ['rdtsc', 'rdrand', 'rdseed', 'clock', 'total', 'blocks', 'bufferExits']) expect(j.nd[k], k).toBe(s.nd[k]);
    expect(j.syncs.count).toBe(s.syncPoints);
    expect(j.checkpoints.count).toBe(s.checkpoints);
    expect(j.header.imageSha256).toMatch(/^[0-9a-f]{64}$/);
  }, 60_000);

  it('no colour when NO_COLOR is set or standard output is not a terminal; colour when FORCE_COLOR asks', () => {
    expect(vmrr(['inspect', complete.path]).stdout).not.toMatch(/\x1b\[/);
    expect(vmrr(['inspect', complete.path], { NO_COLOR: '', FORCE_COLOR: '1' }).stdout).toMatch(/\x1b\[/);
    const report = json([unfinished.path]);
    expect(formatInspect(report, { color: true })).toMatch(/\x1b\[33mcut at offset/);
    expect(formatInspect(report, { color: false })).not.toMatch(/\x1b\[/);
  });
});

describe('vmrr inspect on a cut log', () => {
  it('a log whose recorder did not finish says where and why it ends, exit 0', () => {
    const last = unfinished.ends[unfinished.ends.length - 1];
    const r = vmrr(['inspect', unfinished.path]);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toContain(`cut at offset ${last} after frame 7: the recorder did not finish`);
    expect(r.stdout).toMatch(/why +the recorder did not finish/);
    // An events frame covers both streams (the recorder flushes ND values before each): 4,100.
    expect(r.stdout).toMatch(/replayable to +icount 4,100 /);
    expect(r.stdout).toMatch(/last icount +4,100 /);
    expect(r.stdout).not.toMatch(/^End$/m);
    const j = json([unfinished.path]);
    expect(j.complete).toBe(false);
    expect(j.end).toBeNull();
    expect(j.cut).toMatchObject({ offset: last, afterFrame: 7, partialBytes: 0, recorderFinished: false, replayableTo: 4_100 });
    expect(j.cut!.message).toBe(`${unfinished.path}: cut at offset ${last} after frame 7 (incomplete: recorder did not finish)`);
  });

  it('cut at every frame boundary and inside frames (the CLI): reads to the last whole frame', () => {
    const rng = new Rng(7);
    const ends = unfinished.ends;
    for (let k = 0; k < ends.length - 1; k++) {
      const at = ends[k];
      for (const n of [at, rng.int(at + 1, ends[k + 1] - 1)]) {
        const p = copy(`cut-${n}.vmrr`, unfinished.bytes.subarray(0, n));
        const r = vmrr(['inspect', '--json', p]);
        expect(r.status, r.stderr).toBe(0);
        const j = JSON.parse(r.stdout) as InspectReport;
        expect(j.cut, `cut at ${n}`).toMatchObject({ offset: at, afterFrame: k, partialBytes: n - at, recorderFinished: false });
        expect(j.bytes).toBe(at);
        expect(j.fileBytes).toBe(n);
        expect(j.frames.total.frames).toBe(k);
      }
    }
    const p = copy('cut-text.vmrr', unfinished.bytes.subarray(0, ends[0] + 5));
    expect(vmrr(['inspect', p]).stdout).toContain(`cut at offset ${ends[0]} after the header: the recorder did not finish`);
  }, 120_000);

  it('cut at every byte offset past the header (in process): the cut is found, the counts are those of the whole frames', async () => {
    const ends = unfinished.ends;
    const whole = await inspectCommand(unfinished.path, { events: true });
    for (let n = ends[0]; n < unfinished.bytes.length; n += n > ends[3] && n < ends[4] - 64 ? 61 : 1) {
      const k = ends.findLastIndex((e) => e <= n);
      const j = await inspectCommand(copy('cut-any.vmrr', unfinished.bytes.subarray(0, n)), { events: true });
      expect(j.cut, `cut at ${n}`).toMatchObject({ offset: ends[k], afterFrame: k, partialBytes: n - ends[k] });
      expect(j.ndBlocks!.length + j.eventList!.length).toBe(
        whole.ndBlocks!.filter((b) => b.frame <= k).length + whole.eventList!.filter((e) => e.frame <= k).length,
      );
    }
  }, 60_000);

  it('a cut log without nd frames is replayable to its last sync point, as the replayer counts it', async () => {
    const p = path('no-nd.vmrr');
    const w = LogWriter.create(p, header, { sync: false });
    w.write({ kind: 'events', at: 400, events: events.slice(0, 1) });
    w.write(frames[2]);
    w.write({ ...frames[4], kind: 'sync' });
    w.abort();
    const j = await inspectCommand(p, {});
    expect(j.cut).toMatchObject({ afterFrame: 3, replayableTo: 3_000 });
  });

  it('a finished log cut afterwards says the file was cut later', () => {
    const at = complete.ends[5];
    const p = copy('truncated.vmrr', complete.bytes.subarray(0, at + 3));
    const r = vmrr(['inspect', p]);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toContain(`cut at offset ${at} after frame 5: the recorder finished, the file was cut later`);
    expect(r.stdout).toMatch(/where +offset [\d,]+, after frame 5, then 3 bytes of a partial frame/);
    expect(json([p]).cut).toMatchObject({ offset: at, afterFrame: 5, partialBytes: 3, recorderFinished: true, replayableTo: 1_000 });
  });

  it('a log cut inside its header is bad input: exit 2 naming the offset', () => {
    const p = copy('header-cut.vmrr', unfinished.bytes.subarray(0, 40));
    expectUsageError(vmrr(['inspect', p]), new RegExp(`${p}: cut inside the header \\(incomplete: recorder did not finish\\) at offset 40$`), expect);
  });
});

describe('vmrr inspect on bad input: exit 2, one line naming the file and offset, nothing on stdout', () => {
  it('a flipped bit in a frame: bad CRC in that frame', () => {
    const bytes = Buffer.from(complete.bytes);
    bytes[complete.ends[2] + 20] ^= 0x10;
    const p = copy('flipped.vmrr', bytes);
    expectUsageError(vmrr(['inspect', p]), new RegExp(`${p}: bad CRC in frame 3 at offset ${complete.ends[2]}$`), expect);
    expectUsageError(vmrr(['inspect', '--json', p]), /bad CRC in frame 3/, expect);
    expectUsageError(vmrr(['inspect', '--events', p]), /bad CRC in frame 3/, expect);
  });

  it('an unknown format version, bad magic, unknown flags', () => {
    const version = Buffer.from(complete.bytes);
    version[8] = 4;
    expectUsageError(vmrr(['inspect', copy('v4.vmrr', version)]), /unsupported format version 4 \(this vmrr reads versions 1 to 3\) at offset 8$/, expect);
    expectUsageError(vmrr(['inspect', copy('magic.vmrr', Buffer.from('#!/bin/sh\necho not a log\n'))]), /magic.vmrr: not a vmrr log \(bad magic\) at offset 0$/, expect);
    const flags = Buffer.from(complete.bytes);
    flags[10] = 4;
    expectUsageError(vmrr(['inspect', copy('flags.vmrr', flags)]), /unknown flags 0x4 at offset 10$/, expect);
    expectUsageError(vmrr(['inspect', copy('empty.vmrr', new Uint8Array(0))]), /empty.vmrr: not a vmrr log \(empty file\) at offset 0$/, expect);
  });

  it('an absurd frame length, with a valid CRC, is refused before anything is allocated', () => {
    const bytes = Buffer.from(complete.bytes);
    const at = complete.ends[3];
    bytes.writeUInt32LE(0xfffffff0, at);
    bytes.writeUInt32LE(crc32(bytes.subarray(at, at + 4), 0, 4), at + 4);
    const p = copy('absurd.vmrr', bytes);
    expectUsageError(vmrr(['inspect', p]), new RegExp(`absurd length 4294967280 \\(limit 67108864\\) in frame 4 at offset ${at}$`), expect);
  });

  it('bytes after the end frame', () => {
    const p = copy('trailing.vmrr', Buffer.concat([complete.bytes, Buffer.from('xyz')]));
    expectUsageError(vmrr(['inspect', p]), new RegExp(`3 bytes after the end frame at offset ${complete.bytes.length}$`), expect);
  });

  it('a missing file, a directory, no LOG at all', () => {
    const missing = join(dir, 'nope.vmrr');
    expectUsageError(vmrr(['inspect', missing]), new RegExp(`cannot read log ${missing}: no such file or directory$`), expect);
    expectUsageError(vmrr(['inspect', dir]), /: is a directory$/, expect);
    expectUsageError(vmrr(['inspect']), /missing required argument 'log'/, expect);
    expectUsageError(vmrr(['inspect', '--frobnicate', complete.path]), /unknown option '--frobnicate'/, expect);
  });
});

function mkdirp(name: string): string {
  const d = join(dir, name);
  mkdirSync(d, { recursive: true });
  return d;
}

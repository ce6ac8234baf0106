// The record and replay sessions (src/replay/session.ts) on the fixtures with
// non-determinism, in this process: a machine recorded through Recorder and
// recordLoop, then a fresh machine fed only by the log through Replayer and
// replayLoop. Each fixture's run must replay to the same output, icount and
// state hash, two recordings must differ in what they logged, a log cut at
// any frame boundary must replay to where its inputs end, and a replay that
// is fed the wrong thing must report a divergence with its position.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { Machine } from '../../src/machine/machine.js';
import { loadMultiboot } from '../../src/machine/loaders.js';
import { MemoryDisk } from '../../src/devices/disk-backend.js';
import { StateHasher } from '../../src/machine/state-hash.js';
import { CheckpointTracker } from '../../src/machine/snapshot.js';
import { Recorder } from '../../src/replay/recorder.js';
import { Replayer } from '../../src/replay/replayer.js';
import { recordLoop, replayLoop, type ReplayResult } from '../../src/replay/session.js';
import { LogReader } from '../../src/replay/log-reader.js';
import { LogWriter } from '../../src/replay/log-writer.js';
import { sha256Hex } from '../../src/replay/digest.js';
import { inspectCommand } from '../../src/cli/inspect.js';
import type { EndFrame, Frame, LogEvent } from '../../src/replay/frames.js';
import { ArrayByteSource } from '../devices/helpers.js';
import { Rng, tempDir } from './helpers.js';

const FIX = fileURLToPath(new URL('../../fixtures', import.meta.url));
const RAM = 32 << 20;
const dir = tempDir();

interface Fixture {
  name: string;
  serialIn?: string;
  disk?: string;
  /** Small enough that every fixture's log has sync points and checkpoints. */
  syncEvery: number;
  checkpointEvery: number;
}

const FIXTURES: Fixture[] = [
  { name: 'nondet', syncEvery: 20_000, checkpointEvery: 50_000 },
  { name: 'timer', syncEvery: 4_000, checkpointEvery: 12_000 },
  { name: 'rtc', syncEvery: 3_000, checkpointEvery: 9_000 },
  { name: 'uart', syncEvery: 5_000, checkpointEvery: 15_000 },
  { name: 'serial-echo', serialIn: 'serial-echo.in', syncEvery: 2_000, checkpointEvery: 6_000 },
  { name: 'ata', disk: 'ata-disk.img', syncEvery: 20_000, checkpointEvery: 60_000 },
];
const fixture = (name: string): Fixture => FIXTURES.find((f) => f.name === name)!;

const imageBytes = (fx: Fixture): Uint8Array => new Uint8Array(readFileSync(join(FIX, `${fx.name}.mb`)));
const expected = (fx: Fixture): string => readFileSync(join(FIX, 'expected', `${fx.name}.txt`), 'latin1');
const text = (bytes: number[]): string => Buffer.from(bytes).toString('latin1');

interface Recorded {
  log: string;
  output: number[];
  icount: number;
  hash: string;
  events: number;
  syncs: number;
}

async function record(fx: Fixture, log: string, opts: { ndBuffer?: number; sync?: boolean } = {}): Promise<Recorded> {
  const image = imageBytes(fx);
  const rec = new Recorder({
    path: log,
    ndBufferSize: opts.ndBuffer ?? 4096,
    mhz: 1000,
    header: {
      toolVersion: 'test',
      machine: { ram: RAM, mhz: 1000, clock: 'host' },
      imagePath: join(FIX, `${fx.name}.mb`),
      imageSha256: sha256Hex(image),
      diskPath: null,
      diskSha256: null,
      clock: 'host',
    },
  });
  const output: number[] = [];
  const machine = new Machine({
    ramBytes: RAM,
    input: rec.input,
    clock: 'host',
    mhz: 1000,
    serial: (b) => output.push(b),
    serialIn: fx.serialIn ? new ArrayByteSource(new Uint8Array(readFileSync(join(FIX, fx.serialIn)))) : undefined,
    disk: fx.disk ? new MemoryDisk(new Uint8Array(readFileSync(join(FIX, fx.disk)))) : undefined,
    onEvent: rec.onEvent,
  });
  rec.input.attach(machine.cpu);
  machine.load(loadMultiboot(image, RAM, `${fx.name}.mb `));
  const hasher = new StateHasher(machine);
  const tracker = new CheckpointTracker(machine);
  const sync = opts.sync ?? true;
  const stop = await recordLoop(machine, rec, {
    syncEvery: sync ? fx.syncEvery : 0,
    checkpointEvery: sync ? fx.checkpointEvery : 0,
    hash: () => hasher.hashBytes(),
    checkpoint: () => {
      const cp = tracker.take();
      return { state: cp.state as unknown as Record<string, unknown>, pages: cp.pages };
    },
  });
  const hash = hasher.hashBytes();
  rec.finish(stop, hash, {});
  expect(stop.reason).toBe('exit');
  return { log, output, icount: stop.icount, hash: Buffer.from(hash).toString('hex'), events: rec.events, syncs: rec.syncs };
}

interface Replayed {
  result: ReplayResult;
  output: number[];
  hash: string;
}

async function replay(fx: Fixture, log: string, opts: { to?: number; verify?: boolean; image?: Uint8Array } = {}): Promise<Replayed> {
  const rp = new Replayer(log);
  try {
    const output: number[] = [];
    const machine = new Machine({
      ramBytes: RAM,
      input: rp.input,
      clock: 'host',
      mhz: 1000,
      serial: (b) => output.push(b),
      disk: fx.disk ? new MemoryDisk(new Uint8Array(readFileSync(join(FIX, fx.disk)))) : undefined,
      events: rp.events,
    });
    rp.attach(machine.cpu);
    machine.load(loadMultiboot(opts.image ?? imageBytes(fx), RAM, `${fx.name}.mb `));
    const hasher = new StateHasher(machine);
    const result = await replayLoop(machine, rp, { verify: opts.verify ?? true, hash: () => hasher.hashBytes(), to: opts.to });
    return { result, output, hash: Buffer.from(hasher.hashBytes()).toString('hex') };
  } finally {
    rp.close();
  }
}

interface LogContents {
  frames: { offset: number; end: number; frame: Frame }[];
  headerEnd: number;
  end: EndFrame | null;
  ndValues: number[];
  events: LogEvent[];
}

function readLog(path: string): LogContents {
  const r = LogReader.open(path);
  try {
    const frames: LogContents['frames'] = [];
    const ndValues: number[] = [];
    const events: LogEvent[] = [];
    for (let f = r.next(); f && f.frame.kind !== 'end'; f = r.next()) {
      frames.push({ offset: f.offset, end: f.offset + f.bytes, frame: f.frame });
      if (f.frame.kind === 'nd') ndValues.push(...f.frame.values.subarray(0, f.frame.count));
      if (f.frame.kind === 'events') events.push(...f.frame.events);
    }
    if (r.end) frames.push({ offset: -1, end: readFileSync(path).length, frame: r.end });
    return { frames, headerEnd: r.dataOffset, end: r.end, ndValues, events };
  } finally {
    r.close();
  }
}

const recorded = new Map<string, Recorded>();
beforeAll(async () => {
  for (const fx of FIXTURES) recorded.set(fx.name, await record(fx, join(dir, `${fx.name}.vmrr`)));
}, 60_000);

describe.each(FIXTURES.map((f) => [f.name, f] as const))('record then replay of %s', (name, fx) => {
  it('the recording ran the guest to its expected output, with sync points, checkpoints and events in the log', async () => {
    const rec = recorded.get(name)!;
    expect(text(rec.output)).toBe(expected(fx));
    const log = readLog(rec.log);
    expect(log.end).toMatchObject({ icount: rec.icount, reason: 'exit', exitValue: 1 });
    expect(rec.syncs).toBeGreaterThanOrEqual(1);
    expect(log.frames.filter((f) => f.frame.kind === 'sync')).toHaveLength(rec.syncs);
    expect(log.frames.some((f) => f.frame.kind === 'checkpoint')).toBe(true);
    expect(log.events).toHaveLength(rec.events);
    const report = await inspectCommand(rec.log, {});
    expect(report).toMatchObject({ complete: true, cut: null, syncs: { count: rec.syncs }, end: { icount: rec.icount, hash: rec.hash } });
  });

  it('--verify replays identically: same output bytes, icount and final state hash, every sync point checked', async () => {
    const rec = recorded.get(name)!;
    const { result, output, hash } = await replay(fx, rec.log);
    expect(result.divergence).toBeNull();
    expect(result).toMatchObject({ verdict: 'identical', icount: rec.icount, reason: 'exit', exitValue: 1, cut: null });
    expect(Buffer.from(output).equals(Buffer.from(rec.output))).toBe(true);
    expect(hash).toBe(rec.hash);
    // Every sync point plus the final hash.
    expect(result.syncsChecked).toBe(rec.syncs + 1);
    expect(result.eventsDelivered).toBe(rec.events);
  });

  it('a second recording logs other inputs and replays identically too', async () => {
    const first = readLog(recorded.get(name)!.log);
    const again = await record(fx, join(dir, `${name}-again.vmrr`), { sync: false });
    const second = readLog(again.log);
    expect(text(again.output)).toBe(expected(fx));
    const same = JSON.stringify([first.ndValues, first.events]) === JSON.stringify([second.ndValues, second.events]);
    expect(same, 'two recordings logged the same ND values and events').toBe(false);
    const { result, output, hash } = await replay(fx, again.log);
    expect(result.verdict).toBe('identical');
    expect(Buffer.from(output).equals(Buffer.from(again.output))).toBe(true);
    expect(hash).toBe(again.hash);
  });
});

describe('replay of a log cut at every frame boundary', () => {
  it.each(FIXTURES.map((f) => [f.name, f] as const))('%s: a cut log replays to where its inputs end, never further, with a prefix of the output', async (name, fx) => {
    const rec = recorded.get(name)!;
    const bytes = readFileSync(rec.log);
    const log = readLog(rec.log);
    const cutLog = join(dir, `${name}-cut.vmrr`);
    // The header alone, then after each whole frame but the end frame; of a long log, 10 of them evenly spread
    // (a replay costs a fresh 32 MiB machine; the CLI test cuts at every boundary of one log).
    const ends = [log.headerEnd, ...log.frames.slice(0, -1).map((f) => f.end)];
    const N = 10;
    const picked = ends.length <= N ? ends.map((_, i) => i) : Array.from({ length: N }, (_, k) => Math.round((k * (ends.length - 1)) / (N - 1)));
    let previous = 0;
    for (const i of picked) {
      const lastSync = Math.max(0, ...log.frames.slice(0, i).flatMap((f) => (f.frame.kind === 'sync' ? [f.frame.icount] : [])));
      writeFileSync(cutLog, bytes.subarray(0, ends[i]));
      // Hashing 32 MiB of RAM the first time costs more than these replays: sync points are checked elsewhere.
      const { result, output } = await replay(fx, cutLog, { verify: false });
      const where = `${name} cut at ${ends[i]} (after frame ${i})`;
      expect(result.divergence, where).toBeNull();
      expect(result.verdict, where).toBe('cut');
      expect(result.cut!.message, where).toContain(`cut at offset ${ends[i]}`);
      expect(result.icount, where).toBe(result.cut!.replayedTo);
      // At least to the last sync point in the log, never past the recording, and never less than a shorter cut.
      expect(result.icount, where).toBeGreaterThanOrEqual(Math.max(lastSync, previous));
      expect(result.icount, where).toBeLessThanOrEqual(rec.icount);
      expect(rec.output.slice(0, output.length), where).toEqual(output);
      previous = result.icount;
      const report = await inspectCommand(cutLog, {});
      expect(report.complete, where).toBe(false);
      expect(report.cut, where).toMatchObject({ offset: ends[i], afterFrame: i, partialBytes: 0, recorderFinished: true });
      expect(result.icount, where).toBeGreaterThanOrEqual(report.cut!.replayableTo);
    }
  }, 60_000);

  // Issue 4: a cut log replays "to its last whole frame". The recorder writes an events frame after
  // every ND block (and pending ND before every events frame), so that frame's `at` tells how far both go.
  it('a log cut after ND blocks that filled the buffer replays to the last block\'s icount', async () => {
    const fx = fixture('nondet');
    const rec = await record(fx, join(dir, 'nondet-blocks.vmrr'), { ndBuffer: 1024, sync: false });
    const log = readLog(rec.log);
    const blocks = log.frames.filter((f) => f.frame.kind === 'nd');
    expect(blocks.length).toBeGreaterThanOrEqual(4);
    const third = blocks[2];
    // The events frame the recorder writes after every ND block (possibly empty) closes it.
    const marker = log.frames[log.frames.indexOf(third) + 1];
    expect(marker.frame.kind).toBe('events');
    const cutLog = join(dir, 'nondet-blocks-cut.vmrr');
    writeFileSync(cutLog, readFileSync(rec.log).subarray(0, marker.end));
    const { result } = await replay(fx, cutLog, { verify: false });
    expect(result.verdict).toBe('cut');
    expect(result.icount).toBeGreaterThanOrEqual((third.frame as { at: number }).at);
  });

  it('a log cut right after its header replays nothing: verdict cut at icount 0, not a divergence', async () => {
    const fx = fixture('timer');
    const rec = recorded.get('timer')!;
    const cutLog = join(dir, 'timer-header-only.vmrr');
    writeFileSync(cutLog, readFileSync(rec.log).subarray(0, readLog(rec.log).headerEnd));
    const { result, output } = await replay(fx, cutLog);
    expect(result.divergence).toBeNull();
    expect(result).toMatchObject({ verdict: 'cut', icount: 0 });
    expect(output).toEqual([]);
  });
});

describe('replay --to', () => {
  it('stops at exactly the requested icount, in HLT idling and between events, with the recorded state at sync points', async () => {
    const fx = fixture('timer');
    const rec = recorded.get('timer')!;
    const log = readLog(rec.log);
    const syncs = log.frames.flatMap((f) => (f.frame.kind === 'sync' ? [f.frame] : []));
    const rng = new Rng(0x70);
    const targets = [0, 1, ...log.events.slice(0, 3).map((e) => e.icount), ...log.events.slice(0, 2).map((e) => e.icount - 1),
      ...Array.from({ length: 2 }, () => rng.int(2, rec.icount - 1)), rec.icount - 1];
    for (const to of targets) {
      const { result } = await replay(fx, rec.log, { to, verify: false });
      expect(result.verdict, `--to ${to}`).toBe('reached');
      expect(result.icount, `--to ${to}`).toBe(to);
    }
    for (const s of syncs) {
      const { result, hash } = await replay(fx, rec.log, { to: s.icount });
      expect(result.icount).toBe(s.icount);
      expect(result.eip).toBe(s.eip);
      expect(hash).toBe(Buffer.from(s.hash).toString('hex'));
    }
  }, 30_000);

  it('past the end of the recording replays it whole', async () => {
    const rec = recorded.get('nondet')!;
    const { result } = await replay(fixture('nondet'), rec.log, { to: rec.icount + 1000 });
    expect(result).toMatchObject({ verdict: 'identical', icount: rec.icount });
  });
});

/** Rewrite a log (no checkpoints in it) frame by frame through `edit`, with valid CRCs. */
function rewrite(src: string, dst: string, edit: (f: Frame) => Frame): void {
  const r = LogReader.open(src);
  const w = LogWriter.create(dst, r.header, { sync: false });
  for (let f = r.next(); f && f.frame.kind !== 'end'; f = r.next()) {
    if (f.frame.kind === 'checkpoint') throw new Error('rewrite: logs with checkpoints are not handled');
    w.write(edit(f.frame));
  }
  const { kind: _kind, ...end } = r.end!;
  r.close();
  w.finish(end);
}

describe('replay that parts from its log', () => {
  it('another image: a divergence naming icount, EIP and the instruction there', async () => {
    const rec = recorded.get('nondet')!;
    const { result } = await replay(fixture('nondet'), rec.log, { image: imageBytes(fixture('timer')) });
    expect(result.verdict).toBe('divergence');
    const d = result.divergence!;
    expect(d.icount).toBe(result.icount);
    expect(d.icount).toBeLessThan(rec.icount);
    expect(d.eip).toBe(result.eip);
    expect(d.instruction).toMatch(/\S/);
    expect(d.message).toMatch(/\S/);
  });

  it('an event moved one instruction later: caught by its EIP check as that event is delivered', async () => {
    const fx = fixture('timer');
    const src = (await record(fx, join(dir, 'timer-plain.vmrr'), { sync: false })).log;
    // The second event, wherever it was delivered.
    const victim = readLog(src).events[1];
    const moved = join(dir, 'timer-moved.vmrr');
    let seen = 0;
    rewrite(src, moved, (f) =>
      f.kind === 'events' ? { ...f, events: f.events.map((e) => (seen++ === 1 ? { ...e, icount: e.icount + 1 } : e)) } : f,
    );
    const { result } = await replay(fx, moved);
    expect(result.verdict).toBe('divergence');
    expect(result.divergence!.during).toMatch(/event|sync|end/);
    expect(result.icount).toBeLessThanOrEqual(victim.icount + 1);
  });

  it('an RDTSC entry logged one instruction later: caught as an ND mismatch at the entry', async () => {
    const fx = fixture('nondet');
    const src = (await record(fx, join(dir, 'nondet-plain.vmrr'), { sync: false })).log;
    const moved = join(dir, 'nondet-moved.vmrr');
    let first = -1;
    rewrite(src, moved, (f) => {
      if (f.kind !== 'nd' || first >= 0) return f;
      const i = Array.from(f.kinds.subarray(0, f.count)).findIndex((k, j) => k === 0 && j > 0);
      first = f.icounts[i];
      const icounts = Float64Array.from(f.icounts);
      icounts[i] += 1;
      return { ...f, icounts };
    });
    const { result } = await replay(fx, moved);
    expect(result.verdict).toBe('divergence');
    expect(result.divergence!.during).toBe('nd');
    expect(result.divergence!.expected).toContain(`rdtsc at icount ${first + 1}`);
    expect(result.divergence!.actual).toContain(`rdtsc at icount ${first}`);
  });
});

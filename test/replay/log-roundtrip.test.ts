import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { LogReader, type ReadFrame } from '../../src/replay/log-reader.js';
import { LogWriter } from '../../src/replay/log-writer.js';
import { FLAGS_OFFSET, FORMAT_VERSION, MAGIC, MAX_PAGES_PER_FRAME } from '../../src/replay/log-format.js';
import { sampleEnd, sampleFrames, sampleHeader, tempDir, writeSampleLog } from './helpers.js';

const dir = tempDir();

function readAll(path: string): { r: LogReader; frames: ReadFrame[] } {
  const r = LogReader.open(path);
  const frames = [...r.frames()];
  r.close();
  return { r, frames };
}

describe('log writer and reader', () => {
  it('round-trips the header and one frame of every kind, then the end frame', () => {
    const path = join(dir, 'all.vmrr');
    writeSampleLog(path);
    const { r, frames } = readAll(path);
    expect(r.header).toEqual(sampleHeader());
    expect(frames.map((f) => f.frame)).toEqual([...sampleFrames(), { kind: 'end', ...sampleEnd }]);
    expect(frames.map((f) => f.index)).toEqual([1, 2, 3, 4, 5]);
    expect(r.end).toEqual({ kind: 'end', ...sampleEnd });
    expect(r.cut).toBeNull();
    expect(r.incompleteFlag).toBe(false);
  });

  it('starts the file with the magic and the format version, and frames follow each other without gaps', () => {
    const path = join(dir, 'layout.vmrr');
    writeSampleLog(path);
    const bytes = readFileSync(path);
    expect([...bytes.subarray(0, 8)]).toEqual(MAGIC);
    expect(bytes.readUInt16LE(8)).toBe(FORMAT_VERSION);
    const { r, frames } = readAll(path);
    let at = r.dataOffset;
    for (const f of frames) {
      expect(f.offset).toBe(at);
      expect(bytes.readUInt32LE(f.offset) + 8).toBe(f.bytes);
      at += f.bytes;
    }
    expect(at).toBe(bytes.length);
  });

  it('leaves the incomplete flag set and reports a cut when the recorder aborts', () => {
    const path = join(dir, 'aborted.vmrr');
    const w = writeSampleLog(path, false);
    expect(readFileSync(path)[FLAGS_OFFSET]).toBe(1);
    const { r, frames } = readAll(path);
    expect(frames).toHaveLength(4);
    expect(r.incompleteFlag).toBe(true);
    expect(r.end).toBeNull();
    expect(r.cut).toMatchObject({ offset: w.offset, afterFrame: 4, finished: false, partialBytes: 0 });
    expect(r.cut?.message).toBe(`${path}: cut at offset ${w.offset} after frame 4 (incomplete: recorder did not finish)`);
  });

  it('reports a log with only a header as cut after the header', () => {
    const path = join(dir, 'header-only.vmrr');
    LogWriter.create(path, sampleHeader(), { sync: false }).abort();
    const { r, frames } = readAll(path);
    expect(frames).toHaveLength(0);
    expect(r.cut?.message).toMatch(/cut at offset \d+ after the header \(incomplete/);
  });

  it('splits a large checkpoint into parts linked to the previous checkpoint', () => {
    const path = join(dir, 'checkpoints.vmrr');
    const w = LogWriter.create(path, sampleHeader(), { sync: false });
    const page = (i: number) => ({ index: i, data: new Uint8Array(4096).fill(i & 0xff) });
    const n = MAX_PAGES_PER_FRAME + 3;
    const first = w.writeCheckpoint({ icount: 10, state: { a: 1 }, pages: Array.from({ length: n }, (_, i) => page(i)) });
    const second = w.writeCheckpoint({ icount: 20, state: { a: 2 }, pages: [page(1)] });
    w.finish(sampleEnd);
    const { frames } = readAll(path);
    const cps = frames.filter((f) => f.frame.kind === 'checkpoint').map((f) => ({ offset: f.offset, ...f.frame }));
    expect(cps.map((c) => [c.offset, c.kind === 'checkpoint' && [c.seq, c.part, c.parts, c.prev, c.pages.length, c.state]])).toEqual([
      [first, [0, 0, 2, null, MAX_PAGES_PER_FRAME, { a: 1 }]],
      [cps[1].offset, [0, 1, 2, null, 3, null]],
      [second, [1, 0, 1, first, 1, { a: 2 }]],
    ]);
  });

  it('counts frames and bytes per kind', () => {
    const path = join(dir, 'tally.vmrr');
    const w = writeSampleLog(path);
    expect(w.frames).toBe(5);
    expect(w.tally.nd.frames).toBe(1);
    const total = Object.values(w.tally).reduce((s, t) => s + t.bytes, 0);
    expect(total).toBe(readFileSync(path).length - LogReader.open(path).dataOffset);
  });

  it('refuses an end frame through write() and writes after finish()', () => {
    const w = LogWriter.create(join(dir, 'misuse.vmrr'), sampleHeader(), { sync: false });
    expect(() => w.write({ kind: 'end', ...sampleEnd })).toThrow(/finish/);
    w.finish(sampleEnd);
    expect(() => w.write(sampleFrames()[0])).toThrow(/closed/);
  });

  it('refuses an invalid header before creating anything useful', () => {
    expect(() => LogWriter.create(join(dir, 'bad-header.vmrr'), sampleHeader({ imageSha256: 'xyz' }))).toThrow(/imageSha256/);
  });
});

describe('log writer checks what it is given', () => {
  it('refuses frames the reader would refuse', () => {
    const w = LogWriter.create(join(dir, 'checks.vmrr'), sampleHeader({ ndBufferSize: 2 }), { sync: false });
    const nd = { kind: 'nd' as const, count: 3, at: 9, check: 0, kinds: new Uint8Array(3), icounts: Float64Array.of(1, 2, 3), values: Float64Array.of(1, 2, 3) };
    expect(() => w.write(nd)).toThrow(/more than the buffer size 2/);
    expect(() => w.write({ kind: 'events', at: 5, events: [{ kind: 'nmi' as 'timer', icount: 1, eip: 0, value: 0 }] })).toThrow(/unknown event kind nmi/);
    expect(() => w.write({ kind: 'events', at: 5, events: [{ kind: 'serial', icount: 1, eip: 0, value: -1 }] })).toThrow(/serial event with value -1/);
    expect(() => w.writeCheckpoint({ icount: 1, state: {}, pages: [{ index: 0, data: new Uint8Array(10) }] })).toThrow(/10 bytes/);
    w.abort();
  });
});

describe('log reader following a log being written', () => {
  it('reads the frames written since a cut after retry()', () => {
    const path = join(dir, 'growing.vmrr');
    const w = LogWriter.create(path, sampleHeader(), { sync: false });
    const [a, b] = sampleFrames();
    w.write(a);
    w.flush();
    const r = LogReader.open(path);
    expect(r.next()?.frame).toEqual(a);
    expect(r.next()).toBeNull();
    expect(r.cut?.afterFrame).toBe(1);
    w.write(b);
    w.finish(sampleEnd);
    r.retry();
    expect(r.next()?.frame).toEqual(b);
    expect(r.next()?.frame.kind).toBe('end');
    expect(r.next()).toBeNull();
    expect(r.cut).toBeNull();
    r.close();
  });

  it('turns an unreadable path into a LogError', () => {
    expect(() => LogReader.open(dir)).toThrow(/cannot read: .*EISDIR/);
  });
});

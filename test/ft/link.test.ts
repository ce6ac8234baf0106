// The in-memory frame link: frames go through the log's own encoding (length,
// CRC-32, CBOR) and come back equal; cursors read independently; dropped
// frames are gone; an aborted link reads as a cut.

import { describe, expect, it } from 'vitest';
import { FrameLink, decodeFrame, encodeFrame } from '../../src/replay/frame-link.js';
import { makeCbor } from '../../src/replay/cbor-fields.js';
import type { LogHeader } from '../../src/replay/log-format.js';
import type { Frame } from '../../src/replay/frames.js';

const header: LogHeader = {
  toolVersion: 'test', machine: { ram: 4 << 20, wallClockMs: 1 }, imagePath: 'x', imageSha256: 'a'.repeat(64),
  diskPath: null, diskSha256: null, clock: 'host', ndBufferSize: 8, created: '2026-01-01T00:00:00.000Z',
};

const nd: Frame = {
  kind: 'nd', at: 130, count: 3, check: 0x1234abcd,
  kinds: Uint8Array.of(0, 0, 1), icounts: Float64Array.of(100, 109, 120), values: Float64Array.of(1_000_000, 1_000_500, 0xdeadbeef),
};
const events: Frame = { kind: 'events', at: 200, events: [{ kind: 'timer', icount: 150, eip: 0x1000, value: 5000 }, { kind: 'serial', icount: 190, eip: 0x1004, value: 65 }] };
const sync: Frame = { kind: 'sync', icount: 200, eip: 0x1008, hash: Uint8Array.of(1, 2, 3, 4, 5, 6, 7, 8) };

describe('FrameLink', () => {
  it('a frame encoded for the link decodes to the same frame; a flipped bit is caught by the CRC', () => {
    const cbor = makeCbor();
    for (const f of [nd, events, sync]) {
      const bytes = encodeFrame(cbor, f);
      expect(decodeFrame(cbor, bytes, 0)).toEqual(f);
      const bad = bytes.slice();
      bad[bad.length - 1] ^= 1;
      expect(() => decodeFrame(cbor, bad, 77)).toThrow(/bad CRC at offset 77/);
    }
  });

  it('two cursors read the same frames in order, each at its own pace, and see new frames as they are sent', () => {
    const link = new FrameLink();
    const sink = link.sink(header);
    expect(link.header()).toEqual(header);
    const a = link.cursor(), b = link.cursor();
    sink.write(nd);
    sink.write(events);
    expect(a.next()?.frame).toEqual(nd);
    expect(a.next()?.frame).toEqual(events);
    expect(a.next()).toBeNull();
    sink.write(sync);
    expect(a.next()).toMatchObject({ index: 3, frame: sync });
    expect(b.next()).toMatchObject({ index: 1, frame: nd });
    expect(a.cut).toBeNull();
    expect(link.tally.nd.frames).toBe(1);
    expect(link.bytes).toBeGreaterThan(0);
  });

  it('frames before a point can be dropped; a cursor after them still reads on', () => {
    const link = new FrameLink();
    const sink = link.sink(header);
    sink.write(nd);
    sink.write(events);
    sink.write(sync);
    link.dropBefore(3);
    expect(link.held).toBe(1);
    expect(link.cursor(3).next()?.frame).toEqual(sync);
    expect(() => link.cursor(1).next()).toThrow(/dropped/);
  });

  it('an aborted primary leaves a cut once everything sent was read; finish sends the end frame', () => {
    const link = new FrameLink();
    const sink = link.sink(header);
    sink.write(nd);
    const c = link.cursor(1);
    sink.abort();
    expect(c.cut).toBeNull();
    c.next();
    expect(c.next()).toBeNull();
    expect(c.cut?.message).toMatch(/without an end frame/);

    const l2 = new FrameLink();
    const s2 = l2.sink(header);
    s2.finish({ icount: 5, eip: 1, reason: 'exit', exitValue: 1, hash: Uint8Array.of(9), stats: {} });
    expect(l2.cursor(1).next()?.frame).toMatchObject({ kind: 'end', icount: 5, reason: 'exit' });
    expect(() => s2.write(nd)).toThrow(/after the end frame/);
  });
});

// One frame codec for the log and the FT link (src/replay/frame-wire.ts):
// the same frames become the same bytes in a .vmrr file and on the link,
// each side reads the other's bytes, and checkpoints split the same way.

import { describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FrameLink } from '../../src/replay/frame-link.js';
import { LogWriter } from '../../src/replay/log-writer.js';
import { LogReader } from '../../src/replay/log-reader.js';
import { makeCbor } from '../../src/replay/cbor-fields.js';
import { FRAME_HEADER_BYTES, MAX_PAGES_PER_FRAME, PREAMBLE_BYTES, type LogHeader } from '../../src/replay/log-format.js';
import { checkpointParts, decodeFrameBytes, encodeFrame } from '../../src/replay/frame-wire.js';
import type { Frame } from '../../src/replay/frames.js';

const header: LogHeader = {
  toolVersion: 'test', machine: { ram: 4 << 20, wallClockMs: 1 }, imagePath: 'x', imageSha256: 'a'.repeat(64),
  diskPath: null, diskSha256: null, clock: 'host', ndBufferSize: 8, created: '2026-01-01T00:00:00.000Z',
};

const frames: Frame[] = [
  {
    kind: 'nd', at: 130, count: 3, check: 0x1234abcd,
    kinds: Uint8Array.of(0, 0, 1), icounts: Float64Array.of(100, 109, 120), values: Float64Array.of(1_000_000, 1_000_500, 0xdeadbeef),
  },
  { kind: 'events', at: 200, events: [{ kind: 'serial', icount: 190, eip: 0x1004, value: 65 }] },
  { kind: 'sync', icount: 200, eip: 0x1008, hash: Uint8Array.of(1, 2, 3, 4, 5, 6, 7, 8) },
];

describe('frame-wire', () => {
  it('the log file and the link hold the same bytes for the same frames, and each reads the other', () => {
    const dir = mkdtempSync(join(tmpdir(), 'vmrr-wire-'));
    try {
      const path = join(dir, 'a.vmrr');
      const w = LogWriter.create(path, header, { sync: false });
      for (const f of frames) w.write(f);
      w.abort();
      const link = new FrameLink();
      const sink = link.sink(header);
      for (const f of frames) sink.write(f);
      const file = readFileSync(path);
      const headerLen = file.readUInt32LE(PREAMBLE_BYTES);
      const fileFrames = Uint8Array.prototype.slice.call(file, PREAMBLE_BYTES + FRAME_HEADER_BYTES + headerLen);
      const linkFrames = Buffer.concat(link.encodedSince(1));
      expect(Buffer.from(fileFrames).equals(linkFrames)).toBe(true);
      // The link's bytes as a log's: the reader decodes the frames the link sent.
      const r = LogReader.open(path);
      expect([...r.frames()].map((f) => f.frame)).toEqual(frames);
      r.close();
      const cbor = makeCbor();
      expect(link.encodedSince(1).map((b) => decodeFrameBytes(cbor, b))).toEqual(frames);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('a damaged frame: length, CRC and kind are checked, with the problem alone in the message', () => {
    const cbor = makeCbor();
    const good = encodeFrame(cbor, frames[2]);
    const flip = good.slice();
    flip[FRAME_HEADER_BYTES + 2] ^= 0x10;
    expect(() => decodeFrameBytes(cbor, flip)).toThrow(/^bad CRC$/);
    expect(() => decodeFrameBytes(cbor, good.subarray(0, good.length - 1))).toThrow(/^bad frame length$/);
    const zero = good.slice();
    zero.fill(0, 0, 4);
    expect(() => decodeFrameBytes(cbor, zero)).toThrow(/^absurd length 0/);
    const nd = encodeFrame(cbor, frames[0]);
    expect(() => decodeFrameBytes(cbor, nd, 2)).toThrow(/^bad nd frame \(3 entries, more than the buffer size 2\)$/);
  });

  it('checkpoints split into parts of MAX_PAGES_PER_FRAME pages, the state in part 0, linked to the previous one', () => {
    const pages = Array.from({ length: MAX_PAGES_PER_FRAME + 3 }, (_, index) => ({ index, data: new Uint8Array(0) }));
    const parts = checkpointParts({ icount: 5, state: { a: 1 }, pages }, 7, 1234);
    expect(parts.map((p) => [p.part, p.parts, p.pages.length, p.state === null, p.seq, p.prev])).toEqual([
      [0, 2, MAX_PAGES_PER_FRAME, false, 7, 1234],
      [1, 2, 3, true, 7, 1234],
    ]);
    expect(checkpointParts({ icount: 5, state: { a: 1 }, pages: [] }, 0, null)).toHaveLength(1);
  });
});

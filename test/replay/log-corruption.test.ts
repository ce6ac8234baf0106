import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { makeCbor } from '../../src/replay/cbor-fields.js';
import { crc32 } from '../../src/replay/crc32.js';
import { LogError } from '../../src/replay/log-error.js';
import { LogReader, type ReadFrame } from '../../src/replay/log-reader.js';
import { Rng, tempDir, writeSampleLog } from './helpers.js';

const dir = tempDir();
const good = join(dir, 'good.vmrr');
writeSampleLog(good, true, true);
const goodBytes = readFileSync(good);
const reference = LogReader.open(good);
const refFrames = [...reference.frames()];
reference.close();
/** Offsets where each whole frame ends. */
const frameEnds = refFrames.map((f) => f.offset + f.bytes);

type Outcome = { error: LogError } | { frames: ReadFrame[]; r: LogReader };

/** Read a whole log; anything thrown but LogError fails the test. */
function attempt(bytes: Uint8Array, name = 'x.vmrr'): Outcome {
  const path = join(dir, name);
  writeFileSync(path, bytes);
  let r: LogReader | null = null;
  try {
    r = LogReader.open(path);
    return { frames: [...r.frames()], r };
  } catch (e) {
    if (e instanceof LogError) return { error: e };
    throw e;
  } finally {
    r?.close();
  }
}

/** A copy of the good log with frame `index` (1-based) replaced by `payload`, correctly framed. */
function withPayload(index: number, payload: Uint8Array): Uint8Array {
  const f = refFrames[index - 1];
  const head = Buffer.alloc(8);
  head.writeUInt32LE(payload.length, 0);
  head.writeUInt32LE(crc32(payload, 0, payload.length, crc32(head, 0, 4)), 4);
  return Buffer.concat([goodBytes.subarray(0, f.offset), head, payload, goodBytes.subarray(f.offset + f.bytes)]);
}

describe('log reader on damaged logs', () => {
  it('reads a log cut at every byte offset to its last whole frame, and fails only inside the header', () => {
    const dataOffset = refFrames[0].offset;
    for (let n = 0; n < goodBytes.length; n++) {
      const out = attempt(goodBytes.subarray(0, n));
      if ('error' in out) {
        expect(n, out.error.message).toBeLessThan(dataOffset);
        continue;
      }
      const whole = frameEnds.filter((e) => e <= n).length;
      expect(out.frames.map((f) => f.frame)).toEqual(refFrames.slice(0, whole).map((f) => f.frame));
      const lastEnd = whole === 0 ? dataOffset : frameEnds[whole - 1];
      expect(out.r.cut).toMatchObject({ offset: lastEnd, afterFrame: whole, finished: true, partialBytes: n - lastEnd });
      expect(out.r.cut?.message).toContain(`cut at offset ${lastEnd} after ${whole ? `frame ${whole}` : 'the header'} (truncated`);
    }
  }, 30_000);

  it('reports a cut in a log whose recorder did not finish as incomplete', () => {
    const bytes = Uint8Array.from(goodBytes);
    bytes[10] = 1; // the incomplete flag
    const cutAt = frameEnds[1] + 5;
    const out = attempt(bytes.subarray(0, cutAt));
    expect('frames' in out && out.r.cut?.message).toBe(
      `${join(dir, 'x.vmrr')}: cut at offset ${frameEnds[1]} after frame 2 (incomplete: recorder did not finish; 5 bytes of a partial frame follow)`,
    );
  });

  it('catches every flipped bit after the preamble: LogError naming the offset, or a cut', () => {
    for (let byte = 12; byte < goodBytes.length; byte++) {
      for (let bit = 0; bit < 8; bit++) {
        const bytes = Uint8Array.from(goodBytes);
        bytes[byte] ^= 1 << bit;
        const out = attempt(bytes);
        if ('error' in out) {
          expect(out.error.message).toMatch(/^.*x\.vmrr: .* at offset \d+$/);
          const frame = refFrames.find((f) => byte >= f.offset && byte < f.offset + f.bytes);
          if (frame) expect(out.error.offset).toBe(frame.offset);
          continue;
        }
        // A length made larger than the file looks like a cut file; it never passes as whole.
        expect(out.r.end, `flip of bit ${bit} at ${byte} went unnoticed`).toBeNull();
        expect(out.r.cut).not.toBeNull();
      }
    }
  }, 60_000);

  it('names the frame and offset of a bad CRC', () => {
    const f = refFrames[2];
    const bytes = Uint8Array.from(goodBytes);
    bytes[f.offset + 12] ^= 0x10;
    const out = attempt(bytes, 'run.vmrr');
    expect('error' in out && out.error.message).toBe(`${join(dir, 'run.vmrr')}: bad CRC in frame 3 at offset ${f.offset}`);
  });

  it('refuses an unknown format version', () => {
    const bytes = Uint8Array.from(goodBytes);
    bytes[8] = 4;
    const out = attempt(bytes);
    expect('error' in out && out.error.message).toBe(`${join(dir, 'x.vmrr')}: unsupported format version 4 (this vmrr reads versions 1 to 3) at offset 8`);
  });

  it('refuses an absurd frame length without reading it', () => {
    const f = refFrames[1];
    const bytes = Buffer.from(goodBytes);
    bytes.writeUInt32LE(0xffffffff, f.offset);
    const out = attempt(bytes);
    expect('error' in out && out.error.message).toBe(`${join(dir, 'x.vmrr')}: absurd length 4294967295 (limit 67108864) in frame 2 at offset ${f.offset}`);
  });

  it('refuses an absurd header length', () => {
    const bytes = Buffer.from(goodBytes);
    bytes.writeUInt32LE(0x7fffffff, 12);
    const out = attempt(bytes);
    expect('error' in out && out.error.message).toMatch(/absurd length 2147483647 \(limit 1048576\) in the header at offset 12$/);
  });

  it('refuses files that are not logs', () => {
    expect('error' in attempt(new Uint8Array(0)) && (attempt(new Uint8Array(0)) as { error: LogError }).error.message).toMatch(/not a vmrr log \(empty file\) at offset 0$/);
    const elf = Uint8Array.of(0x7f, 0x45, 0x4c, 0x46, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0);
    expect((attempt(elf) as { error: LogError }).error.message).toMatch(/not a vmrr log \(bad magic\) at offset 0$/);
    expect(() => LogReader.open(join(dir, 'missing.vmrr'))).toThrow(LogError);
  });

  it('refuses a well-framed payload that is not CBOR, not [kind, body], of an unknown kind or with bad fields', () => {
    const cbor = makeCbor();
    const cases: [Uint8Array, RegExp][] = [
      [Uint8Array.of(0xff, 0xff, 0x00), /bad CBOR \(.*\) in frame 1 at offset/],
      [Uint8Array.from([...new Uint8Array(200_000).fill(0x81), 0]), /bad CBOR \(.*\) in frame 1 at offset/], // nested past the stack
      [Uint8Array.of(0x9b, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff), /bad CBOR/], // an array of 2^64-1 items
      [cbor.encode({ a: 1 }), /payload is not \[kind, body\] in frame 1/],
      [cbor.encode([9, {}]), /unknown frame kind 9 in frame 1/],
      [cbor.encode([4, { icount: -1, eip: 0, hash: new Uint8Array(4) }]), /bad sync frame \(field 'icount' is -1, not an integer from 0 to \d+\) in frame 1/],
      [cbor.encode([1, { at: 10, n: 100, check: 0, data: new Uint8Array(200) }]), /bad nd frame \(100 entries, more than the buffer size 64\) in frame 1/],
      [cbor.encode([1, { at: 10, n: 60, check: 0, data: new Uint8Array(10) }]), /bad nd frame \(bad packed ND data: 10 bytes cannot hold 60 entries\)/],
      [cbor.encode([1, { at: 10, n: 2, check: 0, data: Uint8Array.of(0x80, 0x80, 0x80, 0x80) }]), /bad nd frame \(bad packed ND data: packed data ends/],
      [cbor.encode([2, { at: 10, events: [[7, 0, 0, 0]] }]), /bad events frame \(event 0 has unknown kind 7\)/],
    ];
    for (const [payload, re] of cases) {
      const out = attempt(withPayload(1, payload));
      expect('error' in out && out.error.message).toMatch(re);
    }
  });

  it('refuses bytes after the end frame', () => {
    const out = attempt(Buffer.concat([goodBytes, Buffer.of(0, 0, 0)]));
    expect('error' in out && out.error.message).toMatch(new RegExp(`3 bytes after the end frame at offset ${goodBytes.length}$`));
  });
});

describe('log reader on damaged headers', () => {
  const headerEnd = refFrames[0].offset;

  it('names the header for a bad header CRC', () => {
    const bytes = Uint8Array.from(goodBytes);
    bytes[headerEnd - 3] ^= 1;
    expect((attempt(bytes, 'h.vmrr') as { error: LogError }).error.message).toBe(`${join(dir, 'h.vmrr')}: bad CRC in the header at offset 12`);
  });

  it('names the field of a header that decodes but is wrong', () => {
    const cbor = makeCbor();
    const reader = LogReader.open(good);
    const payload = cbor.encode({ ...reader.header, clock: 'sun' });
    reader.close();
    const head = Buffer.alloc(8);
    head.writeUInt32LE(payload.length, 0);
    head.writeUInt32LE(crc32(payload, 0, payload.length, crc32(head, 0, 4)), 4);
    const bytes = Buffer.concat([goodBytes.subarray(0, 12), head, payload, goodBytes.subarray(headerEnd)]);
    expect((attempt(bytes, 'h.vmrr') as { error: LogError }).error.message).toBe(
      `${join(dir, 'h.vmrr')}: bad header (field 'clock' is "sun", not host or virtual) at offset 12`,
    );
  });

  it('says a log cut inside its header is incomplete when the recorder did not finish', () => {
    const bytes = Uint8Array.from(goodBytes.subarray(0, headerEnd - 10));
    bytes[10] = 1;
    expect((attempt(bytes, 'h.vmrr') as { error: LogError }).error.message).toBe(
      `${join(dir, 'h.vmrr')}: cut inside the header (incomplete: recorder did not finish) at offset ${headerEnd - 10}`,
    );
  });
});

describe('log reader on random damage', () => {
  it('never throws anything but LogError, whatever bytes are overwritten, inserted or cut', () => {
    const rng = new Rng(2024);
    for (let round = 0; round < 400; round++) {
      let bytes = Uint8Array.from(goodBytes);
      for (let k = rng.int(1, 4); k > 0; k--) {
        const at = rng.int(12, bytes.length - 1);
        const op = rng.int(0, 2);
        if (op === 0) bytes[at] = rng.u32() & 0xff;
        else if (op === 1) bytes = Uint8Array.from([...bytes.subarray(0, at), rng.u32() & 0xff, ...bytes.subarray(at)]);
        else bytes = bytes.subarray(0, at);
      }
      const out = attempt(bytes);
      if ('frames' in out) expect(out.r.end !== null || out.r.cut !== null).toBe(true);
    }
  }, 30_000);
});

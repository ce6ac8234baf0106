// Shared pieces of the replay tests: temporary files, a valid header, a
// seeded random generator (tests must be repeatable) and a sample log.
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll } from 'vitest';
import type { LogHeader } from '../../src/replay/log-format.js';
import { LogWriter } from '../../src/replay/log-writer.js';
import type { Frame } from '../../src/replay/frames.js';
import type { EndFrame } from '../../src/replay/frames.js';

/** A fresh directory (in memory where possible: some tests write thousands of small logs), removed when the test file ends. */
export function tempDir(): string {
  const dir = mkdtempSync(join(existsSync('/dev/shm') ? '/dev/shm' : tmpdir(), 'vmrr-replay-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

export function sampleHeader(over: Partial<LogHeader> = {}): LogHeader {
  return {
    toolVersion: '0.1.0',
    machine: { ram: 32 * 1024 * 1024, tlbEntries: 4096, serial: 'file' },
    imagePath: 'fixtures/nondet.mb',
    imageSha256: 'ab'.repeat(32),
    diskPath: null,
    diskSha256: null,
    clock: 'host',
    ndBufferSize: 64,
    created: '2026-11-30T03:00:00.000Z',
    ...over,
  };
}

/** xorshift32: small, seeded, good enough to pick test cases. */
export class Rng {
  private s: number;
  constructor(seed: number) {
    this.s = seed | 0 || 1;
  }
  u32(): number {
    let x = this.s;
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    this.s = x;
    return x >>> 0;
  }
  /** Integer in [lo, hi]. */
  int(lo: number, hi: number): number {
    return lo + (this.u32() % (hi - lo + 1));
  }
}

export const sampleEnd: Omit<EndFrame, 'kind'> = {
  icount: 5000,
  eip: 0x101234,
  reason: 'exit',
  exitValue: 1,
  hash: new Uint8Array(32).fill(7),
  stats: { rdtsc: 3, bufferExits: 0 },
};

/** One frame of every kind but end; `small` leaves the checkpoint's page out, for byte-by-byte tests. */
export function sampleFrames(small = false): Frame[] {
  const page = new Uint8Array(4096).map((_, i) => i & 0xff);
  return [
    {
      kind: 'nd', count: 3, at: 120, check: 0x12345678,
      kinds: Uint8Array.of(0, 1, 0), icounts: Float64Array.of(100, 105, 110), values: Float64Array.of(1e9, 0xdeadbeef, 1e9 + 77),
    },
    {
      kind: 'events', at: 400, events: [
        { kind: 'timer', icount: 200, eip: 0x1000, value: 5_000_000_123 },
        { kind: 'serial', icount: 300, eip: 0x1008, value: 104 },
        { kind: 'disk', icount: 300, eip: 0x1008, value: 0 },
      ],
    },
    { kind: 'sync', icount: 1000, eip: 0x100010, hash: new Uint8Array(32).fill(9) },
    { kind: 'checkpoint', icount: 2000, seq: 0, part: 0, parts: 1, prev: null, state: { regs: [1, 2, 3], eip: 0x1000 }, pages: small ? [] : [{ index: 5, data: page }] },
  ];
}

/** Write the sample frames and an end frame to `path`; returns the writer (closed). */
export function writeSampleLog(path: string, finish = true, small = false): LogWriter {
  const w = LogWriter.create(path, sampleHeader(), { sync: false });
  for (const f of sampleFrames(small)) w.write(f);
  if (finish) w.finish(sampleEnd);
  else w.abort();
  return w;
}

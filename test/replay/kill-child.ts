// Child process for log-kill.test.ts: records frames forever until killed.
// Frame i is a function of i alone, so the parent can check every frame read.
import { writeSync } from 'node:fs';
import { LogWriter } from '../../src/replay/log-writer.js';
import type { Frame } from '../../src/replay/frames.js';
import { sampleHeader } from './helpers.js';

export function frameNumber(i: number): Frame {
  if (i % 3 === 2) return { kind: 'events', at: i * 100 + 50, events: [{ kind: 'serial', icount: i * 100, eip: i, value: i & 0xff }] };
  const n = 1 + (i % 7);
  return {
    kind: 'nd', count: n, at: i * 100 + n, check: i,
    kinds: new Uint8Array(n), icounts: Float64Array.from({ length: n }, (_, k) => i * 100 + k), values: Float64Array.from({ length: n }, (_, k) => i * 1000 + k),
  };
}

if (process.argv[2]) {
  const w = LogWriter.create(process.argv[2], sampleHeader(), {});
  // Bounded, so a parent that fails to kill it does not fill the disk.
  for (let i = 0; i < 300_000; i++) {
    w.write(frameNumber(i));
    if (i === 500) writeSync(1, 'ready\n');
  }
  process.exit(3);
}

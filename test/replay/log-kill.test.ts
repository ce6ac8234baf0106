import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { LogReader } from '../../src/replay/log-reader.js';
import { frameNumber } from './kill-child.js';
import { tempDir } from './helpers.js';

const dir = tempDir();
const child = fileURLToPath(new URL('./kill-child.ts', import.meta.url));

/** Start a recorder, SIGKILL it `delayMs` after it has written 500 frames. */
function killRecorder(path: string, delayMs: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, ['--import', 'tsx', child, path], { stdio: ['ignore', 'pipe', 'inherit'] });
    p.stdout.on('data', () => setTimeout(() => p.kill('SIGKILL'), delayMs));
    p.on('exit', (_code, signal) => (signal === 'SIGKILL' ? resolve() : reject(new Error(`recorder ended with ${signal}`))));
  });
}

describe('a SIGKILLed recorder', () => {
  it.each([0, 7, 40])('leaves a log that reads to its last whole frame (killed %d ms after frame 500)', async (delay) => {
    const path = join(dir, `killed-${delay}.vmrr`);
    await killRecorder(path, delay);
    const r = LogReader.open(path);
    let n = 0;
    for (const f of r.frames()) expect(f.frame).toEqual(frameNumber(n++));
    r.close();
    // At most maxPendingFrames (16) frames were still in the writer's buffer.
    expect(n).toBeGreaterThanOrEqual(500 - 16);
    expect(r.end).toBeNull();
    expect(r.cut).toMatchObject({ afterFrame: n, finished: false });
    expect(r.cut?.message).toMatch(/cut at offset \d+ after frame \d+ \(incomplete: recorder did not finish/);
  }, 30_000);
});

// `vmrr demo`: record the bundled non-deterministic guest, replay it,
// record it again, and show where the two recordings part. Everything it
// shows is computed by the real commands on real logs (in a temporary
// directory, removed afterwards unless --keep DIR is given).
import { mkdtempSync, rmSync, statSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { recordCommand, type RecordOptions, type RecordSummary } from './record.js';
import { replayCommand } from './replay.js';
import { diffCommand, formatDiff, type DiffSummary } from './diff.js';
import type { ReplaySummary } from './replay.js';
import { ftDemoPart, type FtDemoPart } from './ft-check.js';

export const DEMO_IMAGE = fileURLToPath(new URL('../../fixtures/demo.mb', import.meta.url));

export interface DemoReport {
  image: string;
  dir: string | null;
  first: RecordSummary;
  replay: ReplaySummary;
  outputIdentical: boolean;
  second: RecordSummary;
  diff: DiffSummary;
  /** The fault-tolerance part: a fault injected into a secondary, detected, corrected. */
  ft: { ok: boolean; lines: string[]; divergences: number; resyncs: number };
  /** The demo showed what it should: replay identical, the second recording different, diff found where. */
  ok: boolean;
}

export interface DemoIo {
  /** Progress lines for people. */
  say(line: string): void;
  signal?: AbortSignal;
}

function recordOpts(output: string): RecordOptions {
  return {
    ram: 32 << 20, debugcon: [], append: '', clock: 'host', mhz: 1000, diskWritable: false,
    output, ndBuffer: 4096, syncEvery: 1_000_000, checkpointEvery: 0, json: true,
  } as unknown as RecordOptions;
}

async function capture<T>(body: (push: (b: Uint8Array) => void) => Promise<T>): Promise<{ value: T; bytes: Buffer }> {
  const parts: Uint8Array[] = [];
  const value = await body((b) => parts.push(Uint8Array.from(b)));
  return { value, bytes: Buffer.concat(parts) };
}

export async function demoCommand(opts: { keep?: string }, io: DemoIo): Promise<DemoReport> {
  const dir = opts.keep ?? mkdtempSync(join(tmpdir(), 'vmrr-demo-'));
  if (opts.keep) mkdirSync(dir, { recursive: true });
  const a = join(dir, 'first.vmrr'), b = join(dir, 'second.vmrr');
  const warn = (m: string): void => io.say(`warning: ${m}`);
  try {
    io.say(`1. record ${DEMO_IMAGE} -> ${a}`);
    const rec1 = await capture((push) => recordCommand(DEMO_IMAGE, { ...recordOpts(a), json: false }, { guestStdout: push, warn, signal: io.signal }));
    const first = rec1.value;
    io.say(`   ${first.icount} instructions, ${first.nd.rdtsc} RDTSC, ${first.nd.rdrand} RDRAND, ${first.events} events (timer ticks), ${statSync(a).size} log bytes`);

    io.say(`2. replay ${a} --verify`);
    const rep = await capture((push) => replayCommand(a, { force: false, verify: true, json: false }, { guestStdout: push, warn, signal: io.signal }));
    const replay = rep.value;
    const outputIdentical = Buffer.compare(rec1.bytes, rep.bytes) === 0;
    io.say(`   ${replay.verdict}: ${replay.syncsChecked} state hashes checked, guest output ${outputIdentical ? 'byte-identical' : 'DIFFERENT'} (${rep.bytes.length} bytes)`);

    io.say(`3. record again -> ${b}`);
    const rec2 = await capture((push) => recordCommand(DEMO_IMAGE, { ...recordOpts(b), json: false }, { guestStdout: push, warn, signal: io.signal }));
    const second = rec2.value;
    io.say(`   ${second.icount} instructions; guest output ${Buffer.compare(rec1.bytes, rec2.bytes) === 0 ? 'the same as the first run' : 'differs from the first run'}`);

    io.say(`4. diff ${a} ${b}`);
    const diff = await diffCommand(a, b);
    for (const line of formatDiff(diff).trimEnd().split('\n')) io.say(`   ${line}`);

    io.say('5. ft-check: the same guest as primary and secondary in quasi-lockstep, a fault injected into the secondary');
    const part: FtDemoPart = await ftDemoPart(DEMO_IMAGE, { guestOut: () => {}, signal: io.signal });
    for (const line of part.lines) io.say(`   ${line}`);
    const ft = { ok: part.ok, lines: part.lines, divergences: part.report.divergences.length, resyncs: part.report.resyncs.length };
    const ok = replay.verdict === 'identical' && outputIdentical && !diff.identical && diff.icount !== null && ft.ok;
    return { image: DEMO_IMAGE, dir: opts.keep ?? null, first, replay, outputIdentical, second, diff, ft, ok };
  } finally {
    if (!opts.keep) rmSync(dir, { recursive: true, force: true });
  }
}

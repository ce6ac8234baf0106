// The block compiler (src/cpu/jit/) must be invisible to the guest (issue 16):
// - every fixture that runs to an end, recorded with the JIT and without it
//   (--clock virtual, --seed: a live run is then reproducible), gives the same
//   output, stop, icount and the same log after its header, frame for frame:
//   every sync point's state hash, every checkpoint, every event position;
// - a log recorded with the JIT replays identically with --no-jit and the
//   other way round, through the CLI, with host-clock recordings (timer
//   interrupts wherever the host put them);
// - ft-check with the JIT on one side only finds no divergence;
// - the engine options' bad values are usage errors.
import { readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { recordCommand, type RecordOptions, type RecordSummary } from '../../src/cli/record.js';
import { applyDefaults } from '../../src/cli/options.js';
import { FRAME_HEADER_BYTES, PREAMBLE_BYTES } from '../../src/replay/log-format.js';
import { summarizeLog } from '../../src/replay/log-summary.js';
import { ensureBuilt, expectUsageError, ROOT, tempFiles, vmrr } from '../cli/helpers.js';

const t = tempFiles({});
afterAll(() => rmSync(t.dir, { recursive: true, force: true }));

/** Inputs some fixtures wait for; without them they spin or halt early. */
const INPUTS: Record<string, Partial<RecordOptions>> = {
  'ata.mb': { disk: join(ROOT, 'fixtures/ata-disk.img') },
  'serial-echo.mb': { serialIn: join(ROOT, 'fixtures/serial-echo.in') },
  'keys.mb': { keys: join(ROOT, 'fixtures/keys.in') },
  'screen.mb': { keys: join(ROOT, 'fixtures/screen.in') },
};
/**
 * Sync and checkpoint spacing: every 25,000 instructions by default; guests
 * that dirty many pages between sync points (ptbench.mb rewrites page tables,
 * late-nd.mb runs 10^8 instructions) sparser, else hashing dominates (45 s).
 */
const SPACING: Record<string, { syncEvery: number; checkpointEvery: number }> = {
  'ptbench.mb': { syncEvery: 1_000_000, checkpointEvery: 10_000_000 },
  'late-nd.mb': { syncEvery: 2_000_000, checkpointEvery: 20_000_000 },
};
/**
 * bench.mb is bench-short.mb's program with 50 times the iterations (522 million
 * instructions, tens of seconds on the interpreter): bench-short.mb stands for it.
 */
const SKIP = new Set(['bench.mb']);
const FIXTURES = readdirSync(join(ROOT, 'fixtures')).filter((n) => n.endsWith('.mb') && !SKIP.has(n)).sort();

/** The log's bytes after its preamble and header frame (the header holds its creation time). */
function afterHeader(path: string): Buffer {
  const b = readFileSync(path);
  return b.subarray(PREAMBLE_BYTES + FRAME_HEADER_BYTES + b.readUInt32LE(PREAMBLE_BYTES));
}

async function record(name: string, jit: boolean, log: string): Promise<{ s: RecordSummary; out: Buffer }> {
  const chunks: Buffer[] = [];
  const opts = {
    ...(applyDefaults({ clock: 'virtual', seed: 1 }) as unknown as RecordOptions),
    ...INPUTS[name],
    output: log,
    ndBuffer: 4096,
    // Many sync points: each is a state hash compared through the log's bytes.
    syncEvery: 25_000,
    checkpointEvery: 1_000_000,
    ...SPACING[name],
    maxInsns: 150_000_000,
    json: false,
    // With the JIT, a low threshold so that short fixtures run compiled too.
    ...(jit ? { jitThreshold: 2 } : { jit: false }),
  };
  const s = await recordCommand(join(ROOT, 'fixtures', name), opts, { guestStdout: (b) => chunks.push(Buffer.from(b)), warn: () => {} });
  return { s, out: Buffer.concat(chunks) };
}

describe('the block compiler against the interpreter, every fixture', () => {
  for (const name of FIXTURES) {
    it(`${name}: same output, stop, icount and log (every sync point's state hash) with and without the JIT`, async () => {
      const a = await record(name, true, t.path(`${name}.jit.vmrr`));
      const b = await record(name, false, t.path(`${name}.interp.vmrr`));
      expect(a.s.jit.enabled).toBe(true);
      expect(b.s.jit).toMatchObject({ enabled: false, compiledInsns: 0, regions: 0 });
      // The JIT side did run compiled code (else this compares the interpreter with itself).
      expect(a.s.jit.compiledInsns).toBeGreaterThan(0);
      expect({ reason: a.s.reason, icount: a.s.icount, eip: a.s.eip, exitValue: a.s.exitValue, faults: a.s.faults, halt: a.s.halt, syncs: a.s.syncPoints, events: a.s.events })
        .toEqual({ reason: b.s.reason, icount: b.s.icount, eip: b.s.eip, exitValue: b.s.exitValue, faults: b.s.faults, halt: b.s.halt, syncs: b.s.syncPoints, events: b.s.events });
      expect(a.out.equals(b.out)).toBe(true);
      // Sync hashes listed one by one (a readable failure), then the whole logs.
      const syncs = (log: string): string[] => {
        const out: string[] = [];
        summarizeLog(log, { onFrame: ({ frame: f }) => { if (f.kind === 'sync') out.push(`${f.icount} ${f.eip} ${Buffer.from(f.hash).toString('hex')}`); } });
        return out;
      };
      const sa = syncs(t.path(`${name}.jit.vmrr`));
      expect(sa.length).toBe(a.s.syncPoints);
      expect(sa).toEqual(syncs(t.path(`${name}.interp.vmrr`)));
      expect(afterHeader(t.path(`${name}.jit.vmrr`)).equals(afterHeader(t.path(`${name}.interp.vmrr`)))).toBe(true);
    }, 120_000);
  }
});

describe('logs and ft-check across engines (CLI)', () => {
  beforeAll(ensureBuilt, 120_000);

  // Host-clock recordings: timer interrupts land where the host put them, inside compiled loops.
  for (const [name, extra] of [['nondet.mb', []], ['timer.mb', []], ['smc.mb', []], ['ata.mb', ['--disk', 'fixtures/ata-disk.img']]] as const) {
    it(`${name}: recorded with the JIT, replays identically with --no-jit, and the other way round`, () => {
      const jitLog = t.path(`cli-${name}.jit.vmrr`);
      const intLog = t.path(`cli-${name}.int.vmrr`);
      const rj = vmrr(['record', '--jit-threshold', '1', '--sync-every', '20000', '--json', ...extra, '-o', jitLog, `fixtures/${name}`]);
      expect(rj.status, rj.stderr).toBe(0);
      expect(JSON.parse(rj.stdout).jit.compiledInsns).toBeGreaterThan(0);
      const ri = vmrr(['record', '--no-jit', '--sync-every', '20000', '--json', ...extra, '-o', intLog, `fixtures/${name}`]);
      expect(ri.status, ri.stderr).toBe(0);
      for (const [log, engine] of [[jitLog, ['--no-jit']], [intLog, ['--jit-threshold', '1']], [jitLog, ['--jit-threshold', '1']]] as const) {
        const r = vmrr(['replay', '--json', ...engine, log]);
        expect(r.status, r.stderr).toBe(0);
        const j = JSON.parse(r.stdout);
        expect(j.verdict, `${log} ${engine.join(' ')}`).toBe('identical');
        expect(j.checked.stateHashes).toBeGreaterThan(0);
        expect(j.jit.enabled).toBe(engine[0] !== '--no-jit');
      }
    }, 120_000);
  }

  for (const [sides, args] of [
    ['JIT primary, interpreter secondary', ['--jit-threshold', '1', '--secondary-jit-threshold', '0']],
    ['interpreter primary, JIT secondary', ['--no-jit', '--secondary-jit-threshold', '1']],
    ['JIT primary, interpreter secondary in a worker thread', ['--jit-threshold', '1', '--secondary-jit-threshold', '0', '--threads', '2']],
  ] as const) {
    it(`ft-check, ${sides}: no divergence`, () => {
      for (const image of ['fixtures/nondet.mb', 'fixtures/timer.mb']) {
        const r = vmrr(['ft-check', '--json', '--slice', '50000', ...args, image]);
        expect(r.status, r.stderr).toBe(0);
        const j = JSON.parse(r.stdout);
        expect(j.divergences, image).toEqual([]);
        expect(j.resyncs).toEqual([]);
        expect(j.verdict.ok).toBe(true);
        expect(j.secondary.hash).toBe(j.primary.hash);
      }
    }, 120_000);
  }

  it('bad engine option values are usage errors: exit 2, one line', () => {
    expectUsageError(vmrr(['run', '--jit-threshold', 'x', 'fixtures/alu.mb']), /--jit-threshold: 'x' is not a whole number from 0/, expect);
    expectUsageError(vmrr(['run', '--jit-threshold', '-1', 'fixtures/alu.mb']), /--jit-threshold: '-1'/, expect);
    expectUsageError(vmrr(['record', '--jit-threshold', '1000000001', '-o', t.path('x.vmrr'), 'fixtures/alu.mb']), /--jit-threshold: '1000000001'/, expect);
    expectUsageError(vmrr(['run', '--no-jit', '--jit-threshold', '5', 'fixtures/alu.mb']), /--no-jit and --jit-threshold 5 contradict/, expect);
    expectUsageError(vmrr(['replay', '--jit-threshold', '1.5', 'nothing.vmrr']), /--jit-threshold: '1.5'/, expect);
    expectUsageError(vmrr(['ft-check', '--secondary-jit-threshold', 'q', 'fixtures/alu.mb']), /--secondary-jit-threshold: 'q'/, expect);
    expectUsageError(vmrr(['ft-check', '--secondary', '127.0.0.1:9', '--secondary-jit-threshold', '0', 'fixtures/alu.mb']), /a secondary at an address picks its own engine/, expect);
    expectUsageError(vmrr(['ft-secondary', '--listen', '127.0.0.1:0', '--jit-threshold', 'no']), /--jit-threshold: 'no'/, expect);
  }, 120_000);
});

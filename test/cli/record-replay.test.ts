// `vmrr record` and `vmrr replay` end to end: the real CLI on the fixtures
// with non-determinism. Record then replay must give the same guest output
// byte for byte; cut logs replay to where they stop and say so; damaged logs,
// another image and bad usage give exit status 2 and one line; --force
// against another image reports a divergence (exit 1) with its position.
// `vmrr inspect` runs on every log made here.
import { copyFileSync, existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LogReader } from '../../src/replay/log-reader.js';
import type { Frame, LogEvent } from '../../src/replay/frames.js';
import type { InspectReport } from '../../src/cli/inspect.js';
import type { RecordSummary } from '../../src/cli/record.js';
import type { ReplaySummary } from '../../src/cli/replay.js';
import { Rng } from '../replay/helpers.js';
import { ROOT, ensureBuilt, expectUsageError, tempFiles, vmrr, type Result } from './helpers.js';

beforeAll(ensureBuilt, 120_000);

const { dir, path } = tempFiles({});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

interface Fixture {
  name: string;
  /** Machine options besides the image (a scratch copy of the disk is made per recording). */
  args: (tag: string) => string[];
  sync: number;
}

const scratchDisk = (tag: string): string => {
  const p = path(`ata-${tag}.img`);
  copyFileSync(join(ROOT, 'fixtures', 'ata-disk.img'), p);
  return p;
};

const FIXTURES: Fixture[] = [
  { name: 'nondet', args: () => [], sync: 20_000 },
  { name: 'timer', args: () => [], sync: 5_000 },
  { name: 'rtc', args: () => [], sync: 3_000 },
  { name: 'uart', args: () => [], sync: 5_000 },
  { name: 'serial-echo', args: () => ['--serial-in', 'fixtures/serial-echo.in'], sync: 2_000 },
  { name: 'ata', args: (tag) => ['--disk', scratchDisk(tag)], sync: 20_000 },
];

const expected = (name: string): string => readFileSync(join(ROOT, 'fixtures', 'expected', `${name}.txt`), 'latin1');

function json<T>(r: Result): T {
  expect(r.stdout.endsWith('}\n'), r.stderr).toBe(true);
  return JSON.parse(r.stdout) as T;
}

/** `vmrr inspect --json LOG`: exit 0 and the report. */
function inspect(log: string): InspectReport {
  const r = vmrr(['inspect', '--json', log]);
  expect(r.status, r.stderr).toBe(0);
  return json<InspectReport>(r);
}

function record(fx: Fixture, log: string, extra: string[] = []): Result {
  return vmrr(['record', `fixtures/${fx.name}.mb`, '-o', log, '--sync-every', String(fx.sync), ...fx.args(log.replace(/\W/g, '')), ...extra]);
}

/** Every ND value and event in a log, in file order. */
function loggedInputs(log: string): { nd: number[]; events: LogEvent[]; frameEnds: number[]; headerEnd: number; frames: Frame[] } {
  const r = LogReader.open(log);
  try {
    const nd: number[] = [];
    const events: LogEvent[] = [];
    const frameEnds: number[] = [];
    const frames: Frame[] = [];
    for (let f = r.next(); f && f.frame.kind !== 'end'; f = r.next()) {
      frameEnds.push(f.offset + f.bytes);
      frames.push(f.frame);
      if (f.frame.kind === 'nd') nd.push(...f.frame.values.subarray(0, f.frame.count));
      if (f.frame.kind === 'events') events.push(...f.frame.events);
    }
    return { nd, events, frameEnds, headerEnd: r.dataOffset, frames };
  } finally {
    r.close();
  }
}

const esc = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** One line on stderr, no stack trace. */
function expectOneLine(r: Result, pattern: RegExp): void {
  const lines = r.stderr.trimEnd().split('\n');
  expect(lines, r.stderr).toHaveLength(1);
  expect(lines[0]).toMatch(pattern);
  expect(r.stderr).not.toMatch(/\n\s+at /);
}

describe.each(FIXTURES.map((f) => [f.name, f] as const))('vmrr record then vmrr replay of %s', (name, fx) => {
  const log = path(`${name}.vmrr`);
  let recorded: Result;
  let report: InspectReport;
  beforeAll(() => {
    recorded = record(fx, log);
    report = inspect(log);
  }, 60_000);

  it('record runs the guest like run: its output on stdout, exit 0, a finished log', () => {
    expect(recorded.status, recorded.stderr).toBe(0);
    expect(recorded.stderr).toBe('');
    expect(recorded.stdout).toBe(expected(name));
    expect(report).toMatchObject({ complete: true, cut: null, end: { reason: 'exit', exitValue: 1 } });
  }, 30_000);

  it('replay (verifying by default) prints the same guest output byte for byte, exit 0, every sync point, output digest and the final hash checked', () => {
    const events = Object.values(report.events).reduce((a, e) => a + e.count, 0);
    const r = vmrr(['replay', log]);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdoutBytes.equals(recorded.stdoutBytes)).toBe(true);
    expect(report.syncs.count).toBeGreaterThanOrEqual(1);
    const at = `exit at icount ${report.end!.icount}, EIP 0x${report.end!.eip.toString(16).padStart(8, '0')}`;
    const lines = r.stderr.trimEnd().split('\n');
    expect(lines, r.stderr).toHaveLength(2);
    expect(lines[0]).toMatch(new RegExp(`^replay identical: ${esc(log)} to its end \\(${at}\\)$`));
    const n = report.syncs.count;
    expect(lines[1]).toMatch(new RegExp(`^  checked: ${n} sync point positions, ${n + 1} state hashes, ${n + 1} output digests \\((?:disk, )?serial[^;]*; (\\d+) bytes\\), the end \\(stop reason, icount, exit status\\), ${events} events delivered at their logged positions$`));
    expect(Number(/; (\d+) bytes/.exec(lines[1])![1])).toBeGreaterThanOrEqual(recorded.stdoutBytes.length);
  }, 30_000);

  it('replay --no-verify never says identical: ran to the end, not verified, and what was not checked', () => {
    const r = vmrr(['replay', '--no-verify', '--json', log]);
    expect(r.status, r.stderr).toBe(0);
    const s = json<ReplaySummary>(r);
    expect(s.verdict).toBe('unverified');
    expect(s.checked).toMatchObject({ stateHashes: 0, outputMarks: 0, end: true });
    expect(s.notChecked.join(' ')).toMatch(/--no-verify/);
  }, 30_000);

  it('a second recording logs other inputs, and replay --verify --json finds it identical too, every sync point checked', () => {
    const again = path(`${name}-again.vmrr`);
    const r = record(fx, again, ['--json']);
    expect(r.status, r.stderr).toBe(0);
    const summary = json<RecordSummary>(r);
    expect(summary.log).toBe(again);
    const a = loggedInputs(log);
    const b = loggedInputs(again);
    expect(JSON.stringify([a.nd, a.events]) === JSON.stringify([b.nd, b.events]), 'both logs hold the same ND values and events').toBe(false);
    const report = inspect(again);
    expect(report.end!.icount).toBe(summary.icount);
    expect(report.nd.total).toBe(summary.nd.total);
    const replayed = vmrr(['replay', '--verify', '--json', again]);
    expect(replayed.status, replayed.stderr).toBe(0);
    expect(replayed.stderr).toBe('');
    const s = json<ReplaySummary>(replayed);
    expect(s).toMatchObject({ verdict: 'identical', icount: summary.icount, eip: summary.eip, reason: 'exit', exitValue: 1, divergence: null, cut: null });
    expect(s.syncsChecked).toBeGreaterThanOrEqual(1);
    expect(s.syncsChecked).toBe(summary.syncPoints + 1);
    expect(s.eventsDelivered).toBe(summary.events);
  }, 30_000);
});

describe('vmrr replay of a cut log', () => {
  // Small ND blocks and frequent sync points: a log of about a dozen frames of every kind.
  const log = path('cut-source.vmrr');
  let full: ReturnType<typeof loggedInputs>;
  let bytes: Buffer;
  let finalIcount: number;
  beforeAll(() => {
    const r = vmrr(['record', 'fixtures/nondet.mb', '-o', log, '--nd-buffer', '2048', '--sync-every', '30000', '--checkpoint-every', '60000']);
    expect(r.status, r.stderr).toBe(0);
    full = loggedInputs(log);
    bytes = readFileSync(log);
    finalIcount = inspect(log).end!.icount;
  }, 60_000);

  it('at every frame boundary: exit 0, verdict cut naming the offset, replayed as far as the log has inputs; inspect reads it', () => {
    const cut = path('cut.vmrr');
    const ends = [full.headerEnd, ...full.frameEnds];
    expect(ends.length).toBeGreaterThanOrEqual(10);
    expect(new Set(full.frames.map((f) => f.kind))).toEqual(new Set(['nd', 'events', 'sync', 'checkpoint']));
    let previous = 0;
    for (let i = 0; i < ends.length; i++) {
      writeFileSync(cut, bytes.subarray(0, ends[i]));
      const where = `cut after frame ${i} at offset ${ends[i]}`;
      const r = vmrr(['replay', '--json', cut]);
      expect(r.status, `${where}: ${r.stderr}`).toBe(0);
      expect(r.stderr).toBe('');
      const s = json<ReplaySummary>(r);
      expect(s.verdict, where).toBe('cut');
      expect(s.cut!.message, where).toContain(`cut at offset ${ends[i]}`);
      expect(s.icount, where).toBe(s.cut!.replayedTo);
      const lastSync = Math.max(0, ...full.frames.slice(0, i).flatMap((f) => (f.kind === 'sync' ? [f.icount] : [])));
      expect(s.icount, where).toBeGreaterThanOrEqual(Math.max(previous, lastSync));
      expect(s.icount, where).toBeLessThanOrEqual(finalIcount);
      previous = s.icount;
      const report = inspect(cut);
      expect(report.cut, where).toMatchObject({ offset: ends[i], afterFrame: i, recorderFinished: true });
    }
  }, 180_000);

  it('at random byte offsets: exit 0 and a message saying where the log stops, or exit 2 inside the header; never a stack trace', () => {
    const cut = path('cut-random.vmrr');
    const rng = new Rng(0xc075);
    const offsets = [5, full.headerEnd - 1, ...Array.from({ length: 8 }, () => rng.int(full.headerEnd + 1, bytes.length - 1))];
    for (const off of offsets) {
      writeFileSync(cut, bytes.subarray(0, off));
      const r = vmrr(['replay', cut]);
      const ins = vmrr(['inspect', cut]);
      if (off < full.headerEnd) {
        expectUsageError(r, new RegExp(`^vmrr: ${esc(cut)}: cut inside the (preamble|header\\b.*) at offset ${off}$`), expect);
        expect(ins.status, ins.stderr).toBe(2);
        continue;
      }
      expect(r.status, `offset ${off}: ${r.stderr}`).toBe(0);
      expect(r.stderr).not.toMatch(/\n\s+at /);
      const lines = r.stderr.trimEnd().split('\n');
      expect(lines[0], `offset ${off}`).toMatch(new RegExp(`^replay stopped where the log ends: ${cut}: cut at offset \\d+ after (the header|frame \\d+) \\(truncated: .*; \\d+ bytes of a partial frame follow\\)$`));
      expect(lines[1], `offset ${off}`).toMatch(/^ {2}replayed to icount \d+, the last position the log has every input for$/);
      expect(expected('nondet').startsWith(r.stdout), `offset ${off}: the output is a prefix of the whole run's`).toBe(true);
      expect(ins.status, ins.stderr).toBe(0);
    }
  }, 180_000);

  it('a log the recorder never finished (incomplete flag set) replays to its last whole frame and says so', () => {
    const unfinished = Buffer.from(bytes.subarray(0, full.frameEnds[full.frameEnds.length - 1]));
    unfinished[10] |= 1;
    const p = path('unfinished.vmrr');
    writeFileSync(p, unfinished);
    const r = vmrr(['replay', '--json', p]);
    expect(r.status, r.stderr).toBe(0);
    const s = json<ReplaySummary>(r);
    expect(s.verdict).toBe('cut');
    expect(s.cut!.message).toMatch(/incomplete: recorder did not finish/);
    // Events are logged only when there are some: the last events frame can be far behind the last ND frame.
    const lastSync = Math.max(...full.frames.flatMap((f) => (f.kind === 'sync' ? [f.icount] : [])));
    expect(s.icount).toBeGreaterThanOrEqual(lastSync);
    expect(s.icount).toBeLessThanOrEqual(finalIcount);
    expect(inspect(p).cut).toMatchObject({ recorderFinished: false });
  }, 30_000);
});

describe('vmrr replay of a damaged log', () => {
  const log = path('damage-source.vmrr');
  let bytes: Buffer;
  let inputs: ReturnType<typeof loggedInputs>;
  beforeAll(() => {
    const r = vmrr(['record', 'fixtures/uart.mb', '-o', log, '--sync-every', '5000']);
    expect(r.status, r.stderr).toBe(0);
    expect(inspect(log).complete).toBe(true);
    bytes = readFileSync(log);
    inputs = loggedInputs(log);
  }, 60_000);

  const damaged = (name: string, edit: (b: Buffer) => void): string => {
    const b = Buffer.from(bytes);
    edit(b);
    writeFileSync(path(name), b);
    return path(name);
  };

  /** Exit 2, one line naming the file and the offset; with --json nothing on stdout; inspect refuses it the same way. */
  function expectRefused(p: string, problem: string, offset: number, human = false): void {
    const pattern = new RegExp(`^vmrr: ${esc(p)}: ${esc(problem)}.* at offset ${offset}$`);
    const j = vmrr(['replay', '--json', p]);
    expectUsageError(j, pattern, expect);
    if (human) {
      // The guest output up to the damage was already replayed.
      const r = vmrr(['replay', '--verify', p]);
      expect(r.status, r.stderr).toBe(2);
      expectOneLine(r, pattern);
      expect(expected('uart').startsWith(r.stdout)).toBe(true);
    }
    const ins = vmrr(['inspect', p]);
    expect(ins.status, ins.stderr).toBe(2);
    expectOneLine(ins, pattern);
  }

  it('a flipped bit in the header: bad CRC in the header at offset 12', () => {
    expectRefused(damaged('hbit.vmrr', (b) => (b[40] ^= 0x08)), 'bad CRC in the header', 12);
  });

  it('a flipped bit in a frame\'s payload: bad CRC naming that frame and its offset', () => {
    const k = Math.floor(inputs.frameEnds.length / 2);
    const start = inputs.frameEnds[k - 1];
    expectRefused(damaged('fbit.vmrr', (b) => (b[start + 9] ^= 0x40)), `bad CRC in frame ${k + 1}`, start, true);
  }, 30_000);

  it('a flipped bit in a frame\'s CRC field: bad CRC in that frame', () => {
    const start = inputs.headerEnd;
    expectRefused(damaged('crcbit.vmrr', (b) => (b[start + 5] ^= 0x01)), 'bad CRC in frame 1', start);
  });

  it('an unknown format version: refused at offset 8', () => {
    expectRefused(damaged('version.vmrr', (b) => b.writeUInt16LE(4, 8)), 'unsupported format version 4', 8);
  });

  it('absurd lengths: a header length and a frame length past their limits, refused before anything is allocated', () => {
    expectRefused(damaged('hlen.vmrr', (b) => b.writeUInt32LE(0xffff_ffff, 12)), 'absurd length 4294967295 (limit 1048576) in the header', 12);
    const start = inputs.frameEnds[0];
    expectRefused(damaged('flen.vmrr', (b) => b.writeUInt32LE(0xffff_ffff, start)), 'absurd length 4294967295 (limit 67108864) in frame 2', start);
  }, 30_000);

  it('not a log at all, and a missing log: exit 2, one line', () => {
    expectUsageError(vmrr(['replay', 'fixtures/uart.mb']), /^vmrr: fixtures\/uart\.mb: not a vmrr log \(bad magic\) at offset 0$/, expect);
    expectUsageError(vmrr(['replay', path('missing.vmrr')]), /missing\.vmrr: cannot open: ENOENT/, expect);
  }, 30_000);
});

describe('vmrr replay against another image', () => {
  const log = path('image-source.vmrr');
  beforeAll(() => {
    const r = vmrr(['record', 'fixtures/nondet.mb', '-o', log]);
    expect(r.status, r.stderr).toBe(0);
    expect(inspect(log).complete).toBe(true);
  }, 60_000);

  it('is refused with exit 2 and a message naming both', () => {
    const r = vmrr(['replay', '--image', 'fixtures/timer.mb', log]);
    expectUsageError(r, new RegExp(`^vmrr: fixtures/timer\\.mb is not the image ${log.replace(/\./g, '\\.')} was recorded with .*--force replays it anyway$`), expect);
  });

  it('with --force: exit 1, a divergence report naming icount, EIP and the instruction', () => {
    const r = vmrr(['replay', '--force', '--image', 'fixtures/timer.mb', log]);
    expect(r.status, r.stderr).toBe(1);
    expect(r.stderr).toMatch(/^replay diverged at icount \d+, EIP 0x[0-9a-f]{8}: \S/);
    expect(r.stderr).toMatch(/\n {2}expected: .+\n {2}actual: {3}.+\n/);
    const j = vmrr(['replay', '--force', '--json', '--image', 'fixtures/timer.mb', log]);
    expect(j.status, j.stderr).toBe(1);
    const s = json<ReplaySummary>(j);
    expect(s.verdict).toBe('divergence');
    expect(s.divergence).toMatchObject({ icount: s.icount, eip: s.eip });
    expect(s.divergence!.instruction).toMatch(/\S/);
  }, 30_000);

  it('the same bytes at another path (--image): identical, exit 0', () => {
    const moved = path('moved-nondet.mb');
    copyFileSync(join(ROOT, 'fixtures', 'nondet.mb'), moved);
    const r = vmrr(['replay', '--verify', '--image', moved, log]);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toBe(expected('nondet'));
  }, 30_000);

  it('an image that is gone since recording: exit 2 naming it', () => {
    const gone = path('gone.mb');
    copyFileSync(join(ROOT, 'fixtures', 'nondet.mb'), gone);
    const goneLog = path('gone.vmrr');
    expect(vmrr(['record', '--json', gone, '-o', goneLog]).status).toBe(0);
    rmSync(gone);
    expect(inspect(goneLog).complete).toBe(true);
    expectUsageError(vmrr(['replay', goneLog]), /gone\.mb.*ENOENT|gone\.mb.*no such file/i, expect);
  }, 30_000);
});

describe('vmrr replay --to', () => {
  const log = path('to-source.vmrr');
  let report: InspectReport;
  let syncs: { icount: number; eip: number; hash: string }[];
  beforeAll(() => {
    const r = vmrr(['record', 'fixtures/timer.mb', '-o', log, '--sync-every', '5000', '--checkpoint-every', '10000']);
    expect(r.status, r.stderr).toBe(0);
    report = inspect(log);
    syncs = loggedInputs(log).frames.flatMap((f) => (f.kind === 'sync' ? [{ icount: f.icount, eip: f.eip, hash: Buffer.from(f.hash).toString('hex') }] : []));
  }, 60_000);

  it('stops at exactly icount N (--json icount === N), exit 0', () => {
    const end = report.end!.icount;
    for (const to of [0, 4_321, Math.floor(end / 2) + 7, end - 1]) {
      const r = vmrr(['replay', '--json', '--to', String(to), log]);
      expect(r.status, r.stderr).toBe(0);
      const s = json<ReplaySummary>(r);
      expect(s.verdict, `--to ${to}`).toBe('reached');
      expect(s.icount, `--to ${to}`).toBe(to);
    }
  }, 60_000);

  it('at a sync point, through the nearest checkpoint: the state hash the recording logged there', () => {
    expect(syncs.length).toBeGreaterThanOrEqual(2);
    for (const sp of syncs.slice(-2)) {
      const r = vmrr(['replay', '--json', '--to', String(sp.icount), log]);
      expect(r.status, r.stderr).toBe(0);
      const s = json<ReplaySummary>(r);
      expect(s).toMatchObject({ verdict: 'reached', icount: sp.icount, eip: sp.eip, stateHash: sp.hash });
      expect(s.seekedFrom).not.toBeNull();
      expect(s.seekedFrom!).toBeLessThanOrEqual(sp.icount);
    }
  }, 30_000);

  it('without --json says where it stopped, on stderr', () => {
    const r = vmrr(['replay', '--to', '5000', log]);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/^replay reached icount 5000, EIP 0x[0-9a-f]{8}/);
  }, 30_000);

  it('a bad --to value: exit 2, one line', () => {
    expectUsageError(vmrr(['replay', '--to', '-3', log]), /--to/, expect);
    expectUsageError(vmrr(['replay', '--to', 'soon', log]), /--to/, expect);
  }, 30_000);
});

describe('vmrr record of a guest that fails', () => {
  it('--max-insns reached: exit 3, a finished log that replays identically to that icount', () => {
    const log = path('limit.vmrr');
    const r = vmrr(['record', 'fixtures/nondet.mb', '-o', log, '--max-insns', '5000']);
    expect(r.status, r.stderr).toBe(3);
    expect(r.stderr).toMatch(/^vmrr: guest reached the instruction limit \(icount 5000, EIP 0x[0-9a-f]{8}\)$/m);
    expect(inspect(log)).toMatchObject({ complete: true, end: { icount: 5000, reason: 'limit', exitValue: null } });
    const rp = vmrr(['replay', '--verify', '--json', log]);
    expect(rp.status, rp.stderr).toBe(0);
    expect(json<ReplaySummary>(rp)).toMatchObject({ verdict: 'identical', icount: 5000, reason: 'limit', syncsChecked: 1 });
  }, 30_000);
});

describe('vmrr record usage errors', () => {
  it('without -o: exit 2, one line naming the option', () => {
    expectUsageError(vmrr(['record', 'fixtures/nondet.mb']), /-o, --output/, expect);
  }, 30_000);

  it('a log path that cannot be written: exit 2, one line naming it', () => {
    expectUsageError(vmrr(['record', 'fixtures/nondet.mb', '-o', path('no/such/dir/x.vmrr')]), /no\/such\/dir\/x\.vmrr: cannot create: ENOENT/, expect);
    expectUsageError(vmrr(['record', 'fixtures/nondet.mb', '-o', dir]), /cannot create: EISDIR/, expect);
  }, 30_000);

  it('bad --nd-buffer, --sync-every and --checkpoint-every values: exit 2, no log written', () => {
    const out = path('never.vmrr');
    for (const v of ['0', 'abc', '1048577']) {
      expectUsageError(vmrr(['record', 'fixtures/nondet.mb', '-o', out, '--nd-buffer', v]), /--nd-buffer: .* is not a whole number from 1 to 1048576/, expect);
    }
    expectUsageError(vmrr(['record', 'fixtures/nondet.mb', '-o', out, '--sync-every', '-5']), /--sync-every/, expect);
    expectUsageError(vmrr(['record', 'fixtures/nondet.mb', '-o', out, '--checkpoint-every', 'x']), /--checkpoint-every/, expect);
    expect(existsSync(out)).toBe(false);
  }, 30_000);

  it('a missing image: exit 2, and no log is left behind', () => {
    const out = path('no-image.vmrr');
    expectUsageError(vmrr(['record', path('missing.mb'), '-o', out]), /missing\.mb/, expect);
    expect(existsSync(out)).toBe(false);
  }, 30_000);
});

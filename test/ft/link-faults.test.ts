// The FT link's bad days: a peer that sends garbage, speaks another protocol,
// has another image, says nothing, is not there; a slow link; a stream cut in
// the middle of a message (both sides alive: exactly one keeps the output);
// a primary that reconnects to a new secondary (--rejoin, full resync).
// Every error is one line with a documented exit status, never a hang.

import { connect } from 'node:net';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ensureBuilt } from '../cli/helpers.js';
import { FT_MAGIC, encodeMessage, makeWireCbor } from '../../src/ft/wire.js';
import { WORKLOADS, type Workload, judgeFiles, primaryArgs, startSecondary, startVmrr, sleep } from './kill-harness.js';
import { FaultProxy } from './proxy.js';

beforeAll(ensureBuilt, 120_000);

const dirs: string[] = [];
function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'vmrr-ftlink-'));
  dirs.push(d);
  return d;
}
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

const alu = WORKLOADS.find((w) => w.name === 'alu')!;
const long: Workload = { name: 'bench', image: 'bench.mb', slice: 1_000_000, clock: 'virtual', maxInsns: 80_000_000 };
const oneLine = (s: string): string[] => s.trim().split('\n').filter((l) => l.startsWith('vmrr:'));

function sendRaw(port: number, bytes: Uint8Array): Promise<Buffer> {
  return new Promise((resolve) => {
    const got: Buffer[] = [];
    const s = connect({ host: '127.0.0.1', port }, () => s.write(bytes));
    s.on('data', (d) => got.push(d));
    s.on('error', () => {});
    s.on('close', () => resolve(Buffer.concat(got)));
  });
}

describe('ft-secondary refuses a bad peer with one line and exit 2', () => {
  it('garbage bytes: absurd length or bad CRC, named with the stream offset', async () => {
    const sec = await startSecondary();
    await sendRaw(sec.port, Buffer.from('GET / HTTP/1.1\r\nHost: x\r\n\r\n'));
    expect(await sec.proc.exited).toBe(2);
    expect(sec.proc.err).toMatch(/^vmrr: ft link from 127\.0\.0\.1:\d+: (absurd length \d+|bad CRC).* at stream offset 0$/m);
    expect(sec.proc.err).not.toMatch(/\n\s+at /);
  });

  it('another protocol version: the refusal reaches the peer, and the secondary exits 2', async () => {
    const sec = await startSecondary();
    const cbor = makeWireCbor();
    const answer = await sendRaw(sec.port, encodeMessage(cbor, { hello: { magic: FT_MAGIC, proto: 99, version: '0.1.0' } }));
    expect(cbor.decode(answer.subarray(8))).toEqual({ refuse: { message: 'the primary speaks FT protocol 99, this secondary 1' } });
    expect(await sec.proc.exited).toBe(2);
    expect(oneLine(sec.proc.err)).toEqual(['vmrr: the primary speaks FT protocol 99, this secondary 1']);
  });

  it('a connection that says nothing: no hello within --handshake-timeout', async () => {
    const sec = await startSecondary(['--handshake-timeout', '200']);
    const s = connect({ host: '127.0.0.1', port: sec.port });
    s.on('error', () => {});
    expect(await sec.proc.exited).toBe(2);
    s.destroy();
    expect(sec.proc.err).toMatch(/^vmrr: no hello from 127\.0\.0\.1:\d+ within 200 ms$/m);
  });
});

describe('ft-check --secondary: a refused or absent secondary is exit 2 with one line on both sides', () => {
  it('another image: both sides name the mismatch', async () => {
    const sec = await startSecondary(['--image', join('fixtures', 'bcd.mb')]);
    const d = tempDir();
    const pri = startVmrr(primaryArgs(alu, 1, sec.port, d));
    expect(await pri.exited).toBe(2);
    expect(await sec.proc.exited).toBe(2);
    expect(oneLine(pri.err)[0]).toMatch(/^vmrr: the secondary at 127\.0\.0\.1:\d+ refused: image mismatch: .*bcd\.mb \(SHA-256 [0-9a-f]{12}\.\.\.\) is not the primary's/);
    expect(oneLine(sec.proc.err)[0]).toMatch(/^vmrr: image mismatch: /);
  });

  it('nobody listening: cannot reach the secondary', async () => {
    const sec = await startSecondary(['--handshake-timeout', '100']);
    sec.proc.kill('SIGKILL');
    await sec.proc.exited;
    const pri = startVmrr(primaryArgs(alu, 1, sec.port, tempDir()));
    expect(await pri.exited).toBe(2);
    expect(oneLine(pri.err)).toEqual([`vmrr: cannot reach the secondary at 127.0.0.1:${sec.port}: ECONNREFUSED`]);
  });
});

describe('network faults between a live primary and a live secondary', () => {
  it('every chunk delayed 25 ms each way: the check still ends OK and the output is the run\'s', async () => {
    const sec = await startSecondary();
    const proxy = new FaultProxy({ targets: [sec.port], delayMs: 25 });
    const d = tempDir();
    const pri = startVmrr([...primaryArgs(alu, 1, await proxy.listen(), d), '--json']);
    expect(await pri.exited, pri.err).toBe(0);
    expect(await sec.proc.exited).toBe(0);
    proxy.close();
    const f = judgeFiles(alu, 1, d);
    expect(f.outputEqual).toBe(true);
    expect(f.ledgerProblem).toBeNull();
  });

  it('a stream cut in the middle of a message, both sides alive: exactly one claims the output, which ends exactly the run\'s', async () => {
    const sec = await startSecondary();
    const proxy = new FaultProxy({ targets: [sec.port], cutAfter: 2000 });
    const d = tempDir();
    const pri = startVmrr(primaryArgs(alu, 1, await proxy.listen(), d));
    const [ps, ss] = await Promise.all([pri.exited, sec.proc.exited]);
    proxy.close();
    expect(proxy.cut).toBe(true);
    // The side that lost the claim stops with 5 (a secondary cut off before it had built its guest does not
    // claim: 1); the other ends the guest with 0.
    const statuses = [ps, ss].sort();
    expect(statuses[0], `${pri.err}\n${sec.proc.err}`).toBe(0);
    expect([1, 5], `${pri.err}\n${sec.proc.err}`).toContain(statuses[1]);
    const f = judgeFiles(alu, 1, d);
    expect(f.outputEqual).toBe(true);
    expect(f.ledgerProblem).toBeNull();
  });

  it('--rejoin after a cut: the primary reconnects to a new secondary, gives it the whole machine, and ends protected', async () => {
    const sec1 = await startSecondary();
    const sec2 = await startSecondary();
    const proxy = new FaultProxy({ targets: [sec1.port, sec2.port], cutAfter: 2000 });
    const d = tempDir();
    const port = await proxy.listen();
    // Long enough (8*10^7 instructions of bench.mb) for a new secondary to start and join before the end.
    const pri = startVmrr(primaryArgs(long, 1, port, d, ['--rejoin', '--heartbeat', '300']));
    const [ps, s1] = await Promise.all([pri.exited, sec1.proc.exited]);
    const f = judgeFiles(long, 1, d);
    expect(f.outputEqual, `${pri.err}\n${sec1.proc.err}`).toBe(true);
    expect(f.ledgerProblem).toBeNull();
    if (ps === 5) {
      // The first secondary won the claim and took over: nothing was left for a new one. It ran the guest
      // to --max-insns live, and a takeover that ends at the instruction limit exits 3, as `run` does.
      expect(s1, sec1.proc.err).toBe(3);
      sec2.proc.kill('SIGKILL');
    } else {
      expect(ps, pri.err).toBe(0);
      expect([1, 5]).toContain(s1);
      expect(await sec2.proc.exited).toBe(0);
      const r = JSON.parse(readFileSync(join(d, 'report.json'), 'utf8'));
      expect(r.link.joins.length).toBe(1);
      expect(r.resyncs.at(-1)).toMatchObject({ reason: 'join', hashEqual: true });
      expect(r.verdict).toMatchObject({ protectedToEnd: true, finalHashesEqual: true, ok: true });
    }
    proxy.close();
    await sleep(10);
  });
});

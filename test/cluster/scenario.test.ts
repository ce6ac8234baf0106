// The whole scenario through the CLI, as separate processes: 3 `vmrr node`
// primaries, 3 redis-server secondaries, 6 guests (two migrated once, one
// with a disk it writes), 3 rounds of `vmrr replicate` while they run with
// one secondary killed after the first round, then every VM restored from the survivors: its
// state hash equals the primary's, run on it ends in the primary's final
// state with the primary's output from that state on, and its log tail
// replays (restore --replay) to the same state hash.
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { callNode } from '../../src/cluster/rpc.js';
import type { GuestInfo } from '../../src/cluster/guest.js';
import type { RoundReport } from '../../src/cluster/replicate.js';
import type { RestoreReport } from '../../src/cluster/restore.js';
import { ensureBuilt, ROOT } from '../cli/helpers.js';
import { haveRedis, startRedis, type RedisServer } from './redis-servers.js';
import { killAndWait, longBench } from './harness.js';

const BIN = join(ROOT, 'bin', 'vmrr.js');
const env = { ...process.env, NO_COLOR: '1' };

function vmrrAsync(args: string[], onStderr?: (text: string) => void): Promise<{ status: number; stdout: Buffer; stderr: string }> {
  return new Promise((resolve) => {
    const p = execFile(process.execPath, [BIN, ...args], { cwd: ROOT, env, encoding: 'buffer', maxBuffer: 64 << 20, timeout: 120_000 }, (e, stdout, stderr) => {
      resolve({ status: e ? ((e as { code?: number }).code ?? -1) : 0, stdout, stderr: stderr.toString() });
    });
    p.stderr!.on('data', (d: Buffer) => onStderr?.(d.toString()));
  });
}

function startNode(): Promise<{ proc: ChildProcess; addr: string }> {
  const proc = spawn(process.execPath, [BIN, 'node', '--listen', '127.0.0.1:0', '--cache', '64M', '--json'], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  return new Promise((resolve, reject) => {
    let text = '';
    proc.stdout!.on('data', (d: Buffer) => {
      text += d.toString();
      const m = /\{"listening":"([^"]+)"\}/.exec(text);
      if (m) resolve({ proc, addr: m[1] });
    });
    proc.once('exit', (c) => reject(new Error(`vmrr node exited ${c}`)));
  });
}

describe.skipIf(!haveRedis())('replication scenario (CLI, separate processes)', () => {
  const redis: RedisServer[] = [];
  const nodes: { proc: ChildProcess; addr: string }[] = [];
  afterAll(() => {
    for (const n of nodes) if (n.proc.exitCode === null) n.proc.kill('SIGKILL');
    for (const r of redis) r.kill();
  });

  it('3 nodes, 3 secondaries, 6 guests, 2 migrations, 3 rounds, one secondary killed: every VM restored and checked', async () => {
    ensureBuilt();
    for (let i = 0; i < 3; i++) redis.push(await startRedis());
    for (let i = 0; i < 3; i++) nodes.push(await startNode());
    // The two migrated guests run bench.mb 3x as long (harness.ts longBench): the stock one can end before its migration.
    const long = join(mkdtempSync(join(tmpdir(), 'vmrr-scenario-')), 'bench-long.mb');
    writeFileSync(long, longBench());
    const guests: [string, string, number][] = [
      ['b1', long, 0],
      ['b2', long, 1],
      ['alu', 'alu.mb', 0],
      ['shift', 'shift.mb', 1],
      ['string', 'string.mb', 2],
      ['ata', 'ata.mb', 2],
    ];
    for (const [vm, img, n] of guests) {
      // ata.mb writes its disk: the sectors go with its states, and its restored run reads them back.
      const disk = vm === 'ata' ? ['--disk', join('fixtures', 'ata-disk.img')] : [];
      const r = await vmrrAsync(['node', 'start', img.startsWith('/') ? img : join('fixtures', img), '--vm', vm, '--node', nodes[n].addr, '--clock', 'virtual', '--seed', '1', ...disk, '--json']);
      expect(r.status, r.stderr).toBe(0);
      expect(JSON.parse(r.stdout.toString())).toMatchObject({ vm, status: 'running' });
    }
    for (const [vm, to] of [['b1', 2], ['b2', 0]] as const) {
      const from = guests.find((g) => g[0] === vm)![2];
      const r = await vmrrAsync(['node', 'migrate', vm, '--node', nodes[from].addr, '--to', nodes[to].addr, '--json']);
      expect(r.status, r.stderr).toBe(0);
    }
    const primaries = nodes.map((n) => n.addr).join(',');
    const secondaries = redis.map((r) => r.url).join(',');
    let killed = false;
    const rep = await vmrrAsync(['replicate', '--primary', primaries, '--secondary', secondaries, '--rounds', '3', '--every', '1', '--json']);
    expect(rep.status, rep.stderr).toBe(0);
    const rounds1 = JSON.parse(rep.stdout.toString()) as RoundReport[];
    expect(rounds1).toHaveLength(3);
    // Three more rounds, human output, with the secondary holding the most VMs killed once round 1 of them is printed.
    const holder = (() => {
      const count = new Map<string, number>();
      for (const v of rounds1[2].vms) if (v.dest) count.set(v.dest, (count.get(v.dest) ?? 0) + 1);
      return [...count].sort((a, b) => b[1] - a[1])[0][0];
    })();
    const victim = redis.find((r) => r.url === holder)!;
    const rep2 = await vmrrAsync(['replicate', '--primary', primaries, '--secondary', secondaries, '--rounds', '3', '--every', '1'], (t) => {
      if (!killed && /round 1:/.test(t)) {
        killed = true;
        void killAndWait(victim);
      }
    });
    expect(killed).toBe(true);
    expect(rep2.stderr).toMatch(/round 3: 6 of 6 VMs replicated/);
    expect(rep2.stderr).toContain(`secondary down: ${victim.url}`);
    // Round 1 of the first run copied everything; the later rounds copied less (unchanged pages are not sent again).
    for (const v of rounds1[0].vms) expect(v.replicated).toBe(true);
    const sent = (r: RoundReport) => r.vms.reduce((s, v) => s + v.bytesCopied, 0);
    expect(sent(rounds1[1])).toBeLessThan(sent(rounds1[0]) / 2);
    expect(sent(rounds1[2])).toBeLessThan(sent(rounds1[0]) / 2);
    // Every VM ends on its primary; its restore from the surviving secondaries matches it.
    const live = redis.filter((r) => r !== victim).map((r) => r.url).join(',');
    for (const [vm] of guests) {
      const where = (await Promise.all(nodes.map(async (n) => ({ n, gs: await callNode<GuestInfo[]>(n.addr, 'ls') })))).find((x) => x.gs.some((g) => g.vm === vm))!;
      let g = where.gs.find((x) => x.vm === vm)!;
      while (g.status !== 'ended') {
        await new Promise((r) => setTimeout(r, 300));
        g = (await callNode<GuestInfo[]>(where.n.addr, 'ls')).find((x) => x.vm === vm)!;
      }
      const res = await vmrrAsync(['restore', vm, '--from', live, '--json']);
      expect(res.status, `${vm}: ${res.stderr}`).toBe(0);
      const r = JSON.parse(res.stdout.toString()) as RestoreReport;
      expect(r.hashMatches).toBe(true);
      if (vm === 'ata') expect(r.diskSectors).toBe(4);
      expect(r.run).toMatchObject({ reason: 'exit', exitValue: g.end!.exitValue, stateHash: g.end!.stateHash });
      const out = Buffer.from(await callNode<Uint8Array>(where.n.addr, 'output', { vm }));
      const plain = await vmrrAsync(['restore', vm, '--from', live]);
      expect(plain.stdout.equals(out.subarray(r.outputBytesBefore)), vm).toBe(true);
      // The state's log tail replays, checked, from the state before it (kept: --keep 3) to the same state hash.
      const rp = await vmrrAsync(['restore', vm, '--from', live, '--replay', '--no-run', '--json']);
      expect(rp.status, `${vm}: ${rp.stderr}`).toBe(0);
      const rr = JSON.parse(rp.stdout.toString()) as RestoreReport;
      expect(rr.replay, vm).toMatchObject({ verdict: 'reached', to: r.icount, stateHash: r.expectedHash });
    }
    // Bad input: one line, exit status 2.
    const bad = await vmrrAsync(['restore', 'nosuch', '--from', live]);
    expect(bad.status).toBe(2);
    expect(bad.stderr.trim().split('\n')).toHaveLength(1);
    for (const n of nodes) n.proc.kill('SIGTERM');
  }, 240_000);
});

// What a node's guest carries besides RAM and the machine state: its log
// (record mode; a state's log tail replays from the previous state to it,
// checked at its sync point), the seeded RDRAND position (a restored guest
// draws the primary's values), and its disk's written sectors (copied
// incrementally); and the garbage collection of old states on a secondary.
import { afterEach, describe, expect, it } from 'vitest';
import { replicateRound } from '../../src/cluster/replicate.js';
import { restoreVm } from '../../src/cluster/restore.js';
import { callNode } from '../../src/cluster/rpc.js';
import { RedisTarget } from '../../src/cluster/store.js';
import { manifestKeyBlobs } from '../../src/cluster/vm-state.js';
import { splitFrames } from '../../src/cluster/guest-log.js';
import { makeCbor } from '../../src/replay/cbor-fields.js';
import { decodeFrameBytes, encodeFrame } from '../../src/replay/frame-wire.js';
import { Cluster, fixture, virtualConfig } from './harness.js';
import { haveRedis } from './redis-servers.js';

const text = (b: Uint8Array | number[]) => Buffer.from(b).toString('latin1');

describe.skipIf(!haveRedis())('record-mode guests, RDRAND position, disk sectors, garbage collection', () => {
  let c: Cluster | null = null;
  afterEach(async () => {
    await c?.stop();
    c = null;
  });

  it('a state carries its log tail: restore --replay replays it from the previous state (or power-on) to the state hash', async () => {
    c = await Cluster.start(1, 1);
    c.nodes[0].holds.set('b', 2_000_000);
    await c.startGuest(0, 'b', 'bench-short.mb');
    await c.nodes[0].hold('b', 2_000_000);
    const r1 = await replicateRound({ nodes: c.urls, secondaries: c.secondaries, round: 1 });
    expect(r1.vms[0]).toMatchObject({ replicated: true, icount: 2_000_000, logFrom: 0 });
    expect(r1.vms[0].logBytes).toBeGreaterThan(0);
    await c.nodes[0].hold('b', 5_000_000);
    const r2 = await replicateRound({ nodes: c.urls, secondaries: c.secondaries, round: 2 });
    expect(r2.vms[0]).toMatchObject({ replicated: true, icount: 5_000_000, logFrom: 2_000_000 });
    // From power-on to the first state, then from the first state to the second.
    const a = await restoreVm({ from: c.secondaries, vm: 'b', icount: 2_000_000, run: false, replay: true });
    expect(a.replay).toMatchObject({ fromPowerOn: true, to: 2_000_000, verdict: 'reached', stateHash: r1.vms[0].stateHash, syncPoints: 1, stateHashes: 1 });
    const b = await restoreVm({ from: c.secondaries, vm: 'b', run: false, replay: true });
    expect(b.replay).toMatchObject({ fromPowerOn: false, from: 2_000_000, to: 5_000_000, verdict: 'reached', stateHash: r2.vms[0].stateHash, syncPoints: 1 });
    expect(b.replay!.outputMarks).toBe(1);
    // Then on as run, to the primary's end.
    await c.nodes[0].hold('b', null);
    const end = await c.waitEnded(0, 'b');
    const out = await callNode<Uint8Array>(c.urls[0], 'output', { vm: 'b' });
    let got = '';
    const run = await restoreVm({ from: c.secondaries, vm: 'b', run: true, replay: true, onOutput: (x) => (got += text(x)) });
    expect(run.run).toMatchObject({ reason: 'exit', stateHash: end.end!.stateHash });
    expect(got).toBe(text(out).slice(run.outputBytesBefore));
    // A tail whose sync hash is not what the replay arrives at is a divergence (the frame re-encoded, so its CRC holds)...
    const t = new RedisTarget(c.secondaries[0]);
    const r = (t as unknown as { r: import('ioredis').Redis }).r;
    const m = (await t.manifest('b', 5_000_000))!;
    const seg = m.log!.segments[0][2];
    const bytes = (await t.getBlobs([seg])).get(seg)!;
    const cbor = makeCbor();
    const frames = splitFrames(bytes).map((f) => decodeFrameBytes(cbor, f));
    const sync = frames.at(-1)!;
    if (sync.kind !== 'sync') throw new Error('the segment does not end with a sync point');
    sync.hash = Uint8Array.from(sync.hash, (x, i) => (i === 0 ? x ^ 1 : x));
    const forged = Buffer.concat(frames.map((f) => encodeFrame(cbor, f)));
    await r.set(`vmrr:b:${seg}`, forged);
    const d = await restoreVm({ from: c.secondaries, vm: 'b', run: false, replay: true });
    expect(d.replay).toMatchObject({ verdict: 'divergence' });
    expect(d.replay!.divergence).toMatch(/state hash differs at sync point icount 5000000/);
    // ...and a damaged frame is reported, not thrown.
    const bad = Uint8Array.from(bytes);
    bad[bad.length - 40] ^= 1;
    await r.set(`vmrr:b:${seg}`, Buffer.from(bad));
    const e = await restoreVm({ from: c.secondaries, vm: 'b', run: true, replay: true });
    expect(e.replay).toMatchObject({ verdict: 'damaged' });
    expect(e.replay!.divergence).toMatch(/bad CRC/);
    expect(e.run).toBeNull();
    t.close();
  }, 120_000);

  it('a restored guest under --clock virtual --seed draws the RDRAND values the primary drew from that state', async () => {
    c = await Cluster.start(2, 1);
    // Mid-run: in round 4 of 8 (about 1M instructions each); migrated once on the way, so the position crosses nodes too.
    c.nodes[0].holds.set('d', 1_500_000);
    c.nodes[1].holds.set('d', 3_500_000);
    await c.startGuest(0, 'd', 'demo.mb');
    await c.nodes[0].hold('d', 1_500_000);
    await callNode(c.urls[0], 'migrate', { vm: 'd', to: c.urls[1] });
    await c.nodes[1].hold('d', 3_500_000);
    const r = await replicateRound({ nodes: c.urls, secondaries: c.secondaries, round: 1 });
    expect(r.vms[0]).toMatchObject({ replicated: true, icount: 3_500_000 });
    await c.nodes[1].hold('d', null);
    await c.waitEnded(1, 'd');
    const primary = text(await callNode<Uint8Array>(c.urls[1], 'output', { vm: 'd' }));
    let got = '';
    const back = await restoreVm({ from: c.secondaries, vm: 'd', run: true, onOutput: (x) => (got += text(x)) });
    expect(back.rng).not.toBeNull();
    const rest = primary.slice(back.outputBytesBefore);
    expect(rest).toMatch(/rdrand=[0-9A-F]{8}/);
    expect(got).toBe(rest);
    // The replay of its tail (power-on, across the migration) checks out too.
    const rp = await restoreVm({ from: c.secondaries, vm: 'd', run: false, replay: true });
    expect(rp.replay).toMatchObject({ fromPowerOn: true, verdict: 'reached', syncPoints: 2 });
  }, 120_000);

  it("a guest's disk: written sectors are replicated incrementally and restored with the state", async () => {
    c = await Cluster.start(1, 1);
    const disk = fixture('ata-disk.img');
    // Held between its writes: sectors 10 and 11 are written by icount 36,000, 30 and 31 after 80,000.
    c.nodes[0].holds.set('a', 36_000);
    await callNode(c.urls[0], 'start', { vm: 'a', image: fixture('ata.mb'), config: virtualConfig('ata.mb'), disk });
    const written = (await c.nodes[0].hold('a', 36_000)).diskSectorsWritten!;
    expect(written).toBe(2);
    const r1 = await replicateRound({ nodes: c.urls, secondaries: c.secondaries, round: 1 });
    await c.nodes[0].hold('a', null);
    const end = await c.waitEnded(0, 'a');
    expect(end.diskSectorsWritten).toBe(4);
    const r2 = await replicateRound({ nodes: c.urls, secondaries: c.secondaries, round: 2 });
    const t = new RedisTarget(c.secondaries[0]);
    const m1 = (await t.manifest('a', r1.vms[0].icount!))!;
    const m2 = (await t.manifest('a'))!;
    t.close();
    expect(m1.disk!.sectors).toHaveLength(written);
    expect(m1.disk!.bytes).toBe(disk.length);
    expect(m1.disk!.chunks.length).toBeGreaterThan(0);
    expect(m2.disk!.sectors.map((s) => s[0])).toEqual([10, 11, 30, 31]);
    // Round 2 wrote only the blobs round 1 did not have: the new sectors among them, not the old ones nor the disk image.
    const had = new Set(manifestKeyBlobs(m1));
    const fresh = [...new Set(manifestKeyBlobs(m2))].filter((h) => !had.has(h));
    expect(fresh).toEqual(expect.arrayContaining(m2.disk!.sectors.filter((s) => !m1.disk!.sectors.some((x) => x[1] === s[1])).map((s) => s[1])));
    expect(m2.disk!.chunks).toEqual(m1.disk!.chunks);
    for (const [, h] of m2.disk!.chunks) expect(fresh).not.toContain(h);
    expect(r2.vms[0].bytesCopied).toBeLessThan(disk.length);
    // Restored mid-run, the guest reads back what it wrote before the state and ends as the primary did.
    const primary = text(await callNode<Uint8Array>(c.urls[0], 'output', { vm: 'a' }));
    let got = '';
    const back = await restoreVm({ from: c.secondaries, vm: 'a', icount: r1.vms[0].icount!, run: true, onOutput: (x) => (got += text(x)) });
    expect(back.diskSectors).toBe(written);
    expect(back.run).toMatchObject({ reason: 'exit', stateHash: end.end!.stateHash });
    expect(got).toBe(primary.slice(back.outputBytesBefore));
    expect(primary).not.toContain('FAIL');
    const rp = await restoreVm({ from: c.secondaries, vm: 'a', run: false, replay: true });
    expect(rp.replay, rp.replay?.divergence ?? '').toMatchObject({ from: r1.vms[0].icount, verdict: 'reached' });
  }, 120_000);

  it('garbage collection keeps the newest K states per VM and deletes the blobs only older ones used', async () => {
    c = await Cluster.start(1, 1);
    c.nodes[0].holds.set('b', 1_000_000);
    await c.startGuest(0, 'b', 'bench-short.mb');
    const icounts: number[] = [];
    for (let i = 1; i <= 4; i++) {
      await c.nodes[0].hold('b', i * 1_000_000);
      const r = await replicateRound({ nodes: c.urls, secondaries: c.secondaries, round: i, keep: 2 });
      expect(r.vms[0].replicated).toBe(true);
      icounts.push(r.vms[0].icount!);
      if (i >= 3) expect(r.vms[0].collected.states).toBe(1);
    }
    const t = new RedisTarget(c.secondaries[0]);
    expect(await t.states('b')).toEqual(icounts.slice(2));
    // Every blob a kept state names is there; a blob only the deleted states named is gone.
    const kept = await Promise.all(icounts.slice(2).map((ic) => t.manifest('b', ic)));
    const keptBlobs = new Set(kept.flatMap((m) => manifestKeyBlobs(m!)));
    expect(await t.missing([...keptBlobs])).toEqual([]);
    // The first state's log tail (from power-on) is used by no kept state.
    const r = (t as unknown as { r: import('ioredis').Redis }).r;
    const keys = await r.keys('vmrr:b:*');
    expect(keys.length).toBe(keptBlobs.size);
    expect(await r.hlen('vmrr:rc')).toBe(keptBlobs.size);
    t.close();
    // Both kept states restore; the older one's tail replays from a state that was collected: said so.
    for (const ic of icounts.slice(2)) expect((await restoreVm({ from: c.secondaries, vm: 'b', icount: ic, run: false })).hashMatches).toBe(true);
    await expect(restoreVm({ from: c.secondaries, vm: 'b', icount: icounts[2], run: false, replay: true })).rejects.toThrow(/no secondary keeps that state/);
    const newest = await restoreVm({ from: c.secondaries, vm: 'b', run: false, replay: true });
    expect(newest.replay).toMatchObject({ from: icounts[2], verdict: 'reached' });
  }, 120_000);

  it('a commit never names a collected blob (the atomic check refuses it), and a reader never gets part of a collected state', async () => {
    c = await Cluster.start(0, 1);
    const t = new RedisTarget(c.secondaries[0]);
    const blob = (n: number) => Uint8Array.of(n, n, n);
    const h = (n: number) => `h${n}`;
    const state = (vm: string, icount: number, blobs: number[]) =>
      ({ v: 1, vm, icount, stateHash: '', state: h(blobs[0]), stateBytes: 3, image: h(blobs[1]), config: {}, pages: blobs.slice(2).map((b, i) => [i, h(b)]), outputBytes: 0, takenOn: '', rng: null, disk: null, log: null }) as unknown as import('../../src/cluster/vm-state.js').VmManifest;
    await t.putBlobs([1, 2, 3, 4].map((n) => [h(n), blob(n)]));
    await t.commit(state('x', 10, [1, 2, 3]), 1);
    // y's copy saw blob 3 there (EXISTS), then x's next commit collected it (x's old state was its only user).
    const y = state('y', 5, [4, 2, 3]);
    expect(await t.missing(manifestKeyBlobs(y))).toEqual([]);
    await t.putBlobs([[h(5), blob(5)]]);
    const gc = await t.commit(state('x', 20, [5, 2]), 1);
    expect(gc.collected).toEqual({ states: 1, bytes: 6 }); // blobs 1 and 3; 2 (the image) is still named
    await expect(t.commit(y, 1)).rejects.toMatchObject({ name: 'MissingBlobsError', hashes: [h(3)] });
    expect(await t.head('y')).toBeNull();
    await t.putBlobs([[h(3), blob(3)]]);
    await t.commit(y, 1);
    expect((await t.readState('y'))!.states[0].blobs.get(h(3))).toEqual(blob(3));
    // A reader that has the manifest when a commit collects its state reads again, and gets the new state whole.
    const other = new RedisTarget(c.secondaries[0]);
    await other.putBlobs([[h(6), blob(6)]]);
    let tries = 0;
    const got = await t.readState('x', undefined, async (m) => {
      if (tries++ === 0) {
        expect(m.icount).toBe(20);
        await other.commit(state('x', 30, [6, 2]), 1); // collects 20 and blob 5
      }
      return [];
    });
    other.close();
    expect(tries).toBe(2);
    expect(got!.states[0].manifest.icount).toBe(30);
    expect([...got!.states[0].blobs.keys()].sort()).toEqual([h(2), h(6)]);
    expect(await t.missing([h(5)])).toEqual([h(5)]);
    t.close();
  });
});

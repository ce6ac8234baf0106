// Every disk-completion delivery point is a logged event: record the disk
// guests with host reads that complete after random (seeded) delays, under
// both delivery modes and both clocks, then replay each log with an
// in-memory disk (no host I/O timing at all) and expect the same output,
// the same end and the same state hashes (replayLoop --verify). With the
// virtual clock the delays must not even move the events.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { Machine } from '../src/machine/machine.js';
import { loadMultiboot } from '../src/machine/loaders.js';
import { MemoryDisk, type DiskBackend } from '../src/devices/disk-backend.js';
import type { ClockMode } from '../src/machine/clock.js';
import type { IoDelivery } from '../src/machine/scheduler.js';
import { StateHasher } from '../src/machine/state-hash.js';
import { Recorder } from '../src/replay/recorder.js';
import { Replayer } from '../src/replay/replayer.js';
import { recordLoop, replayLoop } from '../src/replay/session.js';
import type { MachineEvent } from '../src/machine/events.js';
import { DelayedDisk, seededDelays } from './devices/delayed-disk.js';
import { tempDir } from './replay/helpers.js';

const FIX = fileURLToPath(new URL('../fixtures', import.meta.url));
const RAM = 32 << 20;
const dir = tempDir();
const diskBytes = (): Uint8Array => new Uint8Array(readFileSync(join(FIX, 'ata-disk.img')));
const TIMING = { commandNs: 20_000, sectorNs: 2_000 };

interface Recorded {
  log: string;
  out: string;
  icount: number;
  exitValue: number | null;
  /** Disk completions: icount of each. */
  disk: number[];
}

let seq = 0;

async function record(image: string, clock: ClockMode, ioDelivery: IoDelivery, disk: DiskBackend): Promise<Recorded> {
  const log = join(dir, `${image}-${clock}-${ioDelivery}-${seq++}.vmrr`);
  const rec = new Recorder({
    path: log,
    ndBufferSize: 256,
    mhz: 1000,
    header: {
      toolVersion: 'test',
      machine: { ram: RAM, bios: false, append: '', imageArg: image, clock, mhz: 1000, debugconPorts: [0xe9],
        diskWritable: false, diskLatencyNs: TIMING.commandNs, diskSectorNs: TIMING.sectorNs, ioDelivery },
      imagePath: join(FIX, image),
      imageSha256: '0'.repeat(64),
      diskPath: join(FIX, 'ata-disk.img'),
      diskSha256: '0'.repeat(64),
      clock,
    },
  });
  let out = '';
  const diskAt: number[] = [];
  const m = new Machine({
    ramBytes: RAM, input: rec.input, clock, mhz: 1000, serial: (b) => (out += String.fromCharCode(b)),
    disk, diskTiming: TIMING, ioDelivery,
    onEvent: (ev: MachineEvent, icount: number, eip: number) => {
      if (ev.kind === 'disk') diskAt.push(icount);
      rec.onEvent(ev, icount, eip);
    },
  });
  rec.input.attach(m.cpu);
  m.load(loadMultiboot(new Uint8Array(readFileSync(join(FIX, image))), RAM, image));
  const hasher = new StateHasher(m);
  const stop = await recordLoop(m, rec, { syncEvery: 50_000, checkpointEvery: 0, hash: () => hasher.hashBytes() });
  rec.finish(stop, hasher.hashBytes(), {});
  return { log, out, icount: stop.icount, exitValue: stop.exitValue ?? null, disk: diskAt };
}

async function replay(image: string, log: string): Promise<{ out: string; verdict: string; icount: number; events: number; syncs: number; detail: unknown }> {
  const rp = new Replayer(log);
  try {
    const cfg = rp.header.machine as { clock: ClockMode };
    let out = '';
    const m = new Machine({
      ramBytes: RAM, input: rp.input, clock: cfg.clock, mhz: 1000, serial: (b) => (out += String.fromCharCode(b)),
      // No host timing: the whole disk in memory, completions from the log.
      disk: new MemoryDisk(diskBytes()), diskTiming: TIMING, events: rp.events,
    });
    rp.attach(m.cpu);
    m.load(loadMultiboot(new Uint8Array(readFileSync(join(FIX, image))), RAM, image));
    const hasher = new StateHasher(m);
    const r = await replayLoop(m, rp, { verify: true, hash: () => hasher.hashBytes() });
    return { out, verdict: r.verdict, icount: r.icount, events: r.eventsDelivered, syncs: r.syncsChecked, detail: r.divergence };
  } finally {
    rp.close();
  }
}

const expected = (name: string): string => readFileSync(join(FIX, 'expected', `${name}.txt`), 'latin1');

describe('record with random host I/O delays, replay from the log alone', () => {
  for (const image of ['ata-irq.mb', 'ata.mb']) {
    for (const clock of ['host', 'virtual'] as const) {
      for (const ioDelivery of ['safepoint', 'nominal'] as const) {
        // With the virtual clock, time skipped while the CPU idles in HLT travels with each event (its guest time).
        it(`${image}, --clock ${clock}, --io-delivery ${ioDelivery}: the replay is identical (output, end, every state hash)`, async () => {
          const disk = new DelayedDisk(diskBytes(), seededDelays(clock.length * 31 + ioDelivery.length, 2500));
          const r = await record(image, clock, ioDelivery, disk);
          expect(r.out).toBe(expected(image.replace('.mb', '')));
          expect(r.exitValue).toBe(1);
          expect(disk.delays.some((d) => d > 0.5)).toBe(true);
          const p = await replay(image, r.log);
          expect(p.detail).toBeNull();
          expect(p.verdict).toBe('identical');
          expect(p.out).toBe(r.out);
          expect(p.icount).toBe(r.icount);
          expect(p.syncs).toBeGreaterThan(2);
        }, 60_000);
      }
    }
  }

  for (const ioDelivery of ['safepoint', 'nominal'] as const) {
    it(`--clock virtual, --io-delivery ${ioDelivery}: different host delays give the same completion points`, async () => {
      const a = await record('ata-irq.mb', 'virtual', ioDelivery, new DelayedDisk(diskBytes(), seededDelays(1, 3000)));
      const b = await record('ata-irq.mb', 'virtual', ioDelivery, new DelayedDisk(diskBytes(), seededDelays(2, 300)));
      const c = await record('ata-irq.mb', 'virtual', ioDelivery, new MemoryDisk(diskBytes()));
      expect(a.disk.length).toBe(136);
      expect(b.disk).toEqual(a.disk);
      expect(c.disk).toEqual(a.disk);
      expect(b.icount).toBe(a.icount);
    }, 60_000);
  }
});

// Completion interrupts (DESIGN section 9, docs/completion-interrupts.md):
// a guest waiting in HLT for each IRQ 14 gets its completions far sooner in
// guest time with safepoint delivery than with nominal delivery, never while
// its previous IRQ 14 is in service; with --io-delivery nominal and the
// virtual clock each completion lands at the exact instruction where the
// nominal time is reached; polling guests stay correct in both modes.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { Machine, type StopInfo } from '../src/machine/machine.js';
import { loadMultiboot } from '../src/machine/loaders.js';
import { HostInputSource } from '../src/replay/input-source.js';
import { MemoryDisk, type DiskBackend } from '../src/devices/disk-backend.js';
import { DEFAULT_ATA_TIMING, type AtaTiming } from '../src/devices/ata.js';
import type { ClockMode } from '../src/machine/clock.js';
import type { IoDelivery } from '../src/machine/scheduler.js';
import { DelayedDisk, seededDelays } from './devices/delayed-disk.js';

const FIX = fileURLToPath(new URL('../fixtures', import.meta.url));
const RAM = 32 << 20;
const diskBytes = (): Uint8Array => new Uint8Array(readFileSync(join(FIX, 'ata-disk.img')));
const expected = (name: string): string => readFileSync(join(FIX, 'expected', `${name}.txt`), 'latin1');

interface DiskRun {
  stop: StopInfo;
  out: string;
  /** Per phase of ata-irq (A, B, C): guest time the guest measured, from its port 0x402 lines. */
  phases: Record<string, { pit: number; tsc: number }>;
  /** Guest time at the end (the machine's clock). */
  guestNs: number;
  /** Disk completions delivered while IRQ 14 was in service at the PIC. */
  inService: number;
  /** Each disk completion: guest time at delivery minus its nominal due time. */
  lateness: number[];
}

interface RunOpts {
  clock: ClockMode;
  ioDelivery: IoDelivery;
  disk?: DiskBackend;
  timing?: AtaTiming;
  mhz?: number;
}

async function runDisk(image: string, o: RunOpts): Promise<DiskRun> {
  let out = '';
  let times = '';
  let inService = 0;
  const lateness: number[] = [];
  const m: Machine = new Machine({
    ramBytes: RAM,
    input: new HostInputSource(o.mhz ?? 1000),
    clock: o.clock,
    mhz: o.mhz,
    serial: (b) => (out += String.fromCharCode(b)),
    debugcon: [
      { port: 0xe9, sink: (b) => (out += String.fromCharCode(b)) },
      { port: 0x402, sink: (b) => (times += String.fromCharCode(b)) },
    ],
    disk: o.disk ?? new MemoryDisk(diskBytes()),
    diskTiming: o.timing,
    ioDelivery: o.ioDelivery,
    onEvent: (ev) => {
      if (ev.kind !== 'disk') return;
      if (m.pic.inService(14)) inService++;
      lateness.push(m.clock.peek() - m.ata!.dueNs);
    },
  });
  m.load(loadMultiboot(new Uint8Array(readFileSync(join(FIX, image))), RAM, image));
  const stop = await m.runAsync({ maxInsns: 2e9 });
  const phases: DiskRun['phases'] = {};
  for (const [, p, pit, tsc] of times.matchAll(/^([A-Z]) pit=([0-9A-F]{8}) tsc=([0-9A-F]{8})$/gm)) {
    phases[p] = { pit: parseInt(pit, 16), tsc: parseInt(tsc, 16) };
  }
  return { stop, out, phases, guestNs: m.clock.peek(), inService, lateness };
}

const PIT_NS = 1e9 / 1_193_182;
/** Nominal service time of ata-irq's two HLT phases: 64 one-sector commands, then one 64-sector command. */
const hltPhasesNs = (t: AtaTiming): number => 64 * (t.commandNs + t.sectorNs) + t.commandNs + 64 * t.sectorNs;

describe('ata-irq, a guest waiting in HLT for each IRQ 14', () => {
  it('--clock virtual: safepoint delivery takes far less guest time than nominal; both pass and never interrupt the handler', async () => {
    const sp = await runDisk('ata-irq.mb', { clock: 'virtual', ioDelivery: 'safepoint' });
    const nom = await runDisk('ata-irq.mb', { clock: 'virtual', ioDelivery: 'nominal' });
    for (const r of [sp, nom]) {
      expect(r.out).toBe(expected('ata-irq'));
      expect(r.stop.exitValue).toBe(1);
      expect(r.inService).toBe(0);
    }
    const hlt = (r: DiskRun): number => (r.phases.A.pit + r.phases.B.pit) * PIT_NS;
    // Nominal: at least the model's service time; safepoint: a small fraction of it.
    expect(hlt(nom)).toBeGreaterThanOrEqual(hltPhasesNs(DEFAULT_ATA_TIMING) - 2 * PIT_NS);
    expect(hlt(sp) * 10).toBeLessThan(hlt(nom));
    // The machine's clock agrees: the whole run is shorter by about the service time the safepoints saved.
    expect(nom.guestNs - sp.guestNs).toBeGreaterThan(0.8 * hltPhasesNs(DEFAULT_ATA_TIMING));
    // Safepoint delivery: guest time did not pass while waiting for the host (the PIT barely moved past icount time).
    expect(sp.guestNs).toBeLessThan(2 * sp.stop.icount);
  });

  it('--clock host with a 5 ms command overhead: safepoint delivery takes far less guest time than nominal', async () => {
    const timing = { commandNs: 5_000_000, sectorNs: 20_000 }; // long enough that a loaded test machine cannot blur it
    const sp = await runDisk('ata-irq.mb', { clock: 'host', ioDelivery: 'safepoint', timing });
    const nom = await runDisk('ata-irq.mb', { clock: 'host', ioDelivery: 'nominal', timing });
    for (const r of [sp, nom]) {
      expect(r.out).toBe(expected('ata-irq'));
      expect(r.inService).toBe(0);
    }
    // Host clock: the TSC runs at --mhz ticks per microsecond of guest (= host) time.
    const hltNs = (r: DiskRun): number => r.phases.A.tsc + r.phases.B.tsc;
    expect(hltNs(nom)).toBeGreaterThanOrEqual(hltPhasesNs(timing));
    expect(hltNs(sp) * 3).toBeLessThan(hltNs(nom));
  }, 60_000);

  it('--io-delivery nominal, --clock virtual: every completion lands at the exact instruction its nominal time is reached', async () => {
    // At 3 MHz a sector takes 100 us (300 instructions), so no completion falls due inside the handler (that one would wait for the EOI).
    for (const [mhz, timing] of [[1000, DEFAULT_ATA_TIMING], [3, { commandNs: 50_000, sectorNs: 100_000 }]] as const) {
      const r = await runDisk('ata-irq.mb', { clock: 'virtual', ioDelivery: 'nominal', mhz, timing });
      expect(r.out).toBe(expected('ata-irq'));
      expect(r.lateness.length).toBe(128 + 8);
      for (const late of r.lateness) {
        expect(late).toBeGreaterThanOrEqual(0);
        expect(late).toBeLessThan(1000 / mhz);
      }
    }
  });

  it('a completion that falls due while the handler runs (3 MHz: a sector is 6 instructions) waits for its EOI', async () => {
    const r = await runDisk('ata-irq.mb', { clock: 'virtual', ioDelivery: 'nominal', mhz: 3 });
    expect(r.out).toBe(expected('ata-irq'));
    expect(r.inService).toBe(0);
    // Phase B's sectors fall due inside the handler and come late, right after its EOI.
    expect(r.lateness.filter((l) => l > 0).length).toBeGreaterThanOrEqual(60);
  });

  it('host reads slower than the nominal time: completions wait for the host in both modes and both clocks', async () => {
    for (const clock of ['virtual', 'host'] as const) {
      for (const ioDelivery of ['safepoint', 'nominal'] as const) {
        const disk = new DelayedDisk(diskBytes(), seededDelays(7, 3000));
        const r = await runDisk('ata-irq.mb', { clock, ioDelivery, disk });
        expect(r.out, `${clock} ${ioDelivery}`).toBe(expected('ata-irq'));
        expect(r.inService).toBe(0);
        expect(disk.inFlight).toBe(0);
      }
    }
  }, 60_000);
});

describe('polling guests stay correct in both modes', () => {
  for (const clock of ['virtual', 'host'] as const) {
    for (const ioDelivery of ['safepoint', 'nominal'] as const) {
      it(`ata (alternate status polling with nIEN, writes, IRQ and HLT), --clock ${clock}, --io-delivery ${ioDelivery}, slow host reads`, async () => {
        const disk = new DelayedDisk(diskBytes(), seededDelays(11, 2000));
        const r = await runDisk('ata.mb', { clock, ioDelivery, disk });
        expect(r.out).toBe(expected('ata'));
        expect(r.stop.exitValue).toBe(1);
        expect(r.inService).toBe(0);
      }, 60_000);
    }
  }

  it('ata-irq phase C (status register polling): nominal takes at least the model time, safepoint less (virtual clock)', async () => {
    const sp = await runDisk('ata-irq.mb', { clock: 'virtual', ioDelivery: 'safepoint' });
    const nom = await runDisk('ata-irq.mb', { clock: 'virtual', ioDelivery: 'nominal' });
    const model = DEFAULT_ATA_TIMING.commandNs + 8 * DEFAULT_ATA_TIMING.sectorNs;
    expect(nom.phases.C.pit * PIT_NS).toBeGreaterThanOrEqual(model - 2 * PIT_NS);
    expect(sp.phases.C.pit).toBeLessThan(nom.phases.C.pit);
  });
});

// The platform fixtures (timer, UART, RTC, serial echo, ATA) through the
// Machine, with both clocks, compared byte for byte with the outputs QEMU
// gives (fixtures/expected); plus the event loop's rules: HLT idling,
// 'halt' when nothing can wake the CPU, virtual-clock determinism.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { Machine, type MachineInput, type StopInfo } from '../src/machine/machine.js';
import { loadMultiboot } from '../src/machine/loaders.js';
import { HostInputSource } from '../src/replay/input-source.js';
import { MemoryDisk } from '../src/devices/disk-backend.js';
import { ArrayByteSource } from './devices/helpers.js';
import type { ClockMode } from '../src/machine/clock.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const FIX = join(ROOT, 'fixtures');
const RAM = 32 << 20;
const LIMIT = 2e9;

interface Entry {
  name: string;
  image: string;
  exitStatus: number;
  expected: string;
  serialIn?: string;
  disk?: string;
  diskSectorsWritten?: number[];
}
const manifest = JSON.parse(readFileSync(join(FIX, 'manifest.json'), 'utf8')) as { fixtures: Entry[]; ioFixtures: Entry[] };
const PLATFORM = ['timer', 'uart', 'rtc', 'firmware'];
const entries = [...manifest.fixtures.filter((e) => PLATFORM.includes(e.name)), ...manifest.ioFixtures];

interface Run {
  stop: StopInfo;
  out: string;
  machine: Machine;
  disk?: MemoryDisk;
}

async function runFixture(e: Entry, clock: ClockMode, input: MachineInput = new HostInputSource()): Promise<Run> {
  let out = '';
  const disk = e.disk ? new MemoryDisk(new Uint8Array(readFileSync(join(FIX, e.disk)))) : undefined;
  const machine = new Machine({
    ramBytes: RAM,
    input,
    clock,
    serial: (b) => (out += String.fromCharCode(b)),
    serialIn: e.serialIn ? new ArrayByteSource(new Uint8Array(readFileSync(join(FIX, e.serialIn)))) : undefined,
    disk,
  });
  machine.load(loadMultiboot(new Uint8Array(readFileSync(join(FIX, e.image))), RAM, e.image));
  const stop = await machine.runAsync({ maxInsns: LIMIT });
  return { stop, out, machine, disk };
}

describe('platform fixtures on vmrr match QEMU', () => {
  for (const e of entries) {
    for (const clock of ['virtual', 'host'] as const) {
      it(`${e.name}, --clock ${clock}: serial output equals fixtures/${e.expected}, exit status ${e.exitStatus}`, async () => {
        const r = await runFixture(e, clock);
        expect(r.out).toBe(readFileSync(join(FIX, e.expected), 'latin1'));
        expect(r.stop.reason).toBe('exit');
        expect(r.stop.exitValue).toBe(e.exitStatus);
        if (e.diskSectorsWritten) {
          const before = new Uint8Array(readFileSync(join(FIX, e.disk!)));
          const after = r.disk!.contents();
          const changed = [];
          for (let s = 0; s < before.length / 512; s++) {
            if (!before.subarray(s * 512, s * 512 + 512).every((b, i) => b === after[s * 512 + i])) changed.push(s);
          }
          expect(changed).toEqual(e.diskSectorsWritten);
        }
      }, 60_000);
    }
  }
});

describe('event loop', () => {
  const timer = entries.find((e) => e.name === 'timer')!;

  it('--clock virtual is deterministic: two runs end at the same icount with the same events', async () => {
    const a = await runFixture(timer, 'virtual');
    const b = await runFixture(timer, 'virtual');
    expect(b.stop).toEqual(a.stop);
    expect(b.machine.eventCounts).toEqual(a.machine.eventCounts);
    expect(a.machine.eventCounts.timer).toBeGreaterThanOrEqual(25);
  });

  it('the synchronous run() gives the same result as runAsync() for a guest without host I/O', async () => {
    const a = await runFixture(timer, 'virtual');
    const m = new Machine({ ramBytes: RAM, input: new HostInputSource(), clock: 'virtual' });
    m.load(loadMultiboot(new Uint8Array(readFileSync(join(FIX, timer.image))), RAM, timer.image));
    expect(m.run(LIMIT)).toEqual(a.stop);
  });

  it('the nondet fixture (RDTSC, RDRAND, RDSEED) passes with the virtual clock', async () => {
    const nondet = manifest.fixtures.find((e) => e.name === 'nondet')!;
    const a = await runFixture(nondet, 'virtual');
    expect(a.out).toBe(readFileSync(join(FIX, nondet.expected), 'latin1'));
  });

  it('HLT with IF=1 and no device that could interrupt ends the run with reason halt', () => {
    // mask both PICs (the firmware left IRQ 0 unmasked, with the PIT running); sti; hlt
    expect(runTiny([0xb0, 0xff, 0xe6, 0x21, 0xe6, 0xa1, 0xfb, 0xf4]).reason).toBe('halt');
  });

  it('a Multiboot kernel starts with the device state QEMU\'s firmware leaves: sti; hlt takes IRQ 0 on vector 8', () => {
    // lidt [0x100080] (limit 0); sti; hlt: delivering vector 8 through an empty IDT triple-faults.
    const stop = runTiny([0x0f, 0x01, 0x1d, 0x80, 0x00, 0x10, 0x00, 0xfb, 0xf4], [0, 0, 0, 0, 0, 0]);
    expect(stop.reason).toBe('triple-fault');
    expect(stop.icount).toBe(3);
  });

  it('HLT with IF=1 while the only timer is masked at the PIC ends with halt', () => {
    // PIT ch0 mode 2 (out 0x43,0x34; out 0x40,0; out 0x40,0x10), mask all (out 0x21,0xff), sti, hlt
    const code = [0xb0, 0x34, 0xe6, 0x43, 0xb0, 0x00, 0xe6, 0x40, 0xb0, 0x10, 0xe6, 0x40, 0xb0, 0xff, 0xe6, 0x21, 0xfb, 0xf4];
    expect(runTiny(code).reason).toBe('halt');
  });

  it('HLT with IF=1 and an unmasked timer idles until IRQ 0, which is delivered to the guest', () => {
    // ICW1-4 (base 0x20), unmask IRQ0, PIT mode 2, sti; hlt; then the (absent) IDT entry makes it triple-fault:
    // reaching the fault proves the interrupt was taken after the idle.
    const code = [
      0xb0, 0x11, 0xe6, 0x20, 0xb0, 0x20, 0xe6, 0x21, 0xb0, 0x04, 0xe6, 0x21, 0xb0, 0x01, 0xe6, 0x21,
      0xb0, 0xfe, 0xe6, 0x21, 0xb0, 0x34, 0xe6, 0x43, 0xb0, 0x00, 0xe6, 0x40, 0xb0, 0x10, 0xe6, 0x40,
      0x0f, 0x01, 0x1d, 0x80, 0x00, 0x10, 0x00, // lidt [0x100080] (limit 0)
      0xfb, 0xf4,
    ];
    const stop = runTiny(code, [0, 0, 0, 0, 0, 0]);
    expect(stop.reason).toBe('triple-fault');
    expect(stop.icount).toBe(19); // 16 mov/out, lidt, sti, hlt: the fault comes from delivering IRQ 0
  });
});

/** A flat Multiboot kernel: `code` at 0x100020, `data` at 0x100080; run with the virtual clock. */
function runTiny(code: number[], data: number[] = []): StopInfo {
  const img = new Uint8Array(0x80 + data.length);
  const dv = new DataView(img.buffer);
  dv.setUint32(0, 0x1badb002, true);
  dv.setUint32(4, 0x10000, true);
  dv.setUint32(8, -(0x1badb002 + 0x10000) >>> 0, true);
  dv.setUint32(12, 0x100000, true);
  dv.setUint32(16, 0x100000, true);
  dv.setUint32(28, 0x100020, true);
  img.set(code, 0x20);
  img.set(data, 0x80);
  const m = new Machine({ ramBytes: RAM, input: new HostInputSource(), clock: 'virtual' });
  m.load(loadMultiboot(img, RAM, 'tiny'));
  return m.run(1e7);
}

// The validated decode layer: a machine state from outside is checked
// against the machine before anything is applied (issue 10).
import { describe, expect, it } from 'vitest';
import { buildMachine, DEFAULT_MACHINE_CONFIG } from '../../src/machine/config.js';
import { HostInputSource } from '../../src/replay/input-source.js';
import { saveMachineState } from '../../src/machine/machine-state.js';
import { checkMachineState, StateError } from '../../src/machine/state-check.js';
import { applyCheckpoints, CheckpointTracker } from '../../src/machine/checkpoints.js';
import { MemoryDisk } from '../../src/devices/disk-backend.js';
import { loadMultiboot } from '../../src/machine/loaders.js';
import { readFileSync } from 'node:fs';

const machine = (disk = false) =>
  buildMachine({ ...DEFAULT_MACHINE_CONFIG, ram: 1 << 20 }, new HostInputSource(1000), disk ? { disk: new MemoryDisk(new Uint8Array(512 * 8)) } : {});

const bad = (edit: (s: Record<string, any>) => void, pattern: RegExp, disk = false): void => {
  const m = machine(disk);
  const s = structuredClone(saveMachineState(m)) as unknown as Record<string, any>;
  edit(s);
  expect(() => checkMachineState(m, s)).toThrow(StateError);
  expect(() => checkMachineState(m, s)).toThrow(pattern);
};

describe('checkMachineState', () => {
  it('accepts the state the machine saves itself (with and without a disk)', () => {
    for (const disk of [false, true]) {
      const m = machine(disk);
      expect(checkMachineState(m, structuredClone(saveMachineState(m)))).toBeTruthy();
    }
  });

  it('refuses missing fields, wrong kinds, unknown versions and fields, bigints, wrong lengths and out-of-range indices', () => {
    bad((s) => delete s.uart, /'uart' is missing/);
    bad((s) => (s.uart.v = undefined), /'uart.v' is missing/);
    bad((s) => (s.v = 7), /version 7/);
    bad((s) => (s.pit.v = 2), /'pit.v' is 2, not an integer from 1 to 1/);
    bad((s) => (s.cpu.tscOffset = 10n), /'cpu.tscOffset' is a bigint, not a number/);
    bad((s) => (s.cpu.regs = [1, 2, 3]), /'cpu.regs' has 3 elements \(8 expected\)/);
    bad((s) => (s.rtc.ram = new Uint8Array(4)), /'rtc.ram' has 4 elements/);
    bad((s) => (s.uart.rxHead = 99), /'uart.rxHead' is 99/);
    bad((s) => (s.pit.channels[1].mode = 9), /'pit.channels\[1\].mode' is 9/);
    bad((s) => (s.cpu.extra = 1), /'cpu.extra' is not a field/);
    bad((s) => (s.ramBytes = 4096), /saved with 4096 bytes of RAM/);
    bad((s) => (s.ata = { v: 1 }), /saved with a disk; this machine has none/);
    bad((s) => (s.ata = null), /saved without a disk; this machine has one/, true);
    bad((s) => (s.cpu.eip = Number.NaN), /'cpu.eip' is NaN/);
  });

  it('nullable fields (RAM hidden under a shadowed BIOS area) take null or their kind, nothing else', () => {
    const m = machine();
    const s = structuredClone(saveMachineState(m)) as unknown as Record<string, any>;
    s.chipset.shadow.hidden[0] = new Uint8Array(16384);
    expect(checkMachineState(m, s)).toBeTruthy();
    s.chipset.shadow.hidden[0] = 'x';
    expect(() => checkMachineState(m, s)).toThrow(/chipset.shadow.hidden\[0\]/);
    delete s.chipset;
    expect(checkMachineState(m, s)).toBeTruthy(); // saved before the chipset existed: power-on state
  });

  it('an x87 state (saved only once the FPU is used) is checked too', () => {
    const m = buildMachine({ ...DEFAULT_MACHINE_CONFIG }, new HostInputSource(1000));
    m.load(loadMultiboot(new Uint8Array(readFileSync('fixtures/fpu.mb')), DEFAULT_MACHINE_CONFIG.ram, 'fixtures/fpu.mb'));
    m.run(20_000);
    const s = structuredClone(saveMachineState(m)) as unknown as Record<string, any>;
    expect(s.cpu.fpu).toBeTruthy();
    const fresh = buildMachine({ ...DEFAULT_MACHINE_CONFIG }, new HostInputSource(1000));
    expect(checkMachineState(fresh, s)).toBeTruthy();
    s.cpu.fpu.top = 9;
    expect(() => checkMachineState(fresh, s)).toThrow(/'cpu.fpu.top' is 9/);
    s.cpu.fpu.top = 0;
    s.cpu.fpu.raw[3] = [0, 1];
    expect(() => checkMachineState(fresh, s)).toThrow(/cpu.fpu.raw\[3\]/);
  });

  it('applyCheckpoints checks the whole chain first: a bad page number leaves the machine untouched', () => {
    const m = machine();
    const cp = new CheckpointTracker(m).take();
    m.mem.ram[0x5000] = 0x77;
    const before = Buffer.from(m.mem.ram);
    const broken = { ...cp, pages: [...cp.pages, { index: 1 << 20, data: new Uint8Array(4096) }], origin: 'x.vmrr: checkpoint 0 (frame 3 at offset 99)' };
    expect(() => applyCheckpoints(m, [broken])).toThrow(/^x\.vmrr: checkpoint 0 \(frame 3 at offset 99\): RAM page 1048576 is outside this machine's 256 pages$/);
    expect(Buffer.compare(before, Buffer.from(m.mem.ram))).toBe(0);
  });
});

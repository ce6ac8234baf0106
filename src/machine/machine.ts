// A machine: CPU, physical memory, port bus and devices, assembled from a
// configuration. It is a pure function of (image, configuration, inputs);
// every non-deterministic value comes from the input source it is given.

import { Cpu, CS, SS, DS, ES, FS, GS, type NdSource, type InterruptLine } from '../cpu/cpu.js';
import { runCpu, faultChainText } from '../cpu/exec.js';
import { setSegCache } from '../cpu/segments.js';
import { PhysicalMemory } from '../memory/phys.js';
import { PortBus } from '../devices/port-bus.js';
import { DebugCon, DebugExit } from '../devices/debug-ports.js';
import { SerialTx } from '../devices/serial-tx.js';
import type { LoadPlan } from './loaders.js';

export interface DebugConSpec {
  port: number;
  sink: (byte: number) => void;
}

export interface MachineOptions {
  ramBytes: number;
  /** Non-deterministic instruction results (RDTSC, RDRAND, RDSEED). */
  input: NdSource;
  /** COM1 transmit. */
  serial?: (byte: number) => void;
  /** Port 0xE9 debug console; defaults to the serial sink. */
  debugcon?: DebugConSpec[];
  /** Software TLB entries (a power of two). */
  tlbEntries?: number;
}

export type StopReason = 'exit' | 'halt' | 'limit' | 'triple-fault';

export interface StopInfo {
  reason: StopReason;
  icount: number;
  eip: number;
  cs: number;
  /** isa-debug-exit status (V << 1) | 1, for reason 'exit'. */
  exitValue?: number;
  /** Exception chain of a triple fault, e.g. "#GP -> #GP -> #DF". */
  faults?: string;
}

const NO_INTERRUPTS: InterruptLine = { pending: () => false, acknowledge: () => 0 };

export class Machine {
  readonly cpu: Cpu;
  readonly mem: PhysicalMemory;
  readonly bus = new PortBus();
  private readonly exitDev: DebugExit;

  constructor(opts: MachineOptions) {
    this.mem = new PhysicalMemory(opts.ramBytes);
    this.cpu = new Cpu(this.mem, this.bus, opts.input, NO_INTERRUPTS, opts.tlbEntries ?? 4096);
    const serial = opts.serial ?? (() => {});
    new SerialTx(this.bus, 0x3f8, serial);
    const cons = opts.debugcon ?? [{ port: 0xe9, sink: serial }];
    for (const c of cons) new DebugCon(this.bus, c.port, c.sink);
    this.exitDev = new DebugExit(this.bus, 0xf4, () => {
      this.cpu.exitRequested = true;
      this.cpu.requestExit();
    });
    this.reset();
  }

  /** Power-on state: real mode at F000:FFF0 (CS base FFFF0000). */
  reset(): void {
    const c = this.cpu;
    c.regs.fill(0);
    c.regs[2] = 0x633; // EDX: processor signature
    c.setEflags(2);
    c.cr0 = 0x60000010;
    c.cr2 = c.cr3 = c.cr4 = 0;
    c.cpl = 0;
    c.updatePrivilege();
    for (const s of [ES, SS, DS, FS, GS]) setSegCache(c, s, 0, 0, 0xffff, 0x93);
    setSegCache(c, CS, 0xf000, 0xffff0000, 0xffff, 0x9b);
    c.eip = 0xfff0;
    c.gdtBase = 0; c.gdtLimit = 0xffff;
    c.idtBase = 0; c.idtLimit = 0x3ff;
    c.flushTlb();
  }

  load(plan: LoadPlan): void {
    const ram = this.mem.ram;
    for (const z of plan.zero ?? []) ram.fill(0, z.addr, z.addr + z.len);
    for (const seg of plan.segments) ram.set(seg.data, seg.addr);
    if (plan.rom) this.mem.mapRom(plan.rom);
    const e = plan.entry;
    const c = this.cpu;
    if (e.mode === 'flat32') {
      c.cr0 = e.cr0 | 0x10;
      c.gdtBase = e.gdtr.base; c.gdtLimit = e.gdtr.limit;
      c.idtBase = e.idtr.base; c.idtLimit = e.idtr.limit;
      setSegCache(c, CS, e.cs, 0, 0xffffffff, 0xc09b);
      for (const s of [ES, SS, DS, FS, GS]) setSegCache(c, s, e.ds, 0, 0xffffffff, 0xc093);
      c.eip = e.eip >>> 0;
      c.regs[0] = e.eax;
      c.regs[3] = e.ebx;
      c.regs[4] = e.esp;
      c.regs[2] = 0;
      c.setEflags(e.eflags);
    } else {
      this.reset();
    }
    c.flushTlb();
  }

  /** Run until the guest stops or icount reaches `maxInsns` (absolute). */
  run(maxInsns = Number.MAX_SAFE_INTEGER): StopInfo {
    const c = this.cpu;
    const SLICE = 1 << 24;
    for (;;) {
      runCpu(c, Math.min(maxInsns, c.icount + SLICE));
      if (c.exitRequested) return this.stop('exit', { exitValue: this.exitDev.status });
      if (c.shutdown) return this.stop('triple-fault', { faults: faultChainText(c) });
      if (c.halted) return this.stop('halt');
      if (c.icount >= maxInsns) return this.stop('limit');
    }
  }

  /** Execute one instruction (or REP iteration). */
  step(): void {
    runCpu(this.cpu, this.cpu.icount + 1);
  }

  readPhys(addr: number, len: number): Uint8Array {
    return this.mem.readBytes(addr, len);
  }

  private stop(reason: StopReason, extra: Partial<StopInfo> = {}): StopInfo {
    const c = this.cpu;
    return { reason, icount: c.icount, eip: c.eip >>> 0, cs: c.sreg[CS], ...extra };
  }
}

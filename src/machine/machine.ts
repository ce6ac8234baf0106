// A machine: CPU, physical memory, port bus and devices, assembled from a
// configuration. It is a pure function of (image, configuration, inputs);
// every non-deterministic value comes from the input source it is given.

import { Cpu, CS, SS, DS, ES, FS, GS, type NdSource } from '../cpu/cpu.js';
import { runCpu, faultChainText } from '../cpu/exec.js';
import { IF } from '../cpu/flags.js';
import { setSegCache } from '../cpu/segments.js';
import { PhysicalMemory } from '../memory/phys.js';
import { PortBus } from '../devices/port-bus.js';
import { DebugCon, DebugExit } from '../devices/debug-ports.js';
import { PicPair } from '../devices/pic-pair.js';
import { Pit8254 } from '../devices/pit8254.js';
import { CmosRtc } from '../devices/cmos-rtc.js';
import { Uart16550 } from '../devices/uart16550.js';
import { AtaDisk, type AtaTiming } from '../devices/ata.js';
import type { DiskBackend } from '../devices/disk-backend.js';
import { HostClock, VirtualClock, type ClockMode, type GuestClock, type HostTimeSource } from './clock.js';
import { deliver, type ByteSource, type EventTargets, type MachineEvent, type ScheduledEvents } from './events.js';
import { Scheduler, type IoDelivery } from './scheduler.js';
import { sleepSync, waitForHost } from './idle.js';
import { applyFirmwareState } from './firmware-state.js';
import { Chipset } from './chipset.js';
import type { LoadPlan } from './loaders.js';
import { HostPacer } from './host-pacer.js';
import { screenText } from '../devices/vga.js';
import { KeyInput } from './key-input.js';

export interface DebugConSpec {
  port: number;
  sink: (byte: number) => void;
}

/** Everything non-deterministic the machine takes: the input source (src/replay/input-source.ts). */
export interface MachineInput extends NdSource, HostTimeSource {
  /** Wall-clock time at power-on, ms since the Unix epoch (for the RTC). */
  wallClockMs(): number;
}

export interface MachineParts {
  ramBytes: number;
  /** Non-deterministic values: RDTSC/RDRAND/RDSEED, host time, wall-clock time. */
  input: MachineInput;
  /** Guest time source (default host; docs/platform.md). */
  clock?: ClockMode;
  /** Nominal CPU MHz: virtual-clock instructions per microsecond, and the TSC rate (default 1000). */
  mhz?: number;
  /** Bytes for COM1's receiver. */
  serialIn?: ByteSource;
  /** A VGA BIOS for the firmware to run (fw_cfg vgaroms/vgabios.bin). */
  vgaRom?: Uint8Array;
  /** Keystrokes for the PS/2 keyboard (bytes typed, key-input.ts). */
  keysIn?: ByteSource;
  /** The primary ATA master drive. */
  disk?: DiskBackend;
  /** Its nominal service times, and whether completions may come early at safepoints (docs/completion-interrupts.md). */
  diskTiming?: AtaTiming;
  ioDelivery?: IoDelivery;
  /** Replay: deliver these events at their logged positions; the scheduler is not consulted. */
  events?: ScheduledEvents;
  /** Record: called with every event just before it is delivered, at its icount. */
  onEvent?: (ev: MachineEvent, icount: number, eip: number) => void;
  /** COM1 transmit. */
  serial?: (byte: number) => void;
  /** Port 0xE9 debug console; defaults to the serial sink. */
  debugcon?: DebugConSpec[];
  /** Software TLB entries and ways (powers of two; default 4096 x 1), and the T-bit tracking (default on). */
  tlbEntries?: number;
  tlbWays?: number;
  tlbTracking?: boolean;
  /** An x87 FPU (default true); false: the CPU vmrr had before, x87 opcodes #UD/#NM and CPUID without FPU. */
  fpu?: boolean;
  /** The block compiler's threshold (cpu.blockThreshold; 0: interpreter only; default the Cpu's). A host-side engine setting: no guest-visible effect. */
  jitThreshold?: number;
}

export type StopReason = 'exit' | 'halt' | 'reset' | 'limit' | 'triple-fault' | 'interrupted';

export interface StopInfo {
  reason: StopReason;
  icount: number;
  eip: number;
  cs: number;
  /** isa-debug-exit status (V << 1) | 1, for reason 'exit'. */
  exitValue?: number;
  /** Exception chain of a triple fault, e.g. "#GP -> #GP -> #DF". */
  faults?: string;
  /** For reason 'reset': the device the guest asked (port 0x92, i8042, 0xCF9). */
  resetBy?: string;
  /** For reason 'halt': HLT with IF=0 (a panic: not even an NMI can come), or IF=1 with no device left that could interrupt. */
  halt?: HaltKind;
}

export type HaltKind = 'interrupts-off' | 'no-wake-source';

export interface RunAsyncOptions {
  /** Absolute instruction count to stop at (reason 'limit'). */
  maxInsns?: number;
  /** Aborting stops the run at the next yield (reason 'interrupted'). */
  signal?: AbortSignal;
  /** Called each time the loop yields to the host's event loop (flush output, show progress). */
  onYield?: (icount: number) => void;
}

/** Instructions per CPU slice with the host clock: deadlines are checked between slices. */
const HOST_SLICE = 100_000;
/** ... and this often while the host owes the guest something (disk reads, serial input). */
const YIELD_BUSY = HOST_SLICE;
/** ... and this soon when a guest polling a busy disk (host clock) only waits for the host's read. */
const YIELD_HOST_DUE = 10_000;

type Step = StopInfo | 'wait' | 'yield';

export class Machine {
  readonly cpu: Cpu;
  readonly mem: PhysicalMemory;
  readonly bus = new PortBus();
  readonly clock: GuestClock;
  readonly pic: PicPair;
  readonly pit: Pit8254;
  readonly rtc: CmosRtc;
  readonly uart: Uart16550;
  readonly ata?: AtaDisk;
  /** Port 0x92, the i8042, PCI configuration space, BIOS shadow RAM (chipset.ts). */
  readonly chipset: Chipset;
  private readonly exitDev: DebugExit;
  private readonly targets: EventTargets;
  private readonly scheduler: Scheduler;
  private readonly serialIn?: ByteSource;
  private readonly replay?: ScheduledEvents;
  private readonly onEvent?: MachineParts['onEvent'];
  /**
   * Called each time the CPU loop hands control back to the machine: the
   * record and replay input sources service their ND buffer exits here.
   */
  sliceHook: (() => void) | null = null;
  /** Set by requestBreak(): the run loop stops at the end of the current CPU slice (reason 'interrupted'). */
  private breakRequested = false;
  /** Called when the host delivers something (disk data, serial bytes) while the loop waits. */
  private hostWake: (() => void) | null = null;
  /** When runAsync lets the host's event loop run (kept across calls). */
  private readonly pacer = new HostPacer();
  /** Events delivered so far, by kind (for reports). */
  readonly eventCounts = { timer: 0, serial: 0, disk: 0, key: 0 };

  constructor(opts: MachineParts) {
    this.mem = new PhysicalMemory(opts.ramBytes);
    const mhz = opts.mhz ?? 1000;
    const pic = new PicPair(this.bus, () => this.cpu.requestExit());
    this.pic = pic;
    // RDTSC follows guest time: the virtual clock's (idle time included), the input source's with the host one.
    let vclock: VirtualClock | undefined;
    const nd: NdSource = opts.clock === 'virtual' ? { rdtsc: () => vclock!.tsc(), rdrand: (b, s) => opts.input.rdrand(b, s) } : opts.input;
    this.cpu = new Cpu(this.mem, this.bus, nd, pic, { entries: opts.tlbEntries ?? 4096, ways: opts.tlbWays ?? 1, tracking: opts.tlbTracking ?? true });
    this.cpu.fpuPresent = opts.fpu ?? true;
    if (opts.jitThreshold !== undefined) this.cpu.blockThreshold = opts.jitThreshold;
    // x87 FERR# drives IRQ 13; a write to port 0xF0 releases it (PC/AT, QEMU's ioportF0).
    this.cpu.fpu.ferrLine = (level) => pic.setIrq(13, level);
    this.bus.claim('fpu-ferr', 0xf0, 1, undefined, () => this.cpu.fpu.clearFerr());
    if (opts.clock === 'virtual') {
      this.clock = vclock = new VirtualClock(this.cpu, mhz);
    } else {
      const hc = new HostClock(opts.input);
      hc.onPassed = () => this.reschedule();
      this.clock = hc;
    }
    const serial = opts.serial ?? (() => {});
    const reschedule = (): void => this.reschedule();
    this.pit = new Pit8254(this.bus, this.clock, () => pic.pulseIrq(0), reschedule);
    this.rtc = new CmosRtc(this.bus, this.clock, opts.input.wallClockMs());
    this.rtc.setMemorySize(opts.ramBytes);
    this.uart = new Uart16550(this.bus, 0x3f8, this.clock, serial, (l) => pic.setIrq(4, l), reschedule);
    if (opts.disk) this.ata = new AtaDisk(this.bus, opts.disk, this.clock, (l) => pic.setIrq(14, l), reschedule, opts.diskTiming);
    const cons = opts.debugcon ?? [{ port: 0xe9, sink: serial }];
    for (const c of cons) new DebugCon(this.bus, c.port, c.sink);
    this.exitDev = new DebugExit(this.bus, 0xf4, () => this.cpu.requestReturn());
    this.chipset = new Chipset(this.bus, this.mem, this.cpu, pic, opts.vgaRom);
    this.targets = { pit: this.pit, uart: this.uart, ata: this.ata, kbc: this.chipset.kbc };
    this.serialIn = opts.serialIn;
    this.replay = opts.events;
    this.onEvent = opts.onEvent;
    this.scheduler = new Scheduler(this.clock, this.targets, pic, opts.serialIn, opts.ioDelivery);
    opts.serialIn?.onActivity(() => this.reschedule());
    if (opts.keysIn) {
      this.scheduler.keys = new KeyInput(opts.keysIn);
      opts.keysIn.onActivity(() => this.reschedule());
    }
    this.reset();
  }

  /**
   * A device's deadline moved or the host delivered something: end the CPU
   * slice after this instruction so the loop decides again, and wake an idle wait.
   * (The loop tells a guest exit from this by the isa-debug-exit status.)
   */
  private reschedule(): void {
    this.cpu.requestReturn();
    const w = this.hostWake;
    if (w) {
      this.hostWake = null;
      w();
    }
  }

  /**
   * Stop run()/runAsync() after the current instruction, with reason
   * 'interrupted' (a debugger's watchpoint hit, from inside an instruction).
   */
  requestBreak(): void {
    this.breakRequested = true;
    this.cpu.requestReturn();
  }

  /** Deliver one asynchronous event now, between instructions (the replay entry point). */
  deliver(ev: MachineEvent): void {
    // With the virtual clock, guest time also moves while the CPU idles (skipTo). An event carries the
    // time it came at, so a replay, which has no scheduler to skip for it, brings the clock there first.
    if (this.clock.mode === 'virtual') {
      // A serial event of a log older than format 3 has no time: delivered at the clock as it stands.
      if (ev.t === undefined) {
        if (ev.kind === 'disk') ev = { kind: 'disk', t: this.clock.now() };
        else if (ev.kind === 'key') ev = { kind: 'key', code: ev.code, t: this.clock.now() };
      } else if (ev.t > this.clock.now()) this.clock.skipTo(ev.t);
    }
    this.onEvent?.(ev, this.cpu.icount, this.cpu.eip >>> 0);
    this.eventCounts[ev.kind]++;
    deliver(this.targets, ev);
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
    c.fpu.init();
    c.flushTlb();
  }

  load(plan: LoadPlan): void {
    const ram = this.mem.ram;
    for (const z of plan.zero ?? []) ram.fill(0, z.addr, z.addr + z.len);
    for (const seg of plan.segments) {
      ram.set(seg.data, seg.addr);
      this.mem.markTouched(seg.addr, seg.data.length);
    }
    if (plan.rom) {
      this.mem.mapRom(plan.rom);
      this.chipset.shadow.update(this.chipset.pci.config(0));
    }
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
      c.regs[6] = e.esi ?? 0;
      c.regs[2] = 0;
      c.setEflags(e.eflags);
    } else {
      this.reset();
    }
    c.flushTlb();
    // A kernel (Multiboot or Linux) starts after the firmware, which has programmed the PICs and the PIT.
    if (plan.kind !== 'bios') {
      applyFirmwareState(this.bus);
      this.chipset.vga.setMode3();
    } else {
      // Only a BIOS reads it; kernels' CMOS (hashed) stays as logs recorded before it have it.
      this.rtc.setBootOrder();
    }
  }

  /**
   * Run until the guest stops or icount reaches `maxInsns` (absolute),
   * synchronously. Idle time in HLT is slept through (host clock) or skipped
   * (virtual clock). A guest that must wait for asynchronous host I/O (a
   * file-backed disk, serial input) needs runAsync; run() throws then.
   */
  run(maxInsns = Number.MAX_SAFE_INTEGER): StopInfo {
    for (;;) {
      const r = this.advance(maxInsns, Number.MAX_SAFE_INTEGER);
      if (r === 'yield') continue;
      if (r !== 'wait') return r;
      if (this.scheduler.blockedOnHost || this.scheduler.hostActive()) {
        throw new Error('Machine.run: the guest waits for asynchronous host I/O; use runAsync');
      }
      sleepSync(this.idleNs());
    }
  }

  /**
   * Run like run(), yielding to the host's event loop so host I/O completes and
   * signals are noticed: at least every TURN_MS of host time whatever `maxInsns`
   * and however often the caller calls again (src/machine/host-pacer.ts), and
   * sooner while the host owes the guest something. Where the CPU's work is cut
   * never changes what the guest does, so runs stay deterministic.
   */
  async runAsync(opts: RunAsyncOptions = {}): Promise<StopInfo> {
    const maxInsns = opts.maxInsns ?? Number.MAX_SAFE_INTEGER;
    const pacer = this.pacer;
    const turn = async (): Promise<boolean> => {
      opts.onYield?.(this.cpu.icount);
      await pacer.turn();
      return opts.signal?.aborted === true;
    };
    if (opts.signal?.aborted) return this.stop('interrupted');
    // A caller that loops over short runAsync calls gets its turns here.
    if (pacer.due() && (await turn())) return this.stop('interrupted');
    for (;;) {
      const busy = this.scheduler.hostActive();
      const from = this.cpu.icount;
      pacer.startChunk();
      const r = this.advance(maxInsns, from + (busy ? Math.min(YIELD_BUSY, pacer.chunk) : pacer.chunk));
      if (r === 'yield') pacer.endChunk(this.cpu.icount - from);
      if (r !== 'wait' && r !== 'yield') return r;
      // The chunk ended and the host owes the guest nothing: run on until a turn is due.
      if (r === 'yield' && !busy && !this.scheduler.hostActive() && !pacer.due()) continue;
      if (r === 'wait') {
        opts.onYield?.(this.cpu.icount);
        const wait = this.scheduler.blockedOnHost ? Infinity : this.idleNs();
        await waitForHost(wait, (wake) => (this.hostWake = wake), opts.signal);
        this.hostWake = null;
        pacer.turned();
        if (opts.signal?.aborted) return this.stop('interrupted');
      } else if (await turn()) {
        return this.stop('interrupted');
      }
    }
  }

  /** Host nanoseconds to idle before the next event can be due. */
  private idleNs(): number {
    return Math.max(0, this.scheduler.nextDue(true) - this.clock.peek());
  }

  /**
   * The event loop, synchronous part: deliver due events, run the CPU up to
   * the next deadline or slice end. Returns a stop, 'wait' (idle: the caller
   * waits for time to pass or the host) or 'yield' (icount reached `yieldAt`).
   */
  private advance(maxInsns: number, yieldAt: number): Step {
    if (this.replay) return this.advanceReplay(this.replay, maxInsns, yieldAt);
    const c = this.cpu;
    const sched = this.scheduler;
    const virtual = this.clock.mode === 'virtual';
    for (;;) {
      // A disk safepoint: idle in HLT with interrupts enabled.
      const halted = c.halted && (c.flags & IF) !== 0 && !this.pic.pending();
      for (let ev = sched.nextEvent(halted); ev !== null; ev = sched.nextEvent(halted)) this.deliver(ev);
      if (virtual && sched.blockedOnHost) return 'wait';
      // The host's completion callback can only run once the loop yields: do so soon, not after a whole chunk.
      if (sched.awaitingHost) yieldAt = Math.min(yieldAt, c.icount + YIELD_HOST_DUE);
      if (c.halted && !((c.flags & IF) && this.pic.pending())) {
        if (!(c.flags & IF) || !sched.canWake()) return this.haltStop();
        if (!virtual) return 'wait';
        const t = sched.nextDue(true);
        if (t === Infinity) return 'wait'; // waiting for the host (e.g. serial input)
        this.clock.skipTo(t);
        continue;
      }
      if (c.icount >= maxInsns) return this.stop('limit');
      if (c.icount >= yieldAt) return 'yield';
      let target = Math.min(maxInsns, yieldAt);
      if (virtual) {
        const due = this.clock.icountAt(sched.nextDue(false));
        if (due < target) target = Math.max(due, c.icount + 1);
      } else {
        target = Math.min(target, c.icount + HOST_SLICE);
        (this.clock as HostClock).watch = sched.nextDue(false);
      }
      runCpu(c, target);
      this.sliceHook?.();
      if (this.breakRequested) return this.takeBreak();
      const end = this.ended();
      if (end) return end;
    }
  }

  /** advance() for a replay: events at their logged icounts, no clock, no waiting. */
  private advanceReplay(log: ScheduledEvents, maxInsns: number, yieldAt: number): Step {
    const c = this.cpu;
    for (;;) {
      while (log.nextIcount() <= c.icount) this.deliver(log.take());
      if (c.halted && !((c.flags & IF) && this.pic.pending())) return this.haltStop();
      if (c.icount >= maxInsns) return this.stop('limit');
      if (c.icount >= yieldAt) return 'yield';
      runCpu(c, Math.min(maxInsns, yieldAt, log.nextIcount()));
      this.sliceHook?.();
      if (this.breakRequested) return this.takeBreak();
      const end = this.ended();
      if (end) return end;
    }
  }

  /** The guest's own end after a CPU slice: isa-debug-exit, a reset request, a triple fault. */
  private ended(): StopInfo | null {
    const c = this.cpu;
    if (this.exitDev.status >= 0) return this.stop('exit', { exitValue: this.exitDev.status });
    if (this.chipset.resetBy) return this.stop('reset', { resetBy: this.chipset.resetBy });
    if (c.shutdown) return this.stop('triple-fault', { faults: faultChainText(c) });
    return null;
  }

  /** Execute one instruction (or REP iteration). */
  step(): void {
    if (this.exitDev.status >= 0 || this.chipset.resetBy) return; // the guest has ended
    runCpu(this.cpu, this.cpu.icount + 1);
  }

  /** isa-debug-exit status ((V << 1) | 1), or -1 while the guest runs; read and restored by snapshots. */
  get exitStatus(): number {
    return this.exitDev.status;
  }
  set exitStatus(v: number) {
    this.exitDev.status = v;
  }

  readPhys(addr: number, len: number): Uint8Array {
    return this.mem.readBytes(addr, len);
  }

  /** The VGA text screen as lines of text (src/devices/vga.ts screenText; --screen). Changes nothing. */
  screenText(): string {
    return screenText(this.chipset.vga.textScreen((a, n) => this.readPhys(a, n)));
  }

  private takeBreak(): StopInfo {
    this.breakRequested = false;
    return this.stop('interrupted');
  }

  private haltStop(): StopInfo {
    return this.stop('halt', { halt: this.cpu.flags & IF ? 'no-wake-source' : 'interrupts-off' });
  }

  private stop(reason: StopReason, extra: Partial<StopInfo> = {}): StopInfo {
    const c = this.cpu;
    return { reason, icount: c.icount, eip: c.eip >>> 0, cs: c.sreg[CS], ...extra };
  }
}

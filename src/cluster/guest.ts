// A guest running on a primary node: its machine, run in slices that can be
// paused between instructions for a consistent state, its page hashes, and
// the serial bytes it produced.

import { buildMachine, decodeMachineConfig, type MachineConfig } from '../machine/config.js';
import type { Machine, StopInfo } from '../machine/machine.js';
import { planImage } from '../machine/image-plan.js';
import { stateHashOf } from '../machine/state-hash.js';
import { hostInputFor } from '../replay/input-source.js';
import { PageHashes } from './vm-state.js';

export interface GuestInfo {
  vm: string;
  icount: number;
  status: 'running' | 'paused' | 'ended';
  outputBytes: number;
  /** When ended: why, the guest's exit value and the final state hash. */
  end?: { reason: StopInfo['reason']; exitValue: number | null; stateHash: string };
}

export class NodeGuest {
  readonly machine: Machine;
  readonly config: MachineConfig;
  readonly hashes: PageHashes;
  readonly output: number[] = [];
  private run: Promise<StopInfo> | null = null;
  private ac: AbortController | null = null;
  private pauses = 0;
  end: StopInfo | null = null;

  constructor(
    readonly vm: string,
    readonly image: Uint8Array,
    readonly imageHash: string,
    configMap: Record<string, unknown>,
    restore?: (m: Machine) => void,
    output?: Uint8Array,
  ) {
    this.config = decodeMachineConfig(configMap, `${vm}.img`);
    this.machine = buildMachine(this.config, hostInputFor(this.config), { serial: (b) => this.output.push(b) });
    this.machine.load(planImage(image, { bios: this.config.bios, ram: this.config.ram, append: this.config.append, imageArg: this.config.imageArg }));
    if (output) this.output.push(...output);
    restore?.(this.machine);
    // A guest that had ended before it moved stays ended.
    if (this.machine.exitStatus >= 0) this.end = { reason: 'exit', icount: this.machine.cpu.icount, eip: this.machine.cpu.eip, cs: 0, exitValue: this.machine.exitStatus };
    this.hashes = new PageHashes(this.machine);
  }

  start(): void {
    if (this.run || this.end || this.pauses > 0) return;
    this.ac = new AbortController();
    const run = this.machine.runAsync({ signal: this.ac.signal });
    this.run = run;
    void run.then((stop) => {
      if (this.run === run) this.run = null;
      if (stop.reason !== 'interrupted') this.end = stop;
    });
  }

  /** Run `f` with the guest stopped between two instructions, then let it go on. */
  async paused<T>(f: () => T | Promise<T>): Promise<T> {
    this.pauses++;
    try {
      const run = this.run;
      if (run) {
        this.ac!.abort();
        await run;
      }
      return await f();
    } finally {
      this.pauses--;
      if (this.pauses === 0) this.start();
    }
  }

  /** Stop for good (the guest migrated away or was stopped). */
  async halt(): Promise<void> {
    this.pauses++;
    if (this.run) {
      this.ac!.abort();
      await this.run;
    }
    this.hashes.close();
  }

  info(): GuestInfo {
    const status = this.end ? 'ended' : this.run ? 'running' : 'paused';
    const end = this.end
      ? { reason: this.end.reason, exitValue: this.end.exitValue ?? null, stateHash: stateHashOf(this.machine) }
      : undefined;
    return { vm: this.vm, icount: this.machine.cpu.icount, status, outputBytes: this.output.length, end };
  }
}

// System Control Port A at 0x92 (the PS/2 "fast A20" port), as QEMU's pc
// machine has it: bit 1 is the A20 gate, bit 0 a fast reset (a 0 -> 1 edge
// asks for a system reset), and the port reads back the last value written.
// vmrr keeps A20 enabled whatever the gate says (docs/platform.md).

import type { PortBus } from './port-bus.js';

export interface Port92State {
  v: 1;
  value: number;
}

export class Port92 {
  private value = 0;

  constructor(bus: PortBus, private readonly onReset: () => void) {
    bus.claim('port-92', 0x92, 1, () => this.value, (_p, v) => this.write(v));
  }

  /** The A20 gate as the guest last set it through this port. */
  get a20(): boolean {
    return (this.value & 2) !== 0;
  }

  private write(v: number): void {
    const old = this.value;
    this.value = v & 0xff;
    if (v & 1 && !(old & 1)) this.onReset();
  }

  save(): Port92State {
    return { v: 1, value: this.value };
  }

  load(s: Port92State): void {
    if (s.v !== 1) throw new Error(`port 0x92 state: unknown version ${s.v}`);
    this.value = s.value;
  }
}

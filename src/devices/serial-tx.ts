// COM1 as a polled transmitter: enough of a 16550 for guests that wait for
// THR empty and write bytes. (The full UART comes with the platform work.)

import type { PortBus } from './port-bus.js';

export class SerialTx {
  private regs = new Uint8Array(8);
  constructor(bus: PortBus, base: number, sink: (byte: number) => void) {
    bus.claim(`uart@0x${base.toString(16)}`, base, 8, (p) => this.read(p - base), (p, v) => {
      const r = p - base;
      if (r === 0 && !(this.regs[3] & 0x80)) sink(v);
      else this.regs[r] = v;
    });
  }
  private read(r: number): number {
    switch (r) {
      case 5: return 0x60; // LSR: THR and transmitter empty
      case 2: return 0x01; // IIR: no interrupt pending
      case 6: return 0xb0; // MSR
      default: return this.regs[r];
    }
  }
}

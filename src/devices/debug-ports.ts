// Debug console ports (QEMU's isa-debugcon; 0xE9 by default) and
// isa-debug-exit at 0xF4 (a write of V ends the run with status (V<<1)|1).

import type { PortBus } from './port-bus.js';

export class DebugCon {
  constructor(bus: PortBus, port: number, sink: (byte: number) => void) {
    bus.claim(`debugcon@0x${port.toString(16)}`, port, 1, () => 0xe9, (_p, v) => sink(v));
  }
}

export class DebugExit {
  /** Status written by the guest, or -1 while it runs. */
  status = -1;
  constructor(bus: PortBus, port: number, onExit: () => void) {
    // iosize=4, like -device isa-debug-exit,iobase=0xf4,iosize=4; any width of write exits.
    bus.claim('isa-debug-exit', port, 4, undefined, (p, v) => {
      if (p !== port) return;
      this.status = ((v << 1) | 1) >>> 0;
      onExit();
    });
  }
}

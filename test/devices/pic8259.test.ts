import { beforeEach, describe, expect, it } from 'vitest';
import { PortBus } from '../../src/devices/port-bus.js';
import { PicPair } from '../../src/devices/pic-pair.js';

let bus: PortBus;
let pic: PicPair;
let wakes: number;

/** ICW1-4 as a PC OS programs them: master at `m`, slave at `s`, then masks. */
function init(m = 0x20, s = 0x28, masterMask = 0, slaveMask = 0, icw4 = 1): void {
  bus.out8(0x20, 0x11); bus.out8(0xa0, 0x11);
  bus.out8(0x21, m); bus.out8(0xa1, s);
  bus.out8(0x21, 4); bus.out8(0xa1, 2);
  bus.out8(0x21, icw4); bus.out8(0xa1, icw4);
  bus.out8(0x21, masterMask); bus.out8(0xa1, slaveMask);
}
const isr = (port = 0x20): number => (bus.out8(port, 0x0b), bus.in8(port));
const irr = (port = 0x20): number => (bus.out8(port, 0x0a), bus.in8(port));
const eoi = (port = 0x20): void => bus.out8(port, 0x20);

beforeEach(() => {
  bus = new PortBus();
  wakes = 0;
  pic = new PicPair(bus, () => wakes++);
});

describe('Pic8259 pair', () => {
  it('after ICW1-4 an IRQ is delivered at the programmed vector, goes in service and leaves IRR', () => {
    init(0x20, 0x28, 0xfe, 0xff);
    expect(bus.in8(0x21)).toBe(0xfe);
    expect(pic.pending()).toBe(false);
    pic.pulseIrq(0);
    expect(pic.pending()).toBe(true);
    expect(wakes).toBe(1);
    expect(irr()).toBe(1);
    expect(pic.acknowledge()).toBe(0x20);
    expect(isr()).toBe(1);
    expect(irr()).toBe(0);
    expect(pic.pending()).toBe(false);
    eoi();
    expect(isr()).toBe(0);
  });

  it('a masked request waits in IRR and is delivered when unmasked', () => {
    init(0x20, 0x28, 0xff, 0xff);
    pic.pulseIrq(3);
    expect(pic.pending()).toBe(false);
    expect(irr() & 8).toBe(8);
    bus.out8(0x21, 0xf7);
    expect(pic.pending()).toBe(true);
    expect(pic.acknowledge()).toBe(0x23);
  });

  it('fully nested: a lower-priority request waits for EOI, a higher one interrupts the handler', () => {
    init();
    pic.pulseIrq(3);
    expect(pic.acknowledge()).toBe(0x23);
    pic.pulseIrq(5);
    expect(pic.pending()).toBe(false);
    pic.pulseIrq(1);
    expect(pic.pending()).toBe(true);
    expect(pic.acknowledge()).toBe(0x21);
    expect(isr()).toBe(0x0a);
    eoi(); // non-specific: the highest in service, IRQ1
    expect(isr()).toBe(0x08);
    expect(pic.pending()).toBe(false);
    eoi();
    expect(pic.pending()).toBe(true);
    expect(pic.acknowledge()).toBe(0x25);
  });

  it('two requests at once: the lower IRQ number first', () => {
    init();
    pic.pulseIrq(6);
    pic.pulseIrq(4);
    expect(pic.acknowledge()).toBe(0x24);
  });

  it('specific EOI clears the named level only', () => {
    init();
    pic.pulseIrq(4);
    pic.acknowledge();
    pic.pulseIrq(1);
    pic.acknowledge();
    expect(isr()).toBe(0x12);
    bus.out8(0x20, 0x64); // specific EOI, level 4
    expect(isr()).toBe(0x02);
  });

  it('edge triggered: a line held high requests once', () => {
    init();
    pic.setIrq(0, true);
    expect(pic.acknowledge()).toBe(0x20);
    eoi();
    expect(pic.pending()).toBe(false);
    pic.setIrq(0, true);
    expect(pic.pending()).toBe(false);
    pic.setIrq(0, false);
    pic.setIrq(0, true);
    expect(pic.pending()).toBe(true);
  });

  it('cascade: a slave IRQ comes through master IR2 with the slave vector, both in service', () => {
    init(0x20, 0x70);
    pic.pulseIrq(14);
    expect(pic.pending()).toBe(true);
    expect(pic.acknowledge()).toBe(0x76);
    expect(isr(0xa0)).toBe(0x40);
    expect(isr(0x20)).toBe(0x04);
    pic.pulseIrq(15);
    expect(pic.pending()).toBe(false); // master IR2 still in service
    eoi(0xa0);
    eoi(0x20);
    expect(pic.pending()).toBe(true);
    expect(pic.acknowledge()).toBe(0x77);
  });

  it('masking IR2 on the master blocks the slave; isMasked sees both masks', () => {
    init(0x20, 0x28, 0x04, 0);
    pic.pulseIrq(9);
    expect(pic.pending()).toBe(false);
    expect(pic.isMasked(9)).toBe(true);
    bus.out8(0x21, 0);
    expect(pic.isMasked(9)).toBe(false);
    expect(pic.acknowledge()).toBe(0x29);
    bus.out8(0xa1, 0x02);
    expect(pic.isMasked(9)).toBe(true);
    expect(pic.isMasked(0)).toBe(false);
  });

  it('spurious: INTA with no request left answers IR7 of the chip, not in service', () => {
    init(0x20, 0x28);
    expect(pic.acknowledge()).toBe(0x27);
    expect(isr()).toBe(0);
  });

  it('auto-EOI (ICW4 bit 1): acknowledged requests never go in service', () => {
    init(0x20, 0x28, 0, 0, 3);
    pic.pulseIrq(3);
    expect(pic.acknowledge()).toBe(0x23);
    expect(isr()).toBe(0);
    pic.pulseIrq(5);
    expect(pic.pending()).toBe(true);
  });

  it('rotate on non-specific EOI makes the serviced level the lowest priority', () => {
    init();
    pic.pulseIrq(0);
    pic.acknowledge();
    bus.out8(0x20, 0xa0); // rotate on non-specific EOI
    pic.pulseIrq(0);
    pic.pulseIrq(7);
    expect(pic.acknowledge()).toBe(0x27); // IR1 is now highest: 7 comes before 0
  });

  it('poll mode: reading port A returns 0x80|level and acknowledges it', () => {
    init();
    pic.pulseIrq(5);
    bus.out8(0x20, 0x0c);
    expect(bus.in8(0x20)).toBe(0x85);
    expect(isr()).toBe(0x20);
    bus.out8(0x20, 0x0c);
    expect(bus.in8(0x20)).toBe(0);
  });

  it('ICW1 resets masks, in-service and pending state', () => {
    init();
    pic.pulseIrq(1);
    pic.acknowledge();
    pic.pulseIrq(3);
    init(0x40, 0x48);
    expect(isr()).toBe(0);
    expect(irr()).toBe(0);
    expect(pic.pending()).toBe(false);
    pic.pulseIrq(1);
    expect(pic.acknowledge()).toBe(0x41);
  });

  it('save/load reproduces the controller state', () => {
    init(0x20, 0x28, 0x10, 0);
    pic.pulseIrq(3);
    pic.pulseIrq(12);
    pic.acknowledge();
    const s = pic.save();
    const other = new PicPair(new PortBus(), () => {});
    other.load(structuredClone(s));
    expect(other.save()).toEqual(s);
    expect(other.pending()).toBe(pic.pending());
    expect(other.acknowledge()).toBe(pic.acknowledge());
  });
});

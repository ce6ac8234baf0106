import { beforeEach, describe, expect, it } from 'vitest';
import { PortBus } from '../../src/devices/port-bus.js';
import { Uart16550 } from '../../src/devices/uart16550.js';
import { ManualClock } from './helpers.js';

const B = 0x3f8;
let bus: PortBus;
let clock: ManualClock;
let uart: Uart16550;
let sent: number[];
let irq: boolean;

beforeEach(() => {
  bus = new PortBus();
  clock = new ManualClock();
  sent = [];
  irq = false;
  uart = new Uart16550(bus, B, clock, (b) => sent.push(b), (l) => (irq = l));
});
const iir = (): number => bus.in8(B + 2);

describe('Uart16550', () => {
  it('transmits THR bytes to the sink at once; LSR shows THR and transmitter empty', () => {
    bus.out8(B, 0x41);
    bus.out8(B, 0x42);
    expect(sent).toEqual([0x41, 0x42]);
    expect(bus.in8(B + 5) & 0x61).toBe(0x60);
  });

  it('DLAB switches ports 0 and 1 to the divisor latch; the divisor sets the character time', () => {
    bus.out8(B + 3, 0x80);
    bus.out8(B, 0x0c);
    bus.out8(B + 1, 0x00);
    bus.out8(B, 0x55); // a divisor write, not a transmit
    expect(sent).toEqual([]);
    expect(bus.in8(B)).toBe(0x55);
    bus.out8(B, 1);
    bus.out8(B + 3, 0x03);
    expect(uart.charNs()).toBeCloseTo(1e10 / 115200, 3);
    bus.out8(B + 1, 0x05);
    expect(bus.in8(B + 1)).toBe(0x05);
  });

  it('THR-empty interrupt: raised when enabled, cleared by reading IIR, raised again by the next transmit', () => {
    bus.out8(B + 1, 0x02);
    expect(irq).toBe(true);
    expect(iir() & 0x0f).toBe(0x02);
    expect(irq).toBe(false);
    expect(iir() & 0x0f).toBe(0x01);
    bus.out8(B, 0x20);
    expect(irq).toBe(true);
  });

  it('receives bytes from the machine: data ready, data interrupt, no room for a second byte without FIFO', () => {
    bus.out8(B + 1, 0x01);
    expect(uart.canReceive()).toBe(true);
    uart.receive(0x61);
    expect(irq).toBe(true);
    expect(iir() & 0x0f).toBe(0x04);
    expect(uart.canReceive()).toBe(false);
    expect(bus.in8(B + 5) & 1).toBe(1);
    expect(bus.in8(B)).toBe(0x61);
    expect(irq).toBe(false);
    expect(bus.in8(B + 5) & 1).toBe(0);
    expect(uart.canReceive()).toBe(true);
  });

  it('paces receive at the line rate: the next byte is due one character time after the last', () => {
    clock.t = 1000;
    uart.receive(1);
    expect(uart.rxReadyAt()).toBeCloseTo(1000 + uart.charNs(), 6);
  });

  it('FIFO: 16 bytes held, IIR shows FIFOs enabled, trigger level decides the data interrupt', () => {
    bus.out8(B + 2, 0x87); // enable, clear, trigger 8
    bus.out8(B + 1, 0x01);
    expect(iir() & 0xc0).toBe(0xc0);
    for (let i = 0; i < 7; i++) uart.receive(i);
    expect(irq).toBe(false);
    uart.receive(7);
    expect(irq).toBe(true);
    for (let i = 8; i < 16; i++) uart.receive(i);
    expect(uart.canReceive()).toBe(false);
    const got = [];
    while (bus.in8(B + 5) & 1) got.push(bus.in8(B));
    expect(got).toEqual([...Array(16).keys()]);
  });

  it('FIFO character timeout: a deadline 4 character times after the last byte, cleared by reading', () => {
    bus.out8(B + 2, 0xc7); // trigger 14
    bus.out8(B + 1, 0x01);
    clock.t = 5000;
    uart.receive(1);
    uart.receive(2);
    expect(irq).toBe(false);
    const due = uart.nextDeadline();
    expect(due).toBeCloseTo(5000 + 4 * uart.charNs(), 6);
    uart.onTimer(due - 1);
    expect(irq).toBe(false);
    uart.onTimer(due);
    expect(irq).toBe(true);
    expect(iir() & 0x0f).toBe(0x0c);
    bus.in8(B);
    expect(iir() & 0x0f).toBe(0x01);
  });

  it('loopback: transmit comes back to the receiver, not the sink; modem lines follow MCR; outside input is refused', () => {
    bus.out8(B + 4, 0x10);
    bus.out8(B, 0x5a);
    expect(sent).toEqual([]);
    expect(bus.in8(B)).toBe(0x5a);
    expect(uart.canReceive()).toBe(false);
    bus.out8(B + 4, 0x1f);
    expect(bus.in8(B + 6) >> 4).toBe(0x0f);
    bus.out8(B + 4, 0x12); // RTS -> CTS
    expect(bus.in8(B + 6) >> 4).toBe(0x01);
  });

  it('overrun: a byte with no room sets LSR.OE (cleared by reading LSR) and a line-status interrupt', () => {
    bus.out8(B + 4, 0x10);
    bus.out8(B + 1, 0x04);
    bus.out8(B, 1);
    bus.out8(B, 2);
    expect(iir() & 0x0f).toBe(0x06);
    expect(bus.in8(B + 5) & 3).toBe(3);
    expect(bus.in8(B + 5) & 2).toBe(0);
    expect(bus.in8(B)).toBe(1);
  });

  it('scratch register, and save/load', () => {
    bus.out8(B + 7, 0x99);
    expect(bus.in8(B + 7)).toBe(0x99);
    bus.out8(B + 2, 0x01);
    uart.receive(0x33);
    const s = uart.save();
    const other = new Uart16550(new PortBus(), B, clock, () => {}, () => {});
    other.load(structuredClone(s));
    expect(other.save()).toEqual(s);
  });
});

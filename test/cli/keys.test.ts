// PS/2 keystroke input (--keys): fixtures/keys.mb enables the keyboard and
// prints the scan codes it gets on IRQ 1 and the text they type; record logs
// the keys as events (format version 3) and replay --verify reproduces them.
import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { ensureBuilt, tempFiles, vmrr } from './helpers.js';
import { scanCodesOf, set2Of } from '../../src/machine/key-input.js';
import { PortBus } from '../../src/devices/port-bus.js';
import { I8042 } from '../../src/devices/i8042.js';

beforeAll(() => ensureBuilt(), 120_000);

const codes = (s: string) => [...s].flatMap((c) => scanCodesOf(c.charCodeAt(0)));
const scanLines = (s: string) => codes(s).map((c) => `scan=${c.toString(16).toUpperCase().padStart(8, '0')}`);

describe('key input', () => {
  it('bytes become set-1 make/break codes with Shift around shifted characters; set 2 is the keyboard\'s own', () => {
    expect(codes('a')).toEqual([0x1e, 0x9e]);
    expect(codes('A')).toEqual([0x2a, 0x1e, 0x9e, 0xaa]);
    expect(codes('\n')).toEqual([0x1c, 0x9c]);
    expect(codes('\x1b')).toEqual([0x01, 0x81]);
    expect(codes('\x07')).toEqual([]);
    expect(set2Of(0x1e)).toEqual([0x1c]);
    expect(set2Of(0x9e)).toEqual([0xf0, 0x1c]);
  });

  it('the i8042 sends set 2 without translation, set 1 with it, and only after the keyboard was enabled with 0xF4', () => {
    const bus = new PortBus();
    const kbc = new I8042(bus, () => {}, () => {});
    expect(kbc.canTakeKey()).toBe(false);
    bus.out8(0x60, 0xf4);
    expect(bus.in8(0x60)).toBe(0xfa);
    expect(kbc.canTakeKey()).toBe(true);
    bus.out8(0x64, 0x60);
    bus.out8(0x60, 0x01); // no translation
    kbc.key(0x9e);
    expect([bus.in8(0x60), bus.in8(0x60)]).toEqual([0xf0, 0x1c]);
    bus.out8(0x64, 0x60);
    bus.out8(0x60, 0x41); // XLATE
    kbc.key(0x9e);
    expect(bus.in8(0x60)).toBe(0x9e);
    bus.out8(0x60, 0xf5);
    bus.in8(0x60);
    expect(kbc.canTakeKey()).toBe(false);
    const k2 = new I8042(new PortBus(), () => {}, () => {});
    bus.out8(0x60, 0xf4);
    bus.in8(0x60);
    k2.load(kbc.save());
    expect(k2.canTakeKey()).toBe(true);
  });

  for (const clock of ['virtual', 'host']) {
    it(`run --keys with --clock ${clock}: every scan code arrives by IRQ 1 and the text comes out typed`, () => {
      const r = vmrr(['run', '--clock', clock, '--keys', 'fixtures/keys.in', 'fixtures/keys.mb']);
      expect(r.status, r.stderr).toBe(0);
      expect(r.stdout).toBe(['PASS keyboard acknowledges 0xF4', ...scanLines('Hi, vmrr!\n'), 'typed: Hi, vmrr!', '', 'DONE all passed', ''].join('\n'));
    });
  }

  it('without --keys the guest waits for good: reason halt (exit 4)', () => {
    const r = vmrr(['run', '--json', '--clock', 'virtual', 'fixtures/keys.mb']);
    expect(r.status).toBe(4);
    expect(JSON.parse(r.stdout)).toMatchObject({ reason: 'halt', halt: 'no-wake-source' });
  });

  it('record logs the keys as key events in a version 3 log; replay --verify is identical; a log without keys is version 3 too, as the serial events need', () => {
    const t = tempFiles({});
    const rec = vmrr(['record', '--json', '--keys', 'fixtures/keys.in', '--serial', t.path('out.txt'), '-o', t.path('k.vmrr'), 'fixtures/keys.mb']);
    expect(rec.status, rec.stderr).toBe(0);
    expect(readFileSync(t.path('out.txt'), 'latin1')).toContain('typed: Hi, vmrr!');
    expect(readFileSync(t.path('k.vmrr'))[8]).toBe(3);
    const rep = vmrr(['replay', '--verify', '--json', t.path('k.vmrr')]);
    expect(rep.status, rep.stderr).toBe(0);
    expect(JSON.parse(rep.stdout)).toMatchObject({ verdict: 'identical', reason: 'exit', exitValue: 1 });
    const ins = JSON.parse(vmrr(['inspect', '--json', t.path('k.vmrr')]).stdout);
    expect(ins.events.key.count).toBe(codes('Hi, vmrr!\n').length);
    const plain = vmrr(['record', '--json', '-o', t.path('p.vmrr'), 'fixtures/alu.mb']);
    expect(plain.status, plain.stderr).toBe(0);
    expect(readFileSync(t.path('p.vmrr'))[8]).toBe(3);
  });

  it('--keys with a missing file is a usage error (exit 2, one line); ft-check refuses --keys with a remote secondary', () => {
    const r = vmrr(['run', '--keys', '/nonexistent/keys', 'fixtures/keys.mb']);
    expect(r.status).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/--keys: cannot read \/nonexistent\/keys/);
    const f = vmrr(['ft-check', '--keys', 'fixtures/keys.in', '--secondary', 'spawn', 'fixtures/keys.mb']);
    expect(f.status).toBe(2);
    expect(f.stderr.trim().split('\n')).toHaveLength(1);
    expect(f.stderr).toMatch(/--keys/);
  });
});

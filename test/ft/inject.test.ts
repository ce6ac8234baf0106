// --inject and --loose parsing: every form, and one clear line for each bad spec.

import { describe, expect, it } from 'vitest';
import { parseInjection, parseLoose } from '../../src/ft/inject.js';

describe('parseInjection', () => {
  it('reads register, memory and drop faults', () => {
    expect(parseInjection('reg:ebx:0x10@2000000')).toMatchObject({ kind: 'reg', reg: 'ebx', mask: 0x10, icount: 2_000_000 });
    expect(parseInjection('reg:EIP:4@1_000')).toMatchObject({ kind: 'reg', reg: 'eip', mask: 4, icount: 1000 });
    expect(parseInjection('mem:0x100100:0x80@5')).toMatchObject({ kind: 'mem', addr: 0x100100, mask: 0x80, icount: 5 });
    expect(parseInjection('drop:rdtsc@3')).toMatchObject({ kind: 'drop', what: 'rdtsc', n: 3 });
    expect(parseInjection('drop:timer@1')).toMatchObject({ kind: 'drop', what: 'timer', n: 1 });
  });

  it.each([
    ['reg:ebx:0x10', /no '@'/],
    ['reg:xyz:1@5', /unknown register 'xyz'/],
    ['reg:ebx:0@5', /XORMASK 0 is not from 1/],
    ['reg:ebx@5', /reg needs NAME:XORMASK/],
    ['mem:0x10:0x100@5', /XORMASK 0x100 is not from 1 to 255/],
    ['mem:zz:1@5', /PHYSADDR 'zz' is not a number/],
    ['drop:keyboard@1', /unknown kind 'keyboard'/],
    ['drop:rdtsc@0', /N 0 is not from 1/],
    ['flip:eax@1', /unknown fault 'flip'/],
    ['reg:eax:1@-3', /ICOUNT '-3' is not a number/],
  ])('%s is refused with one line naming the problem', (spec, why) => {
    let msg = '';
    try {
      parseInjection(spec);
    } catch (e) {
      msg = (e as Error).message;
    }
    expect(msg).toMatch(why);
    expect(msg).toMatch(/^--inject: /);
    expect(msg).not.toContain('\n');
  });
});

describe('parseLoose', () => {
  it('takes a comma list of rdtsc, rdrand and timer', () => {
    expect(parseLoose('rdtsc')).toEqual(['rdtsc']);
    expect(parseLoose('rdtsc, RDRAND,timer,rdtsc')).toEqual(['rdtsc', 'rdrand', 'timer']);
    expect(() => parseLoose('rdtsc,disk')).toThrow(/--loose: 'disk' is not one of/);
    expect(() => parseLoose(',')).toThrow(/no source/);
  });
});

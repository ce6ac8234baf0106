// Focused checks of task switches and call gates that the fixtures do not
// reach: an exception through a task gate pushing its error code onto the new
// task's stack, a 16-bit TSS, a #TS raised after the commit point (delivered in
// the new task), a 286 call gate raising privilege with word parameters, and
// CALL to a TSS with IRET back. Each guest is a few hand-assembled bytes
// (NASM source beside them) in a flat 32-bit machine with a GDT built here.

import { describe, it, expect } from 'vitest';
import { Machine } from '../../src/machine/machine.js';
import { HostInputSource } from '../../src/replay/input-source.js';
import { CS, DS, FS, GS, SS, ESP, EAX, EBX } from '../../src/cpu/cpu.js';

const GDT = 0x1000, IDT = 0x2000, TSS_A = 0x3000, TSS_B = 0x3100, TSS_C = 0x3200;
const SEL_TSS_A = 0x18, SEL_TSS_B = 0x20, SEL_TSS_C = 0x28;

const hex = (s: string): Uint8Array => Uint8Array.from(s.match(/../g)!.map((b) => parseInt(b, 16)));

class Guest {
  readonly m = new Machine({ ramBytes: 4 << 20, input: new HostInputSource() });
  readonly view = new DataView(this.m.mem.ram.buffer);
  w8(a: number, v: number): void { this.view.setUint8(a, v); }
  w16(a: number, v: number): void { this.view.setUint16(a, v, true); }
  w32(a: number, v: number): void { this.view.setUint32(a, v >>> 0, true); }
  r8(a: number): number { return this.view.getUint8(a); }
  r16(a: number): number { return this.view.getUint16(a, true); }
  r32(a: number): number { return this.view.getUint32(a, true); }

  seg(sel: number, base: number, limit: number, access: number, flags: number): void {
    const a = GDT + (sel & ~7);
    this.w16(a, limit & 0xffff);
    this.w16(a + 2, base & 0xffff);
    this.w8(a + 4, (base >>> 16) & 0xff);
    this.w8(a + 5, access);
    this.w8(a + 6, ((limit >>> 16) & 0xf) | flags);
    this.w8(a + 7, base >>> 24);
  }
  gate(addr: number, sel: number, offset: number, access: number, params = 0): void {
    this.w16(addr, offset & 0xffff);
    this.w16(addr + 2, sel);
    this.w8(addr + 4, params);
    this.w8(addr + 5, access);
    this.w16(addr + 6, offset >>> 16);
  }
  tss32(base: number, eip: number, esp: number, segs: number[]): void {
    this.w32(base + 0x20, eip);
    this.w32(base + 0x24, 2);
    this.w32(base + 0x38, esp);
    for (let s = 0; s < 6; s++) this.w16(base + 0x48 + 4 * s, segs[s]);
  }

  constructor(code: string) {
    this.seg(0x08, 0, 0xfffff, 0x9a, 0xc0);
    this.seg(0x10, 0, 0xfffff, 0x92, 0xc0);
    this.seg(SEL_TSS_A, TSS_A, 0x67, 0x89, 0);
    this.seg(SEL_TSS_B, TSS_B, 0x67, 0x89, 0);
    this.seg(SEL_TSS_C, TSS_C, 0x2b, 0x81, 0); // 16-bit TSS
    this.seg(0x30, 0, 0xffff, 0x9a, 0); // 16-bit code
    this.seg(0x38, 0, 0xffff, 0x92, 0); // 16-bit data
    this.seg(0x40, 0, 0xfffff, 0xfa, 0xc0); // ring-3 code
    this.seg(0x48, 0, 0xfffff, 0xf2, 0xc0); // ring-3 data
    this.gate(GDT + 0x50, 0x30, 0x900, 0xe4, 2); // 286 call gate, DPL 3, 2 word parameters
    this.w32(TSS_A + 4, 0x7000); // ESP0
    this.w32(TSS_A + 8, 0x10); // SS0
    this.m.load({
      kind: 'multiboot',
      segments: [{ addr: 0x10000, data: hex(code) }],
      entry: {
        mode: 'flat32', eip: 0x10000, eax: 0, ebx: 0, esp: 0x7000, eflags: 2, cr0: 1, cs: 8, ds: 0x10,
        gdtr: { base: GDT, limit: 0x57 }, idtr: { base: IDT, limit: 0x7ff },
      },
      warnings: [],
    });
  }

  run(): string {
    return this.m.run(10_000).reason;
  }
}

describe('task switches', () => {
  it('#GP through a task gate: switches task, links back, pushes the error code on the new stack', () => {
    // mov ax,0x18 / ltr ax / mov ax,0x98 / mov ds,ax (beyond the GDT: #GP(0x98)) / hlt
    const g = new Guest('66b818000f00d866b898008ed8f4');
    g.gate(IDT + 13 * 8, SEL_TSS_B, 0, 0x85);
    g.tss32(TSS_B, 0x11000, 0x9000, [0x10, 8, 0x10, 0x10, 0x10, 0x10]);
    g.w8(0x11000, 0xf4);
    expect(g.run()).toBe('halt');
    const c = g.m.cpu;
    expect(c.trSel).toBe(SEL_TSS_B);
    expect(c.eip).toBe(0x11001);
    expect(c.regs[ESP]).toBe(0x9000 - 4);
    expect(g.r32(0x9000 - 4)).toBe(0x98);
    expect(g.r16(TSS_B)).toBe(SEL_TSS_A); // back link
    expect(c.getEflags() & 0x4000).toBe(0x4000); // NT
    expect(g.r32(TSS_A + 0x20)).toBe(0x1000b); // the faulting MOV DS restarts on return
    expect(g.r32(TSS_A + 0x28) & 0xffff).toBe(0x98);
    expect(g.r8(GDT + SEL_TSS_A + 5)).toBe(0x8b); // the interrupted task stays busy
    expect(g.r8(GDT + SEL_TSS_B + 5)).toBe(0x8b);
    expect(c.cr0 & 8).toBe(8);
  });

  it('JMP to a 16-bit TSS: upper register halves read as ones, FS/GS null, old task not busy', () => {
    // mov ax,0x18 / ltr ax / jmp 0x28:0
    const g = new Guest('66b818000f00d8ea000000002800');
    const t = TSS_C;
    g.w16(t + 0x0e, 0x800); g.w16(t + 0x10, 2); g.w16(t + 0x12, 0x1234); g.w16(t + 0x1a, 0x7000);
    g.w16(t + 0x22, 0x38); g.w16(t + 0x24, 0x30); g.w16(t + 0x26, 0x38); g.w16(t + 0x28, 0x38);
    g.w8(0x800, 0xf4);
    g.m.cpu.sreg[FS] = 0x10;
    expect(g.run()).toBe('halt');
    const c = g.m.cpu;
    expect(c.trSel).toBe(SEL_TSS_C);
    expect(c.sreg[CS]).toBe(0x30);
    expect(c.csD).toBe(false);
    expect(c.eip).toBe(0x801);
    expect(c.regs[EAX] >>> 0).toBe(0xffff1234);
    expect([c.sreg[FS], c.sreg[GS]]).toEqual([0, 0]);
    expect(g.r8(GDT + SEL_TSS_A + 5)).toBe(0x89);
    expect(g.r8(GDT + SEL_TSS_C + 5)).toBe(0x83);
    expect(g.r32(TSS_A + 0x20)).toBe(0x1000e);
  });

  it('a bad data segment in the new TSS raises #TS after the commit point, in the new task', () => {
    // mov ax,0x18 / ltr ax / jmp 0x20:0
    const g = new Guest('66b818000f00d8ea000000002000');
    g.tss32(TSS_B, 0x11000, 0x9000, [0x10, 8, 0x10, SEL_TSS_A, 0x10, 0x10]); // DS = a TSS descriptor
    g.gate(IDT + 10 * 8, 8, 0x11100, 0x8e);
    g.w8(0x11100, 0xf4);
    expect(g.run()).toBe('halt');
    const c = g.m.cpu;
    expect(c.trSel).toBe(SEL_TSS_B);
    expect(c.eip).toBe(0x11101);
    expect(c.sreg[SS]).toBe(0x10);
    const sp = c.regs[ESP];
    expect(sp).toBe(0x9000 - 16);
    expect([g.r32(sp), g.r32(sp + 4), g.r32(sp + 8) & 0xffff]).toEqual([SEL_TSS_A, 0x11000, 8]);
    expect(c.sreg[DS]).toBe(SEL_TSS_A);
  });

  it('CALL to a TSS and IRET back: back link, busy bits, NT cleared in the saved image', () => {
    // mov ax,0x18 / ltr ax / call 0x20:0 / mov ebx,0x600d / hlt
    const g = new Guest('66b818000f00d89a000000002000bb0d600000f4');
    g.tss32(TSS_B, 0x11200, 0x9000, [0x10, 8, 0x10, 0x10, 0x10, 0x10]);
    g.w8(0x11200, 0xcf); // iretd
    expect(g.run()).toBe('halt');
    const c = g.m.cpu;
    expect(c.regs[EBX]).toBe(0x600d);
    expect(c.trSel).toBe(SEL_TSS_A);
    expect(g.r16(TSS_B)).toBe(SEL_TSS_A);
    expect(g.r8(GDT + SEL_TSS_A + 5)).toBe(0x8b);
    expect(g.r8(GDT + SEL_TSS_B + 5)).toBe(0x89);
    expect(c.getEflags() & 0x4000).toBe(0);
    expect(g.r32(TSS_B + 0x24) & 0x4000).toBe(0);
    expect(g.r32(TSS_B + 0x20)).toBe(0x11201);
  });
});

describe('task switches into V86', () => {
  it('a TSS with EFLAGS.VM enters V86 at CPL 3; its #GP goes to ring 0 on the TSS ESP0 stack', () => {
    // mov ax,0x18 / ltr ax / jmp 0x20:0
    const g = new Guest('66b818000f00d8ea000000002000');
    g.tss32(TSS_B, 0, 0x800, [0x2000, 0x1100, 0x3000, 0x4000, 0x5000, 0x6000]);
    g.w32(TSS_B + 0x24, 0x20002); // VM, IOPL 0
    g.w32(TSS_B + 4, 0xa000); // ESP0
    g.w32(TSS_B + 8, 0x10); // SS0
    g.w8(0x11000, 0xf4); // HLT at 1100:0000 traps: #GP(0)
    g.gate(IDT + 13 * 8, 8, 0x11100, 0x8e);
    g.w8(0x11100, 0xf4);
    expect(g.run()).toBe('halt');
    const c = g.m.cpu;
    expect(c.cpl).toBe(0);
    expect(c.eip).toBe(0x11101);
    const sp = c.regs[ESP];
    expect(sp).toBe(0xa000 - 40);
    const frame = Array.from({ length: 10 }, (_, k) => g.r32(sp + 4 * k));
    // error code, EIP, CS, EFLAGS, ESP, SS, ES, DS, FS, GS
    expect(frame).toEqual([0, 0, 0x1100, 0x20002, 0x800, 0x3000, 0x2000, 0x4000, 0x5000, 0x6000]);
    expect([c.sreg[DS], c.sreg[FS], c.sreg[GS]]).toEqual([0, 0, 0]);
  });
});

describe('call gates', () => {
  it('a 286 gate from ring 3 switches to the TSS ring-0 stack and copies word parameters', () => {
    // ltr; iretd to 0x43:user with SS:ESP 0x4b:0x8000; user: push word 0x1111 / push word 0x2222 / call 0x53:0
    const g = new Guest('66b818000f00d86a4b68008000006a026a436818000100cf66681111666822229a000000005300f4');
    g.w8(0x900, 0xf4);
    expect(g.run()).toBe('halt');
    const c = g.m.cpu;
    expect(c.cpl).toBe(0);
    expect(c.sreg[CS]).toBe(0x30);
    expect(c.eip).toBe(0x901);
    expect(c.sreg[SS]).toBe(0x10);
    expect(c.regs[ESP]).toBe(0x7000 - 12);
    const words = [0, 2, 4, 6, 8, 10].map((o) => g.r16(0x7000 - 12 + o));
    // IP, CS, parameter 1, parameter 2, caller SP, caller SS
    expect(words).toEqual([0x0027, 0x43, 0x2222, 0x1111, 0x7ffc, 0x4b]);
  });
});

// The register file gdb sees, in the order of the target description and of
// the `g` packet: the i386 core feature (general, segment, x87 registers; gdb
// 13 rejects an i386 core feature without the 16 x87 ones), then CR0/2/3/4 in
// a system feature of vmrr's own (gdb shows registers of unknown features
// as they are described). The x87 registers come from cpu.fpu (zero when
// the FPU is absent) and are read-only.

export interface RegisterSpec {
  name: string;
  bits: 32 | 80;
  type: string;
  group?: string;
}

const GPR = ['eax', 'ecx', 'edx', 'ebx', 'esp', 'ebp', 'esi', 'edi'];
const SEG = ['cs', 'ss', 'ds', 'es', 'fs', 'gs'];
const X87_CTRL = ['fctrl', 'fstat', 'ftag', 'fiseg', 'fioff', 'foseg', 'fooff', 'fop'];

export const CORE_REGISTERS: readonly RegisterSpec[] = [
  ...GPR.map((name) => ({ name, bits: 32 as const, type: name === 'esp' || name === 'ebp' ? 'data_ptr' : 'int32' })),
  { name: 'eip', bits: 32, type: 'code_ptr' },
  { name: 'eflags', bits: 32, type: 'i386_eflags' },
  ...SEG.map((name) => ({ name, bits: 32 as const, type: 'int32' })),
  ...[0, 1, 2, 3, 4, 5, 6, 7].map((i) => ({ name: `st${i}`, bits: 80 as const, type: 'i387_ext', group: 'float' })),
  ...X87_CTRL.map((name) => ({ name, bits: 32 as const, type: 'int', group: 'float' })),
];

export const SYSTEM_REGISTERS: readonly RegisterSpec[] = ['cr0', 'cr2', 'cr3', 'cr4'].map((name) => ({ name, bits: 32 as const, type: 'int32', group: 'system' }));

export const REGISTERS: readonly RegisterSpec[] = [...CORE_REGISTERS, ...SYSTEM_REGISTERS];

/** gdb register numbers. */
export const REG_EIP = 8;
export const REG_EFLAGS = 9;
export const REG_SEG0 = 10;
export const REG_ST0 = 16;
export const REG_X87_CTRL0 = 24;
export const REG_CR0 = 32;

export const isX87 = (n: number): boolean => n >= REG_ST0 && n < REG_CR0;

const EFLAGS_TYPE = `<flags id="i386_eflags" size="4">
  <field name="" start="22" end="31"/><field name="CF" start="0" end="0"/><field name="" start="1" end="1"/>
  <field name="PF" start="2" end="2"/><field name="AF" start="4" end="4"/><field name="ZF" start="6" end="6"/>
  <field name="SF" start="7" end="7"/><field name="TF" start="8" end="8"/><field name="IF" start="9" end="9"/>
  <field name="DF" start="10" end="10"/><field name="OF" start="11" end="11"/><field name="NT" start="14" end="14"/>
  <field name="RF" start="16" end="16"/><field name="VM" start="17" end="17"/><field name="AC" start="18" end="18"/>
  <field name="VIF" start="19" end="19"/><field name="VIP" start="20" end="20"/><field name="ID" start="21" end="21"/>
</flags>`;

function regXml(r: RegisterSpec, regnum: number): string {
  const group = r.group ? ` group="${r.group}"` : '';
  return `<reg name="${r.name}" bitsize="${r.bits}" type="${r.type}" regnum="${regnum}"${group}/>`;
}

/** The target description gdb reads with qXfer:features:read:target.xml. */
export function targetXml(): string {
  const core = CORE_REGISTERS.map((r, i) => regXml(r, i)).join('\n');
  const sys = SYSTEM_REGISTERS.map((r, i) => regXml(r, CORE_REGISTERS.length + i)).join('\n');
  return `<?xml version="1.0"?>
<!DOCTYPE target SYSTEM "gdb-target.dtd">
<target version="1.0">
<architecture>i386</architecture>
<feature name="org.gnu.gdb.i386.core">
${EFLAGS_TYPE}
${core}
</feature>
<feature name="org.vmrr.i386.system">
${sys}
</feature>
</target>
`;
}

// The model-specific registers besides the TSC that a family-6 kernel
// (Linux's 686 build) reads or writes, each with its reset value and the
// bits a WRMSR may change. Any other index raises #GP(0), as the manuals
// say and QEMU does. Values are 64-bit, kept as [low, high] dword pairs.
// CPUID (ops/system.ts) announces none of APIC, MTRR, SEP or PAT, so a
// kernel that trusts CPUID leaves these alone; they exist so that the ones
// that probe anyway (microcode revision, MISC_ENABLE) find what a CPU gives.

interface MsrSpec {
  index: number;
  reset: [number, number];
  /** Bits WRMSR changes; the others keep their value. */
  wmask: [number, number];
}

export const MSR_SPECS: readonly MsrSpec[] = [
  { index: 0x17, reset: [0, 0], wmask: [0, 0] }, // IA32_PLATFORM_ID
  // IA32_APIC_BASE: BSP, base 0xFEE00000, global enable clear (CPUID has no APIC); enable cannot be set.
  { index: 0x1b, reset: [0xfee00100, 0], wmask: [0, 0] },
  { index: 0x8b, reset: [0, 0], wmask: [0, 0] }, // IA32_BIOS_SIGN_ID: microcode revision 0; writes (the "trigger") kept out
  { index: 0xfe, reset: [0, 0], wmask: [0, 0] }, // IA32_MTRRCAP: no variable or fixed ranges
  { index: 0x174, reset: [0, 0], wmask: [0xffff, 0] }, // IA32_SYSENTER_CS
  { index: 0x175, reset: [0, 0], wmask: [0xffffffff, 0] }, // IA32_SYSENTER_ESP
  { index: 0x176, reset: [0, 0], wmask: [0xffffffff, 0] }, // IA32_SYSENTER_EIP
  { index: 0x1a0, reset: [1, 0], wmask: [1, 0] }, // IA32_MISC_ENABLE: fast strings, as QEMU's reset value
  { index: 0x277, reset: [0x00070406, 0x00070406], wmask: [0x07070707, 0x07070707] }, // IA32_PAT
  { index: 0x2ff, reset: [0, 0], wmask: [0xcff, 0] }, // IA32_MTRR_DEF_TYPE
];

const SLOT = new Map(MSR_SPECS.map((s, i) => [s.index, i]));

export class MsrFile {
  /** [low, high] per MSR_SPECS entry. */
  readonly values = new Uint32Array(MSR_SPECS.length * 2);

  constructor() {
    this.reset();
  }

  reset(): void {
    MSR_SPECS.forEach((s, i) => this.values.set(s.reset, i * 2));
  }

  has(index: number): boolean {
    return SLOT.has(index >>> 0);
  }

  /** [low, high], or null for an MSR this CPU does not have (#GP). */
  read(index: number): [number, number] | null {
    const i = SLOT.get(index >>> 0);
    return i === undefined ? null : [this.values[i * 2], this.values[i * 2 + 1]];
  }

  /** False for an MSR this CPU does not have (#GP). */
  write(index: number, lo: number, hi: number): boolean {
    const i = SLOT.get(index >>> 0);
    if (i === undefined) return false;
    const m = MSR_SPECS[i].wmask;
    this.values[i * 2] = (this.values[i * 2] & ~m[0]) | (lo & m[0]);
    this.values[i * 2 + 1] = (this.values[i * 2 + 1] & ~m[1]) | (hi & m[1]);
    return true;
  }
}

// Per-instruction state of the disassembler: the byte cursor, the sizes in
// force and which prefixes an operand consumed. objdump prints every prefix
// no operand used, so the formatters record what they consume here.

/** Thrown when the instruction runs past the end of the bytes given. */
export const TRUNCATED: unique symbol = Symbol('truncated');

export class DisasmState {
  bytes: Uint8Array = new Uint8Array(0);
  start = 0;
  pos = 0;
  /** Address of the first byte (for branch targets). */
  addr = 0;
  mode32 = true;
  o32 = true;
  a32 = true;
  /** Segment override (0-5, ES..GS) or -1. */
  seg = -1;
  /** A data-size prefix was present (decides the w/d mnemonic suffixes). */
  dataPrefix = false;
  /** Index in the prefix list of the last prefix of each kind, or -1. */
  lastSeg = -1;
  lastData = -1;
  lastAddr = -1;
  lastRepz = -1;
  lastRepnz = -1;
  lastLock = -1;
  /** objdump's names for prefixes it reads as hints (rep, bnd, xacquire, ...) by index; '' hides one folded into the mnemonic. */
  names = new Map<number, string>();
  usedData = false;
  usedAddr = false;
  usedSeg = false;
  usedLock = false;
  mod = 0;
  reg = 0;
  rm = 0;

  u8(): number {
    if (this.pos >= this.bytes.length) throw TRUNCATED;
    return this.bytes[this.pos++];
  }
  s8(): number {
    return (this.u8() << 24) >> 24;
  }
  u16(): number {
    return this.u8() | (this.u8() << 8);
  }
  s16(): number {
    return (this.u16() << 16) >> 16;
  }
  s32(): number {
    return this.u8() | (this.u8() << 8) | (this.u8() << 16) | (this.u8() << 24);
  }
  rename(index: number, name: string): void {
    if (index >= 0) this.names.set(index, name);
  }
  /** Bytes consumed so far. */
  get len(): number {
    return this.pos - this.start;
  }
}

// Number spellings shared by reports and error messages.

/** 0x-prefixed, 8 lowercase hex digits, the value taken as unsigned 32-bit: "0x0010002a". */
export function hex32(v: number): string {
  return '0x' + (v >>> 0).toString(16).padStart(8, '0');
}

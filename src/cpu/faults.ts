// Raising exceptions. An exception abandons the current instruction by
// throwing the FAULT sentinel; the run loop restores EIP and delivers it.

import { FAULT, type Cpu } from './cpu.js';

export const V_DE = 0, V_DB = 1, V_NMI = 2, V_BP = 3, V_OF = 4, V_BR = 5, V_UD = 6, V_NM = 7;
export const V_DF = 8, V_TS = 10, V_NP = 11, V_SS = 12, V_GP = 13, V_PF = 14, V_MF = 16, V_AC = 17;

export const EXCEPTION_NAMES: Record<number, string> = {
  0: '#DE', 1: '#DB', 2: 'NMI', 3: '#BP', 4: '#OF', 5: '#BR', 6: '#UD', 7: '#NM', 8: '#DF',
  10: '#TS', 11: '#NP', 12: '#SS', 13: '#GP', 14: '#PF', 16: '#MF', 17: '#AC',
};

export function raise(cpu: Cpu, vector: number, code = -1): never {
  cpu.fault.vector = vector;
  cpu.fault.code = code;
  throw FAULT;
}

export const ud = (cpu: Cpu): never => raise(cpu, V_UD);
export const gp = (cpu: Cpu, code = 0): never => raise(cpu, V_GP, code & 0xffff);
export const ss = (cpu: Cpu, code = 0): never => raise(cpu, V_SS, code & 0xffff);
export const np = (cpu: Cpu, code: number): never => raise(cpu, V_NP, code & 0xffff);
export const ts = (cpu: Cpu, code: number): never => raise(cpu, V_TS, code & 0xffff);
export const de = (cpu: Cpu): never => raise(cpu, V_DE);

/** Do exceptions of this vector push an error code (in protected mode)? */
export function hasErrorCode(vector: number): boolean {
  return vector === 8 || (vector >= 10 && vector <= 14) || vector === 17;
}

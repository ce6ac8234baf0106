// CLC STC CMC CLD STD (CLI/STI are privileged and live with the system ops).

import { HandlerTable } from '../handler-table.js';
import { CF, DF, getCF, materialize } from '../flags.js';

/** The flag handlers (assembled with the other tables by dispatch.ts). */
export const FLAG_HANDLERS = new HandlerTable('flag');
const { def } = FLAG_HANDLERS;

def(0xf8, (cpu) => { materialize(cpu); cpu.flags &= ~CF; });
def(0xf9, (cpu) => { materialize(cpu); cpu.flags |= CF; });
def(0xf5, (cpu) => { const c = getCF(cpu); materialize(cpu); cpu.flags = (cpu.flags & ~CF) | (c ^ 1); });
def(0xfc, (cpu) => { cpu.flags &= ~DF; });
def(0xfd, (cpu) => { cpu.flags |= DF; });

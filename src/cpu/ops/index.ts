// Loads every instruction group so its handlers register in the opcode table.
import './alu.js';
import './shift.js';
import './muldiv.js';
import './move.js';
import './control.js';
import './stack-ops.js';
import './string.js';
import './bit.js';
import './bcd.js';
import './flag-ops.js';
import './system.js';
import './descriptors.js';
import './far.js';
import './system-segments.js';
import './selector-checks.js';
import './fast-paths.js';

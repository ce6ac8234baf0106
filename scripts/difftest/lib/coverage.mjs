// Opcode coverage of a generated kernel, from the NASM listing: which
// opcodes (with the ModRM /digit for group opcodes) the tested instructions
// use, against the integer instruction set the harness is meant to cover.

const PREFIXES = new Set([0x26, 0x2e, 0x36, 0x3e, 0x64, 0x65, 0x66, 0x67, 0xf0, 0xf2, 0xf3]);
const GROUP1 = new Set([0x80, 0x81, 0x82, 0x83, 0x8f, 0xc0, 0xc1, 0xc6, 0xc7, 0xd0, 0xd1, 0xd2, 0xd3, 0xf6, 0xf7, 0xfe, 0xff]);
const GROUP2 = new Set([0xba, 0xc7, 0x00, 0x01]);

const h2 = (x) => x.toString(16).padStart(2, '0');

/** Opcode key of one instruction's bytes, e.g. "01", "81/7", "0f af", "0f ba/5". */
export function opcodeKey(bytes) {
  let i = 0;
  while (i < bytes.length && PREFIXES.has(bytes[i])) i++;
  if (i >= bytes.length) return null;
  const op = bytes[i];
  if (op === 0x0f) {
    const op2 = bytes[i + 1];
    if (op2 === undefined) return null;
    if (GROUP2.has(op2)) return `0f ${h2(op2)}/${(bytes[i + 2] >> 3) & 7}`;
    return `0f ${h2(op2)}`;
  }
  if (GROUP1.has(op)) return `${h2(op)}/${(bytes[i + 1] >> 3) & 7}`;
  return h2(op);
}

/** Tested instructions' bytes from a NASM listing (between bN_t: and bN_e:). */
export function testedInstructions(listing) {
  const out = [];
  let inside = false;
  let cur = null;
  let pendingPrefix = [];
  for (const line of listing.split('\n')) {
    const m = /^\s*\d+\s+(?:([0-9A-F]{8})\s+)?([0-9A-F]+(?:-)?)?\s*(.*)$/.exec(line);
    if (!m) continue;
    const src = m[3] ?? '';
    if (/^b\d+_t:/.test(src)) { inside = true; continue; }
    if (/^b\d+_e:/.test(src)) { inside = false; continue; }
    if (!inside || !m[2]) continue;
    const cont = m[2].endsWith('-');
    const hex = m[2].replace('-', '');
    const bytes = hex.match(/../g).map((x) => parseInt(x, 16));
    if (cur && cur.cont) {
      cur.bytes.push(...bytes);
      cur.cont = cont;
      continue;
    }
    if (bytes.every((x) => PREFIXES.has(x)) && /^db\b/i.test(src.trim())) {
      pendingPrefix.push(...bytes);
      continue;
    }
    cur = { bytes: [...pendingPrefix, ...bytes], cont };
    pendingPrefix = [];
    out.push(cur);
  }
  return out.map((c) => c.bytes);
}

function range(a, b) {
  const r = [];
  for (let i = a; i <= b; i++) r.push(i);
  return r;
}

/** The integer opcodes the harness should exercise. */
export function expectedOpcodes() {
  const k = new Set();
  for (let a = 0; a < 8; a++) for (let j = 0; j < 6; j++) k.add(h2(a * 8 + j));
  for (const x of [0x06, 0x07, 0x0e, 0x16, 0x17, 0x1e, 0x1f, 0x27, 0x2f, 0x37, 0x3f]) k.add(h2(x));
  for (const x of [...range(0x40, 0x62), 0x68, 0x69, 0x6a, 0x6b, ...range(0x70, 0x7f)]) k.add(h2(x));
  for (const g of [0x80, 0x81, 0x82, 0x83]) for (let r = 0; r < 8; r++) k.add(`${h2(g)}/${r}`);
  for (const x of [...range(0x84, 0x8e), ...range(0x90, 0x9a), ...range(0x9c, 0xbf)]) k.add(h2(x));
  k.add('8f/0');
  for (const g of [0xc0, 0xc1, 0xd0, 0xd1, 0xd2, 0xd3]) for (const r of [0, 1, 2, 3, 4, 5, 7]) k.add(`${h2(g)}/${r}`);
  for (const x of [0xc2, 0xc3, 0xc4, 0xc5, ...range(0xc8, 0xcf), 0xd4, 0xd5, 0xd7, ...range(0xe0, 0xe3), ...range(0xe8, 0xeb),
    0xf5, 0xf8, 0xf9, 0xfa, 0xfc, 0xfd]) k.add(h2(x));
  k.add('c6/0'); k.add('c7/0');
  for (const g of [0xf6, 0xf7]) for (const r of [0, 2, 3, 4, 5, 6, 7]) k.add(`${h2(g)}/${r}`);
  k.add('fe/0'); k.add('fe/1');
  for (let r = 0; r <= 6; r++) k.add(`ff/${r}`);
  k.add('0f 0b');
  for (const x of [...range(0x40, 0x4f), ...range(0x80, 0x9f), 0xa0, 0xa1, 0xa3, 0xa4, 0xa5, 0xa8, 0xa9, 0xab, 0xac, 0xad,
    0xaf, ...range(0xb0, 0xb7), 0xbb, 0xbc, 0xbd, 0xbe, 0xbf, 0xc0, 0xc1, ...range(0xc8, 0xcf)]) k.add(`0f ${h2(x)}`);
  for (const r of [4, 5, 6, 7]) k.add(`0f ba/${r}`);
  k.add('0f c7/1');
  return k;
}

/** { counts: Map(key -> n), missing: [keys], extra: [keys] } */
export function coverage(listing) {
  const counts = new Map();
  const prefixes = new Map();
  for (const bytes of testedInstructions(listing)) {
    const key = opcodeKey(bytes);
    if (key) counts.set(key, (counts.get(key) ?? 0) + 1);
    for (const b of bytes) {
      if (!PREFIXES.has(b)) break;
      prefixes.set(h2(b), (prefixes.get(h2(b)) ?? 0) + 1);
    }
  }
  const exp = expectedOpcodes();
  const missing = [...exp].filter((x) => !counts.has(x)).sort();
  const extra = [...counts.keys()].filter((x) => !exp.has(x)).sort();
  return { counts, prefixes, missing, extra, expected: exp.size };
}

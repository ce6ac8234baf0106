// GDB packet framing: checksums, escapes, run-length decoding, acks and
// Ctrl-C arriving in arbitrary chunks, as a real client sends them.

import { describe, it, expect } from 'vitest';
import {
  checksum, escapeBinary, unescapeBinary, framePacket, PacketReader,
} from '../../src/gdb/packet.js';

const bytes = (s: string) => Buffer.from(s, 'latin1');
const text = (b: Uint8Array) => Buffer.from(b).toString('latin1');

describe('gdb packet framing', () => {
  it('checksum of a known packet matches gdb\'s (qSupported -> 0x37)', () => {
    expect(checksum(bytes('qSupported'))).toBe(0x37);
    expect(text(framePacket('OK'))).toBe('$OK#9a');
  });

  it('escapes $ # } * and round-trips every byte value', () => {
    expect(text(escapeBinary(bytes('a$#}*b')))).toBe('a}\x04}\x03}]}\nb');
    const all = Uint8Array.from({ length: 256 }, (_, i) => i);
    expect(Array.from(unescapeBinary(escapeBinary(all)))).toEqual(Array.from(all));
  });

  it('reader decodes a packet split across chunks, with acks and Ctrl-C between', () => {
    const r = new PacketReader();
    const framed = text(framePacket('m1000,4'));
    const events = [
      ...r.feed(bytes('+' + framed.slice(0, 3))),
      ...r.feed(bytes(framed.slice(3) + '\x03-')),
    ];
    expect(events.map((e) => e.kind)).toEqual(['ack', 'packet', 'interrupt', 'nak']);
    const pkt = events[1];
    expect(pkt.kind === 'packet' && text(pkt.payload)).toBe('m1000,4');
  });

  it('reader reports a wrong checksum instead of a packet', () => {
    const events = new PacketReader().feed(bytes('$OK#00'));
    expect(events).toEqual([{ kind: 'bad-checksum' }]);
  });

  it('reader expands run-length encoding ("0* " -> four zeros)', () => {
    // '*' followed by ' ' (32) repeats the previous byte 32 - 29 = 3 times.
    const body = bytes('0* ');
    const cs = checksum(body).toString(16).padStart(2, '0');
    const [ev] = new PacketReader().feed(bytes(`$0* #${cs}`));
    expect(ev.kind === 'packet' && text(ev.payload)).toBe('0000');
  });

  it('binary X payload with escaped bytes decodes to the original data', () => {
    const data = Uint8Array.from([0x00, 0x23, 0x24, 0x7d, 0x2a, 0xff]);
    const payload = Uint8Array.from([...bytes('X100,6:'), ...data]);
    const [ev] = new PacketReader().feed(framePacket(payload));
    expect(ev.kind === 'packet' && Array.from(ev.payload.slice(7))).toEqual(Array.from(data));
  });
});

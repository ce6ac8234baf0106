// GDB remote serial protocol framing: `$payload#cs` packets with a modulo-256
// checksum, `}` escapes (byte ^ 0x20) for binary data, `*` run-length
// encoding on receive, acks (+/-) and the out-of-band Ctrl-C (0x03). Kept
// free of sockets so a scripted client can drive it byte by byte in tests.

export function checksum(bytes: Uint8Array): number {
  let sum = 0;
  for (let i = 0; i < bytes.length; i++) sum = (sum + bytes[i]) & 0xff;
  return sum;
}

const NEEDS_ESCAPE = new Set([0x23, 0x24, 0x7d, 0x2a]); // # $ } *

/** Escapes a payload for sending: # $ } * become } followed by byte ^ 0x20. */
export function escapeBinary(data: Uint8Array): Uint8Array {
  const out: number[] = [];
  for (const b of data) {
    if (NEEDS_ESCAPE.has(b)) out.push(0x7d, b ^ 0x20);
    else out.push(b);
  }
  return Uint8Array.from(out);
}

/** Undoes `}` escapes and `*` run-length encoding of a received payload. */
export function unescapeBinary(data: Uint8Array): Uint8Array {
  const out: number[] = [];
  for (let i = 0; i < data.length; i++) {
    const b = data[i];
    if (b === 0x7d && i + 1 < data.length) out.push(data[++i] ^ 0x20);
    else if (b === 0x2a && out.length > 0 && i + 1 < data.length) {
      const repeat = data[++i] - 29; // gdb: count is the byte minus 29
      const last = out[out.length - 1];
      for (let k = 0; k < repeat; k++) out.push(last);
    } else out.push(b);
  }
  return Uint8Array.from(out);
}

/** Frames a payload: `$` escaped-payload `#` two hex digits of checksum. */
export function framePacket(payload: Uint8Array | string): Uint8Array {
  const raw = typeof payload === 'string' ? Buffer.from(payload, 'latin1') : payload;
  const body = escapeBinary(raw);
  const cs = checksum(body).toString(16).padStart(2, '0');
  return Uint8Array.from([0x24, ...body, 0x23, cs.charCodeAt(0), cs.charCodeAt(1)]);
}

export type PacketEvent =
  | { kind: 'packet'; payload: Uint8Array }
  | { kind: 'bad-checksum' }
  | { kind: 'ack' }
  | { kind: 'nak' }
  | { kind: 'interrupt' };

/**
 * Incremental receiver: feed it whatever bytes the socket delivered, get back
 * complete events. Bytes between packets other than + - and 0x03 are ignored,
 * as gdb's own stubs do.
 */
export class PacketReader {
  private body: number[] = [];
  private state: 'idle' | 'body' | 'cs1' | 'cs2' = 'idle';
  private csText = '';

  feed(chunk: Uint8Array): PacketEvent[] {
    const events: PacketEvent[] = [];
    for (const b of chunk) {
      const ev = this.step(b);
      if (ev) events.push(ev);
    }
    return events;
  }

  private step(b: number): PacketEvent | undefined {
    switch (this.state) {
      case 'idle':
        if (b === 0x24) { this.state = 'body'; this.body = []; return undefined; }
        if (b === 0x2b) return { kind: 'ack' };
        if (b === 0x2d) return { kind: 'nak' };
        if (b === 0x03) return { kind: 'interrupt' };
        return undefined;
      case 'body':
        if (b === 0x23) { this.state = 'cs1'; this.csText = ''; } else this.body.push(b);
        return undefined;
      case 'cs1':
        this.csText = String.fromCharCode(b); this.state = 'cs2';
        return undefined;
      default:
        return this.finish(b);
    }
  }

  private finish(b: number): PacketEvent {
    this.state = 'idle';
    const want = parseInt(this.csText + String.fromCharCode(b), 16);
    const raw = Uint8Array.from(this.body);
    if (want !== checksum(raw)) return { kind: 'bad-checksum' };
    return { kind: 'packet', payload: unescapeBinary(raw) };
  }
}

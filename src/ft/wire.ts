// The FT link on a byte stream (a TCP socket): every message is one chunk of
// the log's frame codec (replay/frame-wire.ts): u32 length, u32 CRC-32 over
// the length bytes and the payload, then a CBOR payload. The payload is the
// message the worker thread would be posted (secondary-host.ts), as a CBOR
// map; log frames inside it stay the encoded frames the link made, CRC and
// all. The reader bounds every allocation by a length limit, checks each
// CRC, and turns anything else into a LinkError naming the stream offset.

import { Encoder } from 'cbor-x';
import { FormatError } from '../replay/log-error.js';
import { chunkHeader, chunkLength, crcMatches } from '../replay/frame-wire.js';
import { FRAME_HEADER_BYTES } from '../replay/log-format.js';

/** The link protocol's version: a peer with another is refused at the handshake. */
export const FT_PROTOCOL = 1;
/** The first message on a link: its magic, so a stray client is told apart from an old vmrr. */
export const FT_MAGIC = 'vmrr-ft';
/** Before the handshake says the guest's RAM size, no message may be larger than this. */
export const HANDSHAKE_LIMIT = 1 << 20;

/** The link broke: garbage, a bad CRC, an absurd length, another protocol, a refusal, a timeout. */
export class LinkError extends Error {
  override name = 'LinkError';
}

/** A codec for link messages: plain CBOR, with typed arrays kept as typed arrays. */
export function makeWireCbor(): Encoder {
  return new Encoder({ useRecords: false, mapsAsObjects: true, variableMapSize: true });
}

/** One message as bytes on the stream. */
export function encodeMessage(cbor: Encoder, msg: unknown): Uint8Array {
  const payload = cbor.encode(msg);
  const out = new Uint8Array(FRAME_HEADER_BYTES + payload.length);
  out.set(chunkHeader(payload));
  out.set(payload, FRAME_HEADER_BYTES);
  return out;
}

/** Cuts a byte stream into messages; push() what arrives, it returns the whole messages so far. */
export class MessageReader {
  private readonly cbor = makeWireCbor();
  private parts: Uint8Array[] = [];
  private held = 0;
  /** Stream offset of the first byte held. */
  private offset = 0;
  /** Largest payload accepted (raised once the handshake says how large the guest is). */
  limit = HANDSHAKE_LIMIT;

  constructor(private readonly peer: string) {}

  /** Bytes of an unfinished message held now (a stream that ends with some was truncated). */
  get pending(): number {
    return this.held;
  }

  push(chunk: Uint8Array): unknown[] {
    this.parts.push(chunk);
    this.held += chunk.length;
    const out: unknown[] = [];
    while (this.held >= FRAME_HEADER_BYTES) {
      const head = this.take(FRAME_HEADER_BYTES, false);
      let length: number;
      try {
        length = chunkLength(head, this.limit);
      } catch (e) {
        throw this.error(e);
      }
      const total = FRAME_HEADER_BYTES + length;
      if (this.held < total) break;
      const buf = this.take(total, true);
      const payload = buf.subarray(FRAME_HEADER_BYTES);
      if (!crcMatches(buf, payload)) throw this.error(new FormatError('bad CRC'));
      let msg: unknown;
      try {
        msg = this.cbor.decode(payload);
      } catch (e) {
        throw this.error(new FormatError(`bad CBOR (${String((e as Error).message).replace(/\s+/g, ' ').slice(0, 80)})`));
      }
      if (typeof msg !== 'object' || msg === null || Array.isArray(msg)) throw this.error(new FormatError('a message is not a map'));
      out.push(msg);
      this.offset += total;
    }
    return out;
  }

  /** The first `n` held bytes as one buffer; `consume` removes them. Copies only what it returns. */
  private take(n: number, consume: boolean): Uint8Array {
    const first = this.parts[0];
    let b: Uint8Array;
    if (first.length >= n) b = first.subarray(0, n);
    else {
      b = new Uint8Array(n);
      let at = 0;
      for (const p of this.parts) {
        const k = Math.min(p.length, n - at);
        b.set(p.subarray(0, k), at);
        at += k;
        if (at === n) break;
      }
    }
    if (consume) {
      let left = n;
      while (left > 0) {
        const p = this.parts[0];
        if (p.length <= left) {
          this.parts.shift();
          left -= p.length;
        } else {
          this.parts[0] = p.subarray(left);
          left = 0;
        }
      }
      this.held -= n;
    }
    return b;
  }

  private error(e: unknown): LinkError {
    const why = e instanceof FormatError ? e.message : String((e as Error)?.message ?? e);
    return new LinkError(`ft link from ${this.peer}: ${why} at stream offset ${this.offset}`);
  }
}

/** "[HOST:]PORT" as --listen and --secondary take it (host default 127.0.0.1). */
export function parseHostPort(raw: string, flag: string): { host: string; port: number } {
  const m = /^(?:(\[[^\]]+\]|[^:]+):)?(\d{1,5})$/.exec(raw.trim());
  const port = m ? Number(m[2]) : NaN;
  if (!m || port > 65535) throw new LinkError(`${flag}: '${raw}' is not [HOST:]PORT (e.g. 127.0.0.1:7300)`);
  const host = m[1] ? m[1].replace(/^\[|\]$/g, '') : '127.0.0.1';
  return { host, port };
}

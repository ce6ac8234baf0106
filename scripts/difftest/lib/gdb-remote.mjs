// Minimal GDB remote serial protocol client, enough to drive QEMU's gdbstub:
// breakpoints (Z0/z0), continue, register and memory reads.
//
// The transport is any pair of byte streams; capture.mjs uses QEMU's
// `-gdb stdio`, so no TCP port is needed.

export class GdbRemote {
  /**
   * @param {import('node:stream').Readable} input  bytes from the stub
   * @param {import('node:stream').Writable} output bytes to the stub
   */
  constructor(input, output) {
    this.out = output;
    this.buf = '';
    this.packets = [];
    this.waiters = [];
    this.noAck = false;
    this.closed = null;
    input.setEncoding('latin1');
    input.on('data', (d) => this.onData(d));
    input.on('end', () => this.onClose(new Error('gdbstub connection closed')));
    input.on('error', (e) => this.onClose(e));
  }

  onClose(err) {
    if (this.closed) return;
    this.closed = err;
    for (const w of this.waiters.splice(0)) w.reject(err);
  }

  onData(d) {
    this.buf += d;
    for (;;) {
      // skip acks and noise up to the next packet start
      const start = this.buf.indexOf('$');
      if (start < 0) {
        this.buf = '';
        return;
      }
      const hash = this.buf.indexOf('#', start);
      if (hash < 0 || hash + 3 > this.buf.length) {
        this.buf = this.buf.slice(start);
        return;
      }
      const body = this.buf.slice(start + 1, hash);
      const sum = parseInt(this.buf.slice(hash + 1, hash + 3), 16);
      this.buf = this.buf.slice(hash + 3);
      if (!this.noAck) this.out.write(checksum(body) === sum ? '+' : '-');
      if (checksum(body) !== sum) continue;
      const payload = decodeRle(body);
      if (payload.startsWith('O') && payload !== 'OK' && /^O[0-9a-f]*$/i.test(payload)) continue; // console output
      const w = this.waiters.shift();
      if (w) w.resolve(payload);
      else this.packets.push(payload);
    }
  }

  /** Next packet from the stub. */
  next(timeoutMs = 10000) {
    if (this.packets.length) return Promise.resolve(this.packets.shift());
    if (this.closed) return Promise.reject(this.closed);
    return new Promise((resolve, reject) => {
      const w = {};
      const timer = setTimeout(() => {
        const i = this.waiters.indexOf(w);
        if (i >= 0) this.waiters.splice(i, 1);
        reject(new Error(`gdbstub: no reply within ${timeoutMs} ms`));
      }, timeoutMs);
      w.resolve = (v) => { clearTimeout(timer); resolve(v); };
      w.reject = (e) => { clearTimeout(timer); reject(e); };
      this.waiters.push(w);
    });
  }

  send(payload) {
    if (this.closed) throw this.closed;
    const body = escape(payload);
    this.out.write(`$${body}#${checksum(body).toString(16).padStart(2, '0')}`);
  }

  /** Send a command and wait for its reply. */
  async cmd(payload, timeoutMs) {
    this.send(payload);
    return this.next(timeoutMs);
  }

  /** Send several commands at once, then collect their replies in order. */
  async pipeline(payloads, timeoutMs) {
    for (const p of payloads) this.send(p);
    const out = [];
    for (let i = 0; i < payloads.length; i++) out.push(await this.next(timeoutMs));
    return out;
  }

  async startNoAck() {
    const r = await this.cmd('QStartNoAckMode');
    if (r === 'OK') this.noAck = true;
    return this.noAck;
  }

  async readRegisters() {
    const r = await this.cmd('g');
    if (r.startsWith('E')) throw new Error(`g: ${r}`);
    return r;
  }

  async readMemory(addr, len) {
    const chunks = [];
    for (let off = 0; off < len; off += 1024) {
      const n = Math.min(1024, len - off);
      const r = await this.cmd(`m${(addr + off).toString(16)},${n.toString(16)}`);
      if (r.startsWith('E') || r.length !== 2 * n) throw new Error(`m ${addr + off}: ${r.slice(0, 20)}`);
      chunks.push(Buffer.from(r, 'hex'));
    }
    return Buffer.concat(chunks);
  }
}

/** Little-endian 32-bit register i from a `g` reply. */
export function reg32(g, i) {
  const h = g.slice(8 * i, 8 * i + 8);
  return Buffer.from(h, 'hex').readUInt32LE(0);
}

function checksum(s) {
  let c = 0;
  for (let i = 0; i < s.length; i++) c = (c + s.charCodeAt(i)) & 0xff;
  return c;
}

function escape(s) {
  return s.replace(/[$#}*]/g, (c) => '}' + String.fromCharCode(c.charCodeAt(0) ^ 0x20));
}

function decodeRle(s) {
  if (!s.includes('*') && !s.includes('}')) return s;
  let out = '';
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    if (c === '}') {
      out += String.fromCharCode(s.charCodeAt(++i) ^ 0x20);
    } else if (c === '*') {
      const n = s.charCodeAt(++i) - 29;
      out += out[out.length - 1].repeat(n);
    } else out += c;
  }
  return out;
}

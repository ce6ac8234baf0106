// A primary node's bounded cache of state blobs (pages and machine states)
// by content hash, least recently used first out. Blobs outlive the guest
// that made them: a node a guest migrated away from keeps what it cached,
// which is how one VM's data comes to be cached on several nodes.

export class PageCache {
  private readonly blobs = new Map<string, Uint8Array>();
  private bytes = 0;

  constructor(readonly capacity: number) {}

  get size(): number {
    return this.bytes;
  }

  get count(): number {
    return this.blobs.size;
  }

  has(hash: string): boolean {
    return this.blobs.has(hash);
  }

  /** The blob, marked as just used; undefined when not cached. */
  get(hash: string): Uint8Array | undefined {
    const b = this.blobs.get(hash);
    if (b !== undefined) {
      this.blobs.delete(hash);
      this.blobs.set(hash, b);
    }
    return b;
  }

  put(hash: string, data: Uint8Array): void {
    if (data.length > this.capacity) return;
    const old = this.blobs.get(hash);
    if (old !== undefined) {
      this.blobs.delete(hash);
      this.bytes -= old.length;
    }
    this.blobs.set(hash, data);
    this.bytes += data.length;
    for (const [h, b] of this.blobs) {
      if (this.bytes <= this.capacity) break;
      this.blobs.delete(h);
      this.bytes -= b.length;
    }
  }

  /** Bytes of the given blobs this cache holds (a hash listed twice counts twice: pages share blobs). */
  bytesOf(hashes: Iterable<string>): number {
    let n = 0;
    for (const h of hashes) n += this.blobs.get(h)?.length ?? 0;
    return n;
  }
}

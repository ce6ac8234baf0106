// The software TLB and its coherence with guest page tables (DESIGN section
// 10). Geometry: `sets` x `ways` entries. The memory fast path checks only
// way 0 of a set (the most recently used entry) with one masked compare;
// the other ways are searched on a miss and a hit is swapped into way 0, so
// associativity costs nothing on the hot path.
//
// The T bit: every physical page a page walk reads is marked. Writes to a
// marked page leave the fast path (its TLB entries are write-protected), and
// a guest write to a page-table entry invalidates exactly the TLB entries
// whose walk read that entry. No reverse map is needed, so a walk pays
// nothing for the tracking beyond the mark check: a PTE at word w of its
// page table maps only linear pages whose bits 12-21 are w, so the entries
// built from it can sit only in sets w + k*1024 (masked to the set count);
// those sets' ways are checked against the entry's recorded PTE address. A
// write to a page read as a page directory checks every entry (PDEs change
// seldom). The guest therefore never sees a stale translation, whatever the
// TLB size or however often vmrr flushes it: replay does not depend on it.

export const TLB_DENY_READ = 1;
export const TLB_DENY_WRITE = 2;
export const TLB_DENY_UREAD = 4;
export const TLB_DENY_UWRITE = 8;
export const TLB_INVALID = -1;
const DENY_WRITES = TLB_DENY_WRITE | TLB_DENY_UWRITE;
/** T-bit values in `marked`: the page was read as a page table (PTEs), as a page directory (PDEs). */
export const WALKED_PT = 1;
export const WALKED_PD = 2;

export interface TlbGeometry {
  entries: number;
  ways: number;
}

export function checkGeometry(g: TlbGeometry): string | null {
  const pow2 = (n: number): boolean => Number.isInteger(n) && n > 0 && (n & (n - 1)) === 0;
  if (!pow2(g.entries) || g.entries > 1 << 20) return `TLB entries must be a power of two from 1 to 1048576 (got ${g.entries})`;
  if (!pow2(g.ways) || g.ways > g.entries || g.ways > 64) return `TLB ways must be a power of two from 1 to min(entries, 64) (got ${g.ways})`;
  return null;
}

export class Tlb {
  readonly entries: number;
  readonly ways: number;
  /** Set index mask and log2(ways): way 0 of the set for page p is ((p & setMask) << wayShift). */
  readonly setMask: number;
  readonly wayShift: number;
  /** Linear page | deny bits, or TLB_INVALID. */
  readonly tag: Int32Array;
  /** Physical page address. */
  readonly phys: Int32Array;
  /** Physical addresses of the PDE and PTE the entry's walk read (-1: none, e.g. paging off or a 4 MiB page). */
  readonly srcPde: Int32Array;
  readonly srcPte: Int32Array;
  /** T bits, per physical page: WALKED_PT | WALKED_PD for the roles some page walk has read it in. */
  readonly marked: Uint8Array;
  /** The T-bit tracking (--no-tlb-tracking turns it off). */
  tracking: boolean;
  /** Entries invalidated by guest page-table writes (for reports and benchmarks). */
  invalidations = 0;

  constructor(geometry: TlbGeometry, physPages: number, tracking = true) {
    const err = checkGeometry(geometry);
    if (err) throw new RangeError(err);
    this.entries = geometry.entries;
    this.ways = geometry.ways;
    this.setMask = geometry.entries / geometry.ways - 1;
    this.wayShift = Math.log2(geometry.ways) | 0;
    this.tag = new Int32Array(this.entries).fill(TLB_INVALID);
    this.phys = new Int32Array(this.entries);
    this.srcPde = new Int32Array(this.entries).fill(-1);
    this.srcPte = new Int32Array(this.entries).fill(-1);
    this.marked = new Uint8Array(physPages);
    this.tracking = tracking;
  }

  /** Search ways 1.. of the set for `lin` allowing access with `denyBit` clear; on a hit move it to way 0. */
  lookupOtherWays(lin: number, denyBit: number): number {
    const base = ((lin >>> 12) & this.setMask) << this.wayShift;
    const page = lin & -4096;
    const chk = (0xfffff000 | denyBit) | 0;
    for (let w = 1; w < this.ways; w++) {
      const i = base + w;
      if ((this.tag[i] & chk) === page) {
        this.swap(base, i);
        return (this.phys[base] | (lin & 4095)) >>> 0;
      }
    }
    return -1;
  }

  /** Insert a translation in way 0 of its set, moving the others down (the last falls out). */
  insert(lin: number, physPage: number, deny: number, pde: number, pte: number): void {
    const base = ((lin >>> 12) & this.setMask) << this.wayShift;
    const page = lin & -4096;
    // The same page may sit in another way with other rights: drop it so the set holds one copy.
    for (let w = 1; w < this.ways; w++) if ((this.tag[base + w] & 0xfffff000) === page) this.tag[base + w] = TLB_INVALID;
    for (let w = this.ways - 1; w > 0; w--) this.copy(base + w - 1, base + w);
    this.tag[base] = (page | deny) | 0;
    this.phys[base] = physPage | 0;
    this.srcPde[base] = pde;
    this.srcPte[base] = pte;
  }

  flushAll(): void {
    this.tag.fill(TLB_INVALID);
  }

  flushPage(lin: number): void {
    const base = ((lin >>> 12) & this.setMask) << this.wayShift;
    for (let w = 0; w < this.ways; w++) {
      if ((this.tag[base + w] & 0xfffff000) === (lin & 0xfffff000)) this.tag[base + w] = TLB_INVALID;
    }
  }

  /** Deny writes through every entry mapping physical page `page` (its writes must take the slow path). */
  revokeWrites(page: number): void {
    const base = page << 12;
    const tag = this.tag, phys = this.phys;
    for (let i = 0; i < tag.length; i++) if (phys[i] === base && tag[i] !== TLB_INVALID) tag[i] |= DENY_WRITES;
  }

  /** Deny writes through every entry (dirty-page tracking restarts). */
  revokeAllWrites(): void {
    const tag = this.tag;
    for (let i = 0; i < tag.length; i++) if (tag[i] !== TLB_INVALID) tag[i] |= DENY_WRITES;
  }

  /** Mark a page a walk read in `role` (WALKED_PT or WALKED_PD); returns true if it was unmarked (the caller then revokes writes to it). */
  mark(page: number, role: number): boolean {
    if (!this.tracking || page >= this.marked.length) return false;
    const was = this.marked[page];
    this.marked[page] = was | role;
    return was === 0;
  }

  /**
   * The guest wrote [addr, addr+size) of a marked page: invalidate the
   * entries whose walk read a PDE or PTE in that range. Returns how many.
   */
  invalidateWrite(addr: number, size: number): number {
    const page = addr >>> 12;
    let n = 0;
    if (page >= this.marked.length) return 0;
    if (this.marked[page] & WALKED_PD) {
      // A PDE may have changed: every entry built through it goes.
      for (let i = 0; i < this.entries; i++) n += this.dropIfFrom(i, addr, size);
    } else if (this.marked[page] & WALKED_PT) {
      const first = (addr & 4095) >>> 2, last = Math.min(1023, ((addr & 4095) + size - 1) >>> 2);
      const setMask = this.setMask, ways = this.ways;
      for (let w = first; w <= last; w++) {
        // The PTE at word w maps linear pages whose bits 12-21 are w: the sets w + k*1024.
        for (let set = w & setMask; set <= setMask; set += 1024) {
          const base = set << this.wayShift;
          for (let k = 0; k < ways; k++) n += this.dropIfFrom(base + k, addr, size);
        }
      }
    }
    this.invalidations += n;
    return n;
  }

  /** Invalidate entry `i` if its walk read a PDE or PTE in [addr, addr+size); returns 1 if it did. */
  private dropIfFrom(i: number, addr: number, size: number): number {
    if (this.tag[i] === TLB_INVALID) return 0;
    const pde = this.srcPde[i], pte = this.srcPte[i];
    const hit = (pde >= 0 && pde + 4 > addr && pde < addr + size) || (pte >= 0 && pte + 4 > addr && pte < addr + size);
    if (!hit) return 0;
    this.tag[i] = TLB_INVALID;
    return 1;
  }

  private copy(from: number, to: number): void {
    this.tag[to] = this.tag[from];
    this.phys[to] = this.phys[from];
    this.srcPde[to] = this.srcPde[from];
    this.srcPte[to] = this.srcPte[from];
  }

  private swap(a: number, b: number): void {
    const t = this.tag[a], p = this.phys[a], d = this.srcPde[a], e = this.srcPte[a];
    this.copy(b, a);
    this.tag[b] = t;
    this.phys[b] = p;
    this.srcPde[b] = d;
    this.srcPte[b] = e;
  }
}

/** The operating system's page size (Linux x86-64): one write per page maps it. */
const PAGE = 4096;

/**
 * Maps the memory of freshly allocated typed arrays a page at a time, ahead of the moment they are
 * needed. A large typed array costs only address space when allocated; each of its pages is mapped
 * (zeroed by the kernel) on its first write. Growing a column by copying it into one twice its size
 * wrote every page of the copy at once: on the development machine 15 ms per MB when busy (a 128 MB
 * copy: 1.97 s cold, 17 ms into pages mapped before), a stall of seconds in the middle of consuming as
 * a population grown from empty passed 2^20 records (apps/identity/README.md, Session 11). A column set
 * that doubles allocates its next arrays once half full and calls `advance` as it fills, so the cost is
 * paid in slices of a page or two per record and the copy finds its pages mapped.
 */
export class Prefault {
  private readonly views: Uint8Array[];
  private readonly total: number;
  private view = 0;
  private offset = 0;
  private touched = 0;

  /** The first `bytes[i]` bytes of `arrays[i]` are to be mapped (the part the copy will write). */
  constructor(arrays: ArrayBufferView[], bytes: number[]) {
    this.views = arrays.map((a, i) => new Uint8Array(a.buffer, a.byteOffset, Math.min(a.byteLength, bytes[i])));
    this.total = this.views.reduce((sum, v) => sum + Math.ceil(v.length / PAGE), 0);
  }

  /** Pages to map in all. */
  get pages(): number {
    return this.total;
  }

  /** Pages mapped so far. */
  get mapped(): number {
    return this.touched;
  }

  /** Maps pages until `share` (0 to 1) of them are; never goes back. */
  advance(share: number): void {
    const target = Math.min(this.total, Math.ceil(share * this.total));
    while (this.touched < target) {
      const v = this.views[this.view];
      if (this.offset >= v.length) {
        this.view++;
        this.offset = 0;
        continue;
      }
      // Zero into zeroed memory: changes nothing but makes the kernel map the page now.
      v[this.offset] = 0;
      this.offset += PAGE;
      this.touched++;
    }
  }
}

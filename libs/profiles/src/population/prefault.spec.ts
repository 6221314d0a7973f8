import { Prefault } from './prefault';

const MB = 1024 * 1024;
const PAGES_PER_MB = MB / 4096;

/** Page faults of this process so far (minor ones: a page mapped on first touch; exact per process). */
function faults(): number {
  return process.resourceUsage().minorPageFault;
}

/** The page faults that writing one byte per page of `bytes` bytes of `array` costs now. */
function faultsToWrite(array: Float64Array, bytes: number): number {
  const view = new Uint8Array(array.buffer, 0, bytes);
  const before = faults();
  for (let i = 0; i < bytes; i += 4096) view[i] = 0;
  return faults() - before;
}

describe('Prefault', () => {
  // What the copy into a grown column then finds: its pages mapped, no fault to take. (The resident size
  // is no measure: the collector frees earlier arrays on its own threads meanwhile, by tens of MB. Nor can
  // the spec ask that pages it did not touch be unmapped: memory another spec in this worker freed may
  // come back already mapped, as the allocator zeroed it.)
  it('should map the pages of a fresh array in step with the share asked for, so writing them costs no page fault', () => {
    // 64 MB allocated, of which the first 48 MB are to be mapped (what a copy of a 48 MB column writes).
    const fresh = new Float64Array((64 * MB) / 8);
    const prefault = new Prefault([fresh], [48 * MB]);
    expect(prefault.pages).toBe((48 * MB) / 4096);
    prefault.advance(0.5);
    expect(prefault.mapped).toBe((24 * MB) / 4096);
    // A few faults of the collector's own are allowed; unmapped, 24 MB would cost 6,144.
    expect(faultsToWrite(fresh, 24 * MB)).toBeLessThan(PAGES_PER_MB);
    prefault.advance(1);
    expect(prefault.mapped).toBe((48 * MB) / 4096);
    expect(faultsToWrite(fresh, 48 * MB)).toBeLessThan(PAGES_PER_MB);
    expect(fresh.every((x) => x === 0)).toBe(true);
  });

  it('should go through several arrays in order, never back, and stop at the last page', () => {
    const a = new Int32Array(5000);
    const b = new Uint8Array(10000);
    const prefault = new Prefault([a, b], [a.byteLength, 9000]);
    // 20,000 bytes: 5 pages; 9,000 bytes: 3 pages.
    expect(prefault.pages).toBe(8);
    prefault.advance(0.5);
    expect(prefault.mapped).toBe(4);
    prefault.advance(0.25);
    expect(prefault.mapped).toBe(4);
    prefault.advance(2);
    expect(prefault.mapped).toBe(8);
    expect(a.every((x) => x === 0) && b.every((x) => x === 0)).toBe(true);
  });
});

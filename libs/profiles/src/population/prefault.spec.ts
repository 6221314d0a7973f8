import { Prefault } from './prefault';

const MB = 1024 * 1024;
const PAGES_PER_MB = MB / 4096;

/**
 * Pages the kernel has mapped for this process so far (minor page faults, exact per process). The
 * resident size is no measure here: it moves by tens of MB either way as the collector frees earlier
 * arrays on its own threads (seen: +15, -11 and 0 MB for the same 24 MB mapped).
 */
function pagesMapped(): number {
  return process.resourceUsage().minorPageFault;
}

describe('Prefault', () => {
  it('should map the pages of a fresh array in step with the share asked for, and only the part to be copied', () => {
    // 64 MB allocated, of which the first 48 MB are to be mapped (what a copy of a 48 MB column writes).
    const fresh = new Float64Array((64 * MB) / 8);
    const prefault = new Prefault([fresh], [48 * MB]);
    expect(prefault.pages).toBe((48 * MB) / 4096);
    const before = pagesMapped();
    prefault.advance(0.5);
    const half = pagesMapped() - before;
    prefault.advance(1);
    const all = pagesMapped() - before;
    // 24 MB, then 48 MB of pages; generous bounds: the collector may map a few MB of its own meanwhile.
    expect(half).toBeGreaterThan(22 * PAGES_PER_MB);
    expect(half).toBeLessThan(30 * PAGES_PER_MB);
    expect(all).toBeGreaterThan(46 * PAGES_PER_MB);
    expect(all).toBeLessThan(56 * PAGES_PER_MB);
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

import { Prefault } from './prefault';

const MB = 1024 * 1024;

/** Resident memory of this process (pages the kernel has mapped). */
function resident(): number {
  return process.memoryUsage().rss;
}

describe('Prefault', () => {
  it('should map the pages of a fresh array in step with the share asked for, and only the part to be copied', () => {
    // 64 MB allocated, of which the first 48 MB are to be mapped (what a copy of a 48 MB column writes).
    const fresh = new Float64Array((64 * MB) / 8);
    const prefault = new Prefault([fresh], [48 * MB]);
    expect(prefault.pages).toBe((48 * MB) / 4096);
    const before = resident();
    prefault.advance(0.5);
    const half = resident() - before;
    prefault.advance(1);
    const all = resident() - before;
    // Generous bounds: the garbage collector may map or return a few MB meanwhile.
    expect(half).toBeGreaterThan(18 * MB);
    expect(half).toBeLessThan(30 * MB);
    expect(all).toBeGreaterThan(42 * MB);
    expect(all).toBeLessThan(56 * MB);
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

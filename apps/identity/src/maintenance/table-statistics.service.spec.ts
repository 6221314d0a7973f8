import { needsStatistics } from './table-statistics.service';

describe('needsStatistics', () => {
  it('should ask for statistics when a large table has never been analyzed', () => {
    expect(needsStatistics(900_000, null)).toBe(true);
  });

  it('should ask again when a table has doubled since it was analyzed', () => {
    expect(needsStatistics(200_000, 100_000)).toBe(true);
    expect(needsStatistics(199_999, 100_000)).toBe(false);
  });

  it('should analyze a queue once and not again however its live rows swing', () => {
    expect(needsStatistics(1_500, null, true)).toBe(true);
    expect(needsStatistics(1_500, 0, true)).toBe(false);
    expect(needsStatistics(900_000, 1_200, true)).toBe(false);
    // The same swing in a table that is not a queue is growth.
    expect(needsStatistics(1_500, 0)).toBe(true);
  });

  it('should leave small tables to the planner defaults', () => {
    expect(needsStatistics(999, null)).toBe(false);
  });
});

import { EntryCounts } from './planner';

describe('EntryCounts', () => {
  it('should count each key index entry as a Map of counts does, through growth and clearing between plans', () => {
    let seed = 5;
    const next = () => {
      seed = (Math.imul(seed, 1103515245) + 12345) & 0x7fffffff;
      return seed / 0x80000000;
    };
    const counts = new EntryCounts();
    const answers: number[] = [];
    const expected: number[] = [];
    for (let plan = 0; plan < 200; plan++) {
      counts.clear();
      const map = new Map<number, number>();
      // Plans from a few keys to tens of thousands (the table grows), entries up to 2^25, repeats common.
      const adds = Math.floor(next() ** 3 * 40_000) + 1;
      const spread = Math.floor(next() * 2 ** 25) + 1;
      for (let a = 0; a < adds; a++) {
        const entry = Math.floor(next() * next() * spread);
        map.set(entry, (map.get(entry) ?? 0) + 1);
        expected.push(map.get(entry) as number);
        answers.push(counts.add(entry));
        // An entry not counted in this plan (perhaps in an earlier one) counts nothing.
        const other = Math.floor(next() * spread);
        expected.push(map.get(other) ?? 0);
        answers.push(counts.get(other));
      }
    }
    expect(answers).toEqual(expected);
    expect(expected.filter((n) => n > 1).length).toBeGreaterThan(1000);
  });
});

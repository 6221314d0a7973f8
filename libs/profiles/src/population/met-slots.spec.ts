import { MetSlots } from './planner';

describe('MetSlots', () => {
  it('should make a slot a candidate when met under a key that pairs alone, or met twice, once per walk', () => {
    let seed = 11;
    const next = () => {
      seed = (Math.imul(seed, 1103515245) + 12345) & 0x7fffffff;
      return seed / 0x80000000;
    };
    const met = new MetSlots();
    const answers: boolean[] = [];
    const expected: boolean[] = [];
    for (let walk = 0; walk < 200; walk++) {
      met.clear();
      // What arrays indexed by slot said (the table replaced them): 1 met once, -1 a candidate.
      const state = new Map<number, number>();
      // Walks from a few visits to a few thousand (the table grows), slots up to two million.
      const visits = Math.floor(next() ** 3 * 5000) + 1;
      const spread = Math.floor(next() * 2_000_000) + 1;
      for (let v = 0; v < visits; v++) {
        const slot = Math.floor(next() * Math.min(spread, visits)) * Math.floor(spread / Math.min(spread, visits));
        const alone = next() < 0.3;
        const before = state.get(slot);
        expected.push(before === undefined ? alone : before === 1);
        if (before === undefined) state.set(slot, alone ? -1 : 1);
        else if (before === 1) state.set(slot, -1);
        answers.push(met.visit(slot, alone));
      }
    }
    expect(answers).toEqual(expected);
    expect(expected.filter(Boolean).length).toBeGreaterThan(1000);
  });
});

import { clusterEdges, type ScoredEdges } from './cluster';

function edges(list: Array<[number, number, number]>): ScoredEdges {
  return {
    a: Int32Array.from(list.map((e) => e[0])),
    b: Int32Array.from(list.map((e) => e[1])),
    score: Float32Array.from(list.map((e) => e[2])),
    length: list.length,
  };
}

describe('clusterEdges', () => {
  const scores = new Map<string, number>();
  const pairScore = (i: number, j: number) => scores.get(`${i}-${j}`) ?? -30;

  it('should not chain A~B, B~C into one cluster when A and C clearly differ', () => {
    scores.clear();
    scores.set('0-1', 6).set('1-2', 5).set('0-2', -25);
    const r = clusterEdges(3, edges([[0, 1, 6], [1, 2, 5]]), { linkScore: 3, maxClusterSize: 100, pairScore });
    expect(r.labels[0]).toBe(r.labels[1]);
    expect(r.labels[2]).not.toBe(r.labels[0]);
    expect(r.refused.length).toBe(1);
  });

  it('should merge a chain when the far pair is merely unremarkable', () => {
    scores.clear();
    scores.set('0-1', 20).set('1-2', 20).set('0-2', 1);
    const r = clusterEdges(3, edges([[0, 1, 20], [1, 2, 20]]), { linkScore: 3, maxClusterSize: 100, pairScore });
    expect(new Set(r.labels).size).toBe(1);
  });

  it('should give the same labels whatever the edge order', () => {
    scores.clear();
    const list: Array<[number, number, number]> = [[0, 1, 9], [2, 3, 9], [1, 2, 4], [3, 4, 7]];
    for (const [a, b, s] of list) scores.set(`${a}-${b}`, s);
    const one = clusterEdges(5, edges(list), { linkScore: 3, maxClusterSize: 100, pairScore });
    const two = clusterEdges(5, edges([...list].reverse()), { linkScore: 3, maxClusterSize: 100, pairScore });
    expect(Array.from(two.labels)).toEqual(Array.from(one.labels));
  });

  it('should respect the maximum cluster size and the conflict check', () => {
    scores.clear();
    const r = clusterEdges(3, edges([[0, 1, 50], [1, 2, 50]]), { linkScore: 3, maxClusterSize: 2, pairScore: () => 50 });
    expect(new Set(r.labels).size).toBe(2);
    const c = clusterEdges(2, edges([[0, 1, 50]]), { linkScore: 3, maxClusterSize: 10, pairScore: () => 50, conflict: () => true });
    expect(c.labels[0]).not.toBe(c.labels[1]);
  });
});

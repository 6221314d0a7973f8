import type { InputRecord } from '../types';
import { foldText, isBlank } from '../normalize/text';

/** How one golden attribute is chosen among a profile's records. */
export type SurvivorshipRule = 'verified' | 'sourcePriority' | 'mostRecent' | 'mostFrequent' | 'mostComplete';

export interface AttributeSurvivorship {
  /** Rules applied in order; each keeps only the best candidates by its criterion, the next one breaks ties. */
  rules: SurvivorshipRule[];
  /** For 'sourcePriority': sources best first; unlisted sources rank last. */
  sourcePriority?: string[];
}

export interface SurvivorshipConfig {
  /** Per attribute name; attributes not listed use `default`. */
  attributes?: Readonly<Record<string, AttributeSurvivorship>>;
  default?: AttributeSurvivorship;
}

/** One golden value and where it came from. */
export interface GoldenAttribute {
  value: string;
  recordId: string;
  source: string;
  updatedAt: string | null;
  /** The rule that singled this value out ('tie-break' when all rules left a tie, broken by record order). */
  decidedBy: SurvivorshipRule | 'tie-break' | 'only-value';
  /** How many records offered a value. */
  candidates: number;
}

export interface GoldenRecord {
  recordIds: string[];
  attributes: Record<string, GoldenAttribute>;
}

export const DEFAULT_SURVIVORSHIP: AttributeSurvivorship = { rules: ['verified', 'mostFrequent', 'mostRecent', 'mostComplete'] };

interface Candidate {
  value: string;
  key: string;
  record: InputRecord;
  time: number;
}

function score(rule: SurvivorshipRule, c: Candidate, all: Candidate[], config: AttributeSurvivorship, attribute: string): number {
  switch (rule) {
    case 'verified':
      return c.record.verifiedAttributes?.includes(attribute) ? 1 : 0;
    case 'sourcePriority': {
      const i = (config.sourcePriority ?? []).indexOf(c.record.source ?? '');
      return i < 0 ? -Infinity : -i;
    }
    case 'mostRecent':
      return Number.isNaN(c.time) ? -Infinity : c.time;
    case 'mostFrequent':
      return all.filter((o) => o.key === c.key).length;
    case 'mostComplete':
      return c.value.trim().length;
  }
}

/**
 * The golden record of one profile: per attribute, the value chosen by the configured rules, with its
 * lineage (source record and time). Deterministic: ties left by every rule go to the smallest
 * (source, record id), so record order never matters.
 */
export function buildGoldenRecord(records: readonly InputRecord[], config: SurvivorshipConfig = {}): GoldenRecord {
  const ordered = [...records].sort((a, b) => cmp(a.source ?? '', b.source ?? '') || cmp(a.id, b.id));
  const names = new Set<string>();
  for (const r of ordered) for (const k of Object.keys(r.attributes)) names.add(k);
  const attributes: Record<string, GoldenAttribute> = {};
  for (const name of [...names].sort()) {
    const rule = config.attributes?.[name] ?? config.default ?? DEFAULT_SURVIVORSHIP;
    const all: Candidate[] = [];
    for (const r of ordered) {
      const v = r.attributes[name];
      if (isBlank(v)) continue;
      const value = (v as string).trim();
      all.push({ value, key: foldText(value), record: r, time: r.updatedAt ? Date.parse(r.updatedAt) : NaN });
    }
    if (all.length === 0) continue;
    let pool = all;
    let decidedBy: GoldenAttribute['decidedBy'] = all.length === 1 ? 'only-value' : 'tie-break';
    for (const r of rule.rules) {
      if (pool.length === 1 || new Set(pool.map((c) => c.key)).size === 1) break;
      const scores = pool.map((c) => score(r, c, all, rule, name));
      const best = Math.max(...scores);
      const next = pool.filter((_, i) => scores[i] === best);
      if (next.length < pool.length) {
        pool = next;
        if (new Set(pool.map((c) => c.key)).size === 1) decidedBy = r;
      }
    }
    const chosen = pool[0];
    attributes[name] = {
      value: chosen.value,
      recordId: chosen.record.id,
      source: chosen.record.source ?? '',
      updatedAt: chosen.record.updatedAt ?? null,
      decidedBy,
      candidates: all.length,
    };
  }
  return { recordIds: ordered.map((r) => r.id), attributes };
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

import type { NormalizedRecord } from './types';
import { transformKey } from './model/blocking';
import type { MatchModel } from './model/match-model';

/**
 * The blocking keys of one normalized record under a model, as strings a database can index
 * (`<rule>=<part>|<part>`). Two records are candidates when they share a key. A streaming resolver
 * looks candidates up by these keys; the batch pipeline computes the same keys in interned form.
 */
export function blockingKeys(record: NormalizedRecord, model: MatchModel): string[] {
  const index = new Map(model.fields.map((f, i) => [f.name, i]));
  const keys: string[] = [];
  for (const rule of model.blocking.rules) {
    const parts: string[] = [];
    for (const p of rule.parts) {
      const i = index.get(p.field);
      const v = i === undefined ? null : record.values[i];
      const k = v ? transformKey(p.transform, v) : '';
      if (!k) break;
      parts.push(k);
    }
    if (rule.unordered) parts.sort();
    if (parts.length === rule.parts.length) keys.push(`${rule.name}=${parts.join('|')}`);
  }
  for (const id of record.identifiers) keys.push(`id:${id.type}=${id.value}`);
  return keys;
}

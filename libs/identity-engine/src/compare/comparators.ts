import type { FieldKind } from '../types';
import { areNicknameVariants } from '../normalize/nicknames';
import { editDistance, jaroWinkler } from './string-metrics';
import { emailLocalPart } from '../normalize/email';

/**
 * A graded comparison for one kind of field. Level 0 is always an exact match of the normalized values,
 * the last level is "different"; levels between are ordered from strongest to weakest agreement.
 * `level` is only called for two different, non-null values. Missing values are not a level: they carry
 * no evidence (weight 0), which is how Fellegi-Sunter treats them.
 */
export interface Comparator {
  readonly levels: readonly string[];
  level(a: string, b: string): number;
  /** Level index used when given and family names are swapped between the records, if this comparator has one. */
  readonly swappedLevel?: number;
  /** Starting m probabilities for EM (and the defaults when there is too little data to train). */
  readonly priorM: readonly number[];
  /** Starting u probabilities (overwritten from random pairs when the data allows). */
  readonly priorU: readonly number[];
  /** Whether an exact match is adjusted by how frequent the value is. */
  readonly termFrequency: boolean;
}

/**
 * Upper bound on P(different | same person) per kind, used to constrain EM. Person attributes rarely
 * disagree outright between two records of one person; contact details and addresses change often.
 */
export const MAX_DISAGREEMENT: Readonly<Record<FieldKind, number>> = {
  givenName: 0.15,
  familyName: 0.2,
  fullName: 0.15,
  birthDate: 0.15,
  gender: 0.1,
  email: 0.6,
  phone: 0.6,
  street: 0.6,
  houseNumber: 0.6,
  city: 0.6,
  postcode: 0.6,
  region: 0.6,
  country: 0.6,
  externalId: 0.3,
  text: 0.6,
};

function tokenOverlap(a: string, b: string): boolean {
  if (a.indexOf(' ') < 0 && b.indexOf(' ') < 0) return false;
  const ta = a.split(' ');
  const tb = b.split(' ');
  for (const t of ta) if (t.length > 1 && tb.includes(t)) return true;
  return false;
}

const givenName: Comparator = {
  levels: ['exact', 'nickname', 'swapped', 'jaro-winkler>=0.92', 'jaro-winkler>=0.80', 'initial', 'different'],
  swappedLevel: 2,
  priorM: [0.8, 0.04, 0.01, 0.08, 0.03, 0.01, 0.03],
  priorU: [0.01, 0.002, 0.0005, 0.005, 0.03, 0.02, 0.9325],
  termFrequency: true,
  level(a, b) {
    if (areNicknameVariants(a, b)) return 1;
    const fa = a.indexOf(' ') < 0 ? a : a.slice(0, a.indexOf(' '));
    const fb = b.indexOf(' ') < 0 ? b : b.slice(0, b.indexOf(' '));
    if (fa !== a || fb !== b) {
      if (fa === fb || areNicknameVariants(fa, fb)) return 1;
    }
    if (a.length === 1 || b.length === 1) return a.charCodeAt(0) === b.charCodeAt(0) ? 5 : 6;
    const jw = jaroWinkler(a, b, 0.8);
    if (jw >= 0.92) return 3;
    if (tokenOverlap(a, b)) return 3;
    if (jw >= 0.8) return 4;
    return 6;
  },
};

const familyName: Comparator = {
  levels: ['exact', 'swapped', 'jaro-winkler>=0.92', 'jaro-winkler>=0.80', 'initial', 'different'],
  swappedLevel: 1,
  priorM: [0.85, 0.01, 0.08, 0.03, 0.005, 0.025],
  priorU: [0.005, 0.0005, 0.004, 0.03, 0.01, 0.9505],
  termFrequency: true,
  level(a, b) {
    if (a.length === 1 || b.length === 1) return a.charCodeAt(0) === b.charCodeAt(0) ? 4 : 5;
    const jw = jaroWinkler(a, b, 0.8);
    if (jw >= 0.92) return 2;
    const ca = a.replace(/ /g, '');
    const cb = b.replace(/ /g, '');
    if (ca === cb || tokenOverlap(a, b) || (ca.length >= 4 && cb.length >= 4 && (ca.endsWith(cb) || cb.endsWith(ca)))) return 2;
    if (jw >= 0.8) return 3;
    return 5;
  },
};

function sortedTokens(s: string): string {
  return s.split(' ').sort().join(' ');
}

const fullName: Comparator = {
  levels: ['exact', 'same-tokens', 'jaro-winkler>=0.92', 'jaro-winkler>=0.80', 'initials', 'different'],
  priorM: [0.75, 0.08, 0.1, 0.03, 0.01, 0.03],
  priorU: [0.001, 0.0005, 0.003, 0.02, 0.005, 0.9705],
  termFrequency: true,
  level(a, b) {
    const ta = a.split(' ');
    const tb = b.split(' ');
    const sa = sortedTokens(a);
    const sb = sortedTokens(b);
    if (sa === sb) return 1;
    if (ta.length === tb.length && ta.every((t) => tb.some((u) => areNicknameVariants(t, u)))) return 1;
    const jw = Math.max(jaroWinkler(a, b, 0.8), jaroWinkler(sa, sb, 0.8));
    if (jw >= 0.92) return 2;
    if (jw >= 0.8) return 3;
    const la = ta[ta.length - 1];
    const lb = tb[tb.length - 1];
    if (la === lb && ta[0].charCodeAt(0) === tb[0].charCodeAt(0)) return 4;
    return 5;
  },
};

const email: Comparator = {
  levels: ['exact', 'same-local-part', 'typo', 'similar-local-part', 'different'],
  priorM: [0.8, 0.05, 0.06, 0.02, 0.07],
  priorU: [0.0001, 0.0005, 0.0005, 0.002, 0.9969],
  termFrequency: true,
  level(a, b) {
    const la = emailLocalPart(a);
    const lb = emailLocalPart(b);
    if (la === lb) return 1;
    if (editDistance(a, b, 2) <= 2) return 2;
    if (jaroWinkler(la, lb, 0.92) >= 0.92) return 3;
    return 4;
  },
};

const phone: Comparator = {
  levels: ['exact', 'one-digit-off', 'same-last-7', 'different'],
  priorM: [0.8, 0.06, 0.04, 0.1],
  priorU: [0.0001, 0.0003, 0.0002, 0.9994],
  termFrequency: true,
  level(a, b) {
    if (editDistance(a, b, 1) <= 1) return 1;
    if (a.length >= 7 && b.length >= 7 && a.slice(-7) === b.slice(-7)) return 2;
    return 3;
  },
};

const birthDate: Comparator = {
  levels: ['exact', 'day-month-swapped', 'one-typo', 'two-typos', 'different'],
  priorM: [0.85, 0.01, 0.08, 0.03, 0.03],
  priorU: [0.0003, 0.0001, 0.005, 0.05, 0.9446],
  termFrequency: true,
  level(a, b) {
    if (a.length === 8 && b.length === 8 && a.slice(0, 4) === b.slice(0, 4) && a.slice(4, 6) === b.slice(6, 8) && a.slice(6, 8) === b.slice(4, 6)) return 1;
    const d = editDistance(a, b, 2);
    if (d <= 1) return 2;
    if (d === 2) return 3;
    return 4;
  },
};

function fuzzyText(prior: { m: number[]; u: number[] }, hi: number, lo: number, tf: boolean): Comparator {
  return {
    levels: ['exact', `jaro-winkler>=${hi}`, `jaro-winkler>=${lo}`, 'different'],
    priorM: prior.m,
    priorU: prior.u,
    termFrequency: tf,
    level(a, b) {
      let jw = jaroWinkler(a, b, lo);
      if (jw < hi && (a.indexOf(' ') >= 0 || b.indexOf(' ') >= 0)) jw = Math.max(jw, jaroWinkler(a.replace(/ /g, ''), b.replace(/ /g, ''), lo));
      if (jw >= hi) return 1;
      if (jw >= lo) return 2;
      return 3;
    },
  };
}

function typo(prior: { m: number[]; u: number[] }, tf: boolean): Comparator {
  return {
    levels: ['exact', 'one-typo', 'different'],
    priorM: prior.m,
    priorU: prior.u,
    termFrequency: tf,
    level(a, b) {
      return editDistance(a, b, 1) <= 1 ? 1 : 2;
    },
  };
}

function exactOnly(prior: { m: number[]; u: number[] }, tf: boolean): Comparator {
  return {
    levels: ['exact', 'different'],
    priorM: prior.m,
    priorU: prior.u,
    termFrequency: tf,
    level() {
      return 1;
    },
  };
}

const COMPARATORS: Record<FieldKind, Comparator> = {
  givenName,
  familyName,
  fullName,
  email,
  phone,
  birthDate,
  street: fuzzyText({ m: [0.8, 0.1, 0.04, 0.06], u: [0.001, 0.002, 0.02, 0.977] }, 0.9, 0.8, true),
  houseNumber: typo({ m: [0.85, 0.07, 0.08], u: [0.02, 0.1, 0.88] }, true),
  city: fuzzyText({ m: [0.85, 0.07, 0.03, 0.05], u: [0.01, 0.003, 0.02, 0.967] }, 0.92, 0.85, true),
  postcode: typo({ m: [0.85, 0.08, 0.07], u: [0.002, 0.02, 0.978] }, true),
  region: exactOnly({ m: [0.95, 0.05], u: [0.2, 0.8] }, true),
  country: exactOnly({ m: [0.97, 0.03], u: [0.3, 0.7] }, true),
  externalId: typo({ m: [0.9, 0.05, 0.05], u: [0.00001, 0.0001, 0.99989] }, true),
  gender: exactOnly({ m: [0.97, 0.03], u: [0.5, 0.5] }, false),
  text: fuzzyText({ m: [0.8, 0.08, 0.04, 0.08], u: [0.01, 0.005, 0.02, 0.965] }, 0.9, 0.8, true),
};

/** The comparator the engine uses for a kind of field. */
export function comparatorFor(kind: FieldKind): Comparator {
  return COMPARATORS[kind];
}

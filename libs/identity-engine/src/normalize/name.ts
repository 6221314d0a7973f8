import { clip, foldText } from './text';

const TITLES = new Set(['mr', 'mrs', 'ms', 'miss', 'mx', 'dr', 'prof', 'sir', 'dame', 'rev', 'herr', 'frau', 'mme', 'mlle', 'sr', 'sra']);
const SUFFIXES = new Set(['jr', 'jnr', 'sr', 'snr', 'ii', 'iii', 'iv', 'phd', 'md', 'esq']);
/** Surname particles that sources write inconsistently (van der Berg / Vanderberg / Berg). */
export const NAME_PARTICLES = new Set(['van', 'von', 'der', 'den', 'de', 'del', 'della', 'di', 'da', 'dos', 'das', 'du', 'la', 'le', 'lo', 'ter', 'ten', 'zu', 'y', 'al', 'el', 'bin', 'ibn', 'mac', 'st', 'saint']);

/** Given name: folded (case, accents, punctuation), titles dropped, tokens space-joined; null if nothing left. */
export function normalizeGivenName(raw: string): string | null {
  const tokens = foldText(clip(raw)).split(' ').filter((t) => t.length > 0 && !TITLES.has(t));
  return tokens.length ? tokens.join(' ') : null;
}

/**
 * Family name: folded, titles and generational suffixes dropped, particles removed when other tokens
 * remain (van der Berg → berg, so it meets Berg and Vanderberg's "berg" suffix comparison), hyphens and
 * apostrophes join (O'Brien → obrien).
 */
export function normalizeFamilyName(raw: string): string | null {
  const joined = clip(raw).replace(/['’`]/g, '');
  const tokens = foldText(joined).split(' ').filter((t) => t.length > 0 && !TITLES.has(t) && !SUFFIXES.has(t));
  if (!tokens.length) return null;
  const core = tokens.filter((t) => !NAME_PARTICLES.has(t));
  const kept = core.length ? core : tokens;
  return kept.join(' ');
}

/** Full name: folded tokens, titles and suffixes dropped, particles dropped; order kept. */
export function normalizeFullName(raw: string): string | null {
  let s = clip(raw);
  // "Berg, Anna" is surname-first: reorder to given-first.
  const comma = s.indexOf(',');
  if (comma > 0) s = `${s.slice(comma + 1)} ${s.slice(0, comma)}`;
  const tokens = foldText(s.replace(/['’`]/g, ''))
    .split(' ')
    .filter((t) => t.length > 0 && !TITLES.has(t) && !SUFFIXES.has(t) && !NAME_PARTICLES.has(t));
  return tokens.length ? tokens.join(' ') : null;
}

/** American Soundex (R163 for Robert): a phonetic key for blocking that survives many spelling slips. */
export function soundex(name: string): string {
  const codes = '01230120022455012623010202';
  let out = '';
  let last = '';
  for (let i = 0; i < name.length && out.length < 4; i++) {
    const c = name.charCodeAt(i);
    if (c < 97 || c > 122) continue;
    const code = codes[c - 97];
    if (out.length === 0) {
      out = name[i];
      last = code;
      continue;
    }
    if (code !== '0' && code !== last) out += code;
    if (c !== 104 && c !== 119) last = code; // h and w do not separate equal codes
  }
  return out.length === 0 ? '' : (out + '000').slice(0, 4);
}

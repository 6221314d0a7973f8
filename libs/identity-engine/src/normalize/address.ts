import { clip, foldText } from './text';

const STREET_TYPES: Record<string, string> = {
  street: 'st', str: 'st', strasse: 'st', road: 'rd', avenue: 'ave', av: 'ave', avn: 'ave', drive: 'dr', drv: 'dr',
  lane: 'ln', place: 'pl', court: 'ct', crescent: 'cres', cresc: 'cres', crt: 'ct', circuit: 'cct', circle: 'cir',
  boulevard: 'blvd', boul: 'blvd', terrace: 'tce', terr: 'tce', parade: 'pde', highway: 'hwy', square: 'sq',
  close: 'cl', grove: 'gr', gardens: 'gdns', garden: 'gdn', mews: 'mews', parkway: 'pkwy', esplanade: 'esp',
  rue: 'rue', chemin: 'ch', platz: 'pl', weg: 'weg', gasse: 'g', alley: 'aly', trail: 'trl', route: 'rte',
  mount: 'mt', point: 'pt', heights: 'hts', centre: 'ctr', center: 'ctr', apartment: 'apt', flat: 'apt', unit: 'apt',
  suite: 'ste', building: 'bldg', floor: 'fl', north: 'n', south: 's', east: 'e', west: 'w',
};

/** Street line: folded, street types and directions abbreviated (Street → st), "straße" suffixes split. */
export function normalizeStreet(raw: string): string | null {
  const s = foldText(clip(raw)).replace(/(\p{L})(strasse|str)\b/gu, '$1 st');
  if (!s) return null;
  const out = s.split(' ').map((t) => STREET_TYPES[t] ?? t);
  return out.join(' ');
}

/** House number: the leading number and an optional letter (12a); ranges keep their first number (12-14 → 12). */
export function normalizeHouseNumber(raw: string): string | null {
  const s = foldText(clip(raw));
  if (!s) return null;
  const m = /(\d+)\s*([a-z])?(?![a-z])/.exec(s);
  if (m) return m[1].replace(/^0+(?=\d)/, '') + (m[2] ?? '');
  return s.replace(/ /g, '');
}

/** Postcode: upper-case alphanumerics without spaces (sw1a 1aa → SW1A1AA); ZIP+4 keeps the ZIP. */
export function normalizePostcode(raw: string): string | null {
  const t = clip(raw).trim();
  const zip4 = /^(\d{5})[-\s]\d{4}$/.exec(t);
  if (zip4) return zip4[1];
  const s = foldText(t).replace(/ /g, '').toUpperCase();
  return s.length ? s : null;
}

/** City, region, free text: folded; "saint"/"st." unified. */
export function normalizePlace(raw: string): string | null {
  const s = foldText(clip(raw));
  if (!s) return null;
  return s
    .split(' ')
    .map((t) => (t === 'saint' || t === 'ste' ? 'st' : t === 'mount' ? 'mt' : t === 'fort' ? 'ft' : t))
    .join(' ');
}

const COUNTRIES: Record<string, string> = {
  'united kingdom': 'gb', uk: 'gb', 'great britain': 'gb', england: 'gb', scotland: 'gb', wales: 'gb', britain: 'gb',
  'united states': 'us', 'united states of america': 'us', usa: 'us', america: 'us',
  germany: 'de', deutschland: 'de', france: 'fr', spain: 'es', espana: 'es', italy: 'it', italia: 'it',
  netherlands: 'nl', 'the netherlands': 'nl', holland: 'nl', nederland: 'nl', belgium: 'be', austria: 'at',
  osterreich: 'at', switzerland: 'ch', schweiz: 'ch', suisse: 'ch', sweden: 'se', sverige: 'se', norway: 'no',
  denmark: 'dk', finland: 'fi', ireland: 'ie', poland: 'pl', polska: 'pl', portugal: 'pt', australia: 'au',
  'new zealand': 'nz', canada: 'ca', mexico: 'mx', brazil: 'br', brasil: 'br', india: 'in', china: 'cn', japan: 'jp',
};

/** Country: ISO 3166 alpha-2 (lower case) for common names and codes, else the folded text. */
export function normalizeCountry(raw: string): string | null {
  const s = foldText(clip(raw));
  if (!s) return null;
  return COUNTRIES[s] ?? s;
}

export function normalizeGender(raw: string): string | null {
  const s = foldText(clip(raw));
  if (!s) return null;
  if (s === 'm' || s === 'male' || s === 'man' || s === 'mr' || s === 'masculin' || s === 'mannlich') return 'm';
  if (s === 'f' || s === 'w' || s === 'female' || s === 'woman' || s === 'mrs' || s === 'ms' || s === 'feminin' || s === 'weiblich') return 'f';
  return s;
}

/** Identifier text: folded with all separators removed (AB-123 456 → ab123456). */
export function normalizeIdentifier(raw: string): string | null {
  const s = foldText(clip(raw)).replace(/ /g, '');
  return s.length ? s : null;
}

import { parsePhoneNumberFromString, type CountryCode } from 'libphonenumber-js/min';

const SKELETON_RE = /[^\d+]/g;
const CACHE_LIMIT = 200_000;

/**
 * Phone number to E.164 (+441632960000) using libphonenumber-js, or null if it cannot be a phone number.
 * National numbers are read in `defaultRegion`. Parsing costs ~10-30 µs, so results are memoized by
 * digit skeleton (formatting differences share one parse).
 */
export class PhoneNormalizer {
  private readonly cache = new Map<string, string | null>();

  constructor(readonly defaultRegion: string = 'GB') {}

  normalize(raw: string): string | null {
    if (!raw) return null;
    let s = raw.normalize('NFKC');
    const ext = s.search(/(?:ext\.?|x|#)\s*\d+\s*$/i);
    if (ext > 0) s = s.slice(0, ext);
    s = s.replace(SKELETON_RE, '');
    if (s.startsWith('00')) s = `+${s.slice(2)}`;
    const digits = s.replace(/\+/g, '').length;
    if (digits < 6 || digits > 17) return null;
    const hit = this.cache.get(s);
    if (hit !== undefined) return hit;
    const parsed = parsePhoneNumberFromString(s, this.defaultRegion as CountryCode);
    const out = parsed && parsed.isPossible() ? parsed.number : null;
    if (this.cache.size >= CACHE_LIMIT) this.cache.clear();
    this.cache.set(s, out);
    return out;
  }
}

const shared = new Map<string, PhoneNormalizer>();

export function normalizePhone(raw: string, defaultRegion = 'GB'): string | null {
  let n = shared.get(defaultRegion);
  if (!n) {
    n = new PhoneNormalizer(defaultRegion);
    shared.set(defaultRegion, n);
  }
  return n.normalize(raw);
}

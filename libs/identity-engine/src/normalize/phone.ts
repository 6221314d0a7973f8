import { parsePhoneNumberFromString, type CountryCode } from 'libphonenumber-js/min';

const SKELETON_RE = /[^\d+]/g;
const CACHE_LIMIT = 200_000;

interface Shape {
  /** Observations that agreed with `rule`; trusted once it reaches SHAPE_TRUST. */
  agreed: number;
  /** null: numbers of this shape are not possible numbers; otherwise E.164 = prefix + digits.slice(strip). */
  rule: { prefix: string; strip: number } | null;
  /** Observations disagreed: always parse this shape. */
  mixed: boolean;
}

const SHAPE_TRUST = 8;

/**
 * Phone number to E.164 (+441632960000) using libphonenumber-js, or null if it cannot be a phone number.
 * National numbers are read in `defaultRegion`.
 *
 * Parsing costs ~20 µs, too much for millions of records, so results are memoized twice: by digit
 * skeleton (formatting differences share one parse), and by *shape* (leading '+', length, first four
 * digits). libphonenumber treats numbers of one shape alike (same country code, same national prefix to
 * strip, same possible-length verdict); once SHAPE_TRUST parses of a shape agree on how input digits map
 * to E.164, further numbers of that shape reuse the mapping. A shape whose parses ever disagree is always
 * parsed. Every mapping comes from libphonenumber; none is written by hand.
 */
export class PhoneNormalizer {
  private readonly cache = new Map<string, string | null>();
  private readonly shapes = new Map<string, Shape>();

  constructor(readonly defaultRegion: string = 'GB') {}

  normalize(raw: string): string | null {
    if (!raw) return null;
    let s = raw.normalize('NFKC');
    const ext = s.search(/(?:ext\.?|x|#)\s*\d+\s*$/i);
    if (ext > 0) s = s.slice(0, ext);
    s = s.replace(SKELETON_RE, '');
    if (s.startsWith('00')) s = `+${s.slice(2)}`;
    const plus = s.charCodeAt(0) === 43;
    const digits = s.replace(/\+/g, '');
    if (digits.length < 6 || digits.length > 17) return null;
    if (plus) s = `+${digits}`;
    else s = digits;
    const hit = this.cache.get(s);
    if (hit !== undefined) return hit;
    const key = `${plus ? '+' : ''}${digits.length}:${digits.slice(0, 4)}`;
    const shape = this.shapes.get(key);
    let out: string | null;
    if (shape && !shape.mixed && shape.agreed >= SHAPE_TRUST) {
      out = shape.rule ? shape.rule.prefix + digits.slice(shape.rule.strip) : null;
    } else {
      const parsed = parsePhoneNumberFromString(s, this.defaultRegion as CountryCode);
      out = parsed && parsed.isPossible() ? parsed.number : null;
      this.learn(key, shape, digits, out);
    }
    if (this.cache.size >= CACHE_LIMIT) this.cache.clear();
    this.cache.set(s, out);
    return out;
  }

  private learn(key: string, shape: Shape | undefined, digits: string, out: string | null): void {
    let rule: Shape['rule'] = null;
    if (out !== null) {
      rule = { prefix: '', strip: -1 };
      for (let k = 0; k <= 4 && k < digits.length; k++) {
        const tail = digits.slice(k);
        if (out.endsWith(tail) && out.length - tail.length >= 2) {
          rule = { prefix: out.slice(0, out.length - tail.length), strip: k };
          break;
        }
      }
      if (rule.strip < 0) {
        if (shape) shape.mixed = true;
        else this.shapes.set(key, { agreed: 0, rule: null, mixed: true });
        return;
      }
    }
    if (!shape) {
      this.shapes.set(key, { agreed: 1, rule, mixed: false });
      return;
    }
    const same = shape.rule === null ? rule === null : rule !== null && rule.prefix === shape.rule.prefix && rule.strip === shape.rule.strip;
    if (same) shape.agreed++;
    else shape.mixed = true;
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

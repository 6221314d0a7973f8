const NON_DECOMPOSING: Record<string, string> = {
  ß: 'ss',
  æ: 'ae',
  œ: 'oe',
  ø: 'o',
  ł: 'l',
  đ: 'd',
  ð: 'd',
  þ: 'th',
  ı: 'i',
  ŧ: 't',
};
const NON_DECOMPOSING_RE = /[ßæœøłđðþıŧ]/g;
const COMBINING_MARKS_RE = /[\u0300-\u036f\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f]/g;
const PRINTABLE_ASCII_RE = /^[\x20-\x7e]*$/;
const NON_ALNUM_RE = /[^\p{L}\p{N}]+/gu;
const ASCII_NON_ALNUM_RE = /[^a-z0-9]+/g;

/**
 * Case-folds and strips accents: NFKC compatibility forms, then NFKD with combining marks removed,
 * then letters that do not decompose (ß, æ, ø, ł …) spelled out. Keeps letters of any script.
 */
export function foldCase(input: string): string {
  if (PRINTABLE_ASCII_RE.test(input)) return input.toLowerCase();
  return input
    .normalize('NFKC')
    .toLowerCase()
    .normalize('NFKD')
    .replace(COMBINING_MARKS_RE, '')
    .replace(NON_DECOMPOSING_RE, (ch) => NON_DECOMPOSING[ch] ?? ch)
    .normalize('NFC');
}

/** foldCase, then every run of punctuation or whitespace becomes one space; trimmed. Empty result → ''. */
export function foldText(input: string): string {
  const folded = foldCase(input);
  const re = PRINTABLE_ASCII_RE.test(folded) ? ASCII_NON_ALNUM_RE : NON_ALNUM_RE;
  re.lastIndex = 0;
  return folded.replace(re, ' ').trim();
}

/** True for null, undefined and strings that are blank or a common "no value" marker. */
export function isBlank(value: string | null | undefined): value is null | undefined | '' {
  if (value === null || value === undefined) return true;
  const t = value.trim();
  if (t.length === 0) return true;
  const l = t.toLowerCase();
  return l === 'null' || l === 'nan' || l === 'n/a' || l === 'none' || l === '-';
}

/** Limits pathological inputs (a whole document pasted into a name field) before any quadratic work. */
export const MAX_VALUE_LENGTH = 256;

export function clip(value: string): string {
  return value.length > MAX_VALUE_LENGTH ? value.slice(0, MAX_VALUE_LENGTH) : value;
}

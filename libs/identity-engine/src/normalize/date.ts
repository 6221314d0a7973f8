export interface DateOptions {
  /** Read ambiguous 03/04/1990 as day-first (3 April). Default true (most of the world). */
  dayFirst?: boolean;
  /** Two-digit years at or below this are 20xx, above are 19xx. Default 30. */
  twoDigitYearPivot?: number;
}

const MONTHS: Record<string, number> = {
  jan: 1, feb: 2, mar: 3, apr: 4, may: 5, jun: 6, jul: 7, aug: 8, sep: 9, sept: 9, oct: 10, nov: 11, dec: 12,
  january: 1, february: 2, march: 3, april: 4, june: 6, july: 7, august: 8, september: 9, october: 10, november: 11, december: 12,
  janv: 1, fevr: 2, mars: 3, avr: 4, mai: 5, juin: 6, juil: 7, aout: 8, okt: 10, dez: 12, marz: 3, januar: 1, februar: 2,
};

function pad(n: number, w: number): string {
  return String(n).padStart(w, '0');
}

function year(y: number, digits: number, pivot: number): number {
  if (digits > 2) return y;
  return y <= pivot ? 2000 + y : 1900 + y;
}

function emit(y: number, m: number, d: number): string | null {
  if (!(y >= 1000 && y <= 2999 && m >= 1 && m <= 12 && d >= 1 && d <= 31)) return null;
  // Day 29-31 on short months is kept: the digits still match their twin record exactly.
  return `${pad(y, 4)}${pad(m, 2)}${pad(d, 2)}`;
}

/**
 * A date in any common written form to YYYYMMDD, or null when it is not a date. Accepts
 * YYYYMMDD, YYYY-MM-DD (with or without time), DD/MM/YYYY, MM/DD/YYYY (by `dayFirst` when ambiguous,
 * by value when not), DD.MM.YY, "12 Mar 1990", "March 12, 1990".
 */
export function normalizeDate(raw: string, options: DateOptions = {}): string | null {
  const dayFirst = options.dayFirst ?? true;
  const pivot = options.twoDigitYearPivot ?? 30;
  const s = raw.trim().toLowerCase();
  if (!s || s.length > 64) return null;
  let m = /^(\d{4})(\d{2})(\d{2})$/.exec(s);
  if (m) return emit(+m[1], +m[2], +m[3]);
  m = /^(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})(?:[t\s].*)?$/.exec(s);
  if (m) return emit(+m[1], +m[2], +m[3]);
  m = /^(\d{1,2})[-/.\s](\d{1,2})[-/.\s](\d{2}|\d{4})(?:[t\s].*)?$/.exec(s);
  if (m) {
    const a = +m[1];
    const b = +m[2];
    const y = year(+m[3], m[3].length, pivot);
    const dotted = s.includes('.');
    if (a > 12 && b <= 12) return emit(y, b, a);
    if (b > 12 && a <= 12) return emit(y, a, b);
    return dayFirst || dotted ? emit(y, b, a) : emit(y, a, b);
  }
  m = /^(\d{1,2})(?:st|nd|rd|th)?[\s\-/.]+([a-z]+)\.?[\s\-/.,]+(\d{2}|\d{4})$/.exec(s);
  if (m && MONTHS[m[2]] !== undefined) return emit(year(+m[3], m[3].length, pivot), MONTHS[m[2]], +m[1]);
  m = /^([a-z]+)\.?\s+(\d{1,2})(?:st|nd|rd|th)?,?\s+(\d{2}|\d{4})$/.exec(s);
  if (m && MONTHS[m[1]] !== undefined) return emit(year(+m[3], m[3].length, pivot), MONTHS[m[1]], +m[2]);
  m = /^(\d{8})$/.exec(s.replace(/[-/.\s]/g, ''));
  if (m) return normalizeDate(m[1], options);
  return null;
}

import type { Readable } from 'node:stream';

/** One row of a recipient list, before normalization. */
export type RecipientRow =
  | { kind: 'email'; value: string }
  | { kind: 'phone'; value: string }
  | { kind: 'record'; source: string; recordId: string }
  | { kind: 'invalid'; reason: string };

/** Content types of a recipient list: JSON lines (two names in use) or CSV. */
export const RECIPIENT_LIST_TYPES = ['application/x-ndjson', 'application/jsonl', 'text/csv'];

/** A row longer than this is not a recipient; it is counted invalid and skipped. */
const MAX_LINE = 4096;

/**
 * Lines of a stream, a network chunk's worth at a time (one await per chunk, not per line), without
 * buffering more than one partial line (a malicious one is cut at MAX_LINE).
 */
export async function* lineBatches(stream: Readable): AsyncGenerator<string[]> {
  let carry = '';
  let overlong = false;
  stream.setEncoding('utf8');
  for await (const chunk of stream as AsyncIterable<string>) {
    const batch: string[] = [];
    let start = 0;
    for (;;) {
      const nl = chunk.indexOf('\n', start);
      if (nl < 0) break;
      const line = overlong ? '\u0000overlong' : carry + chunk.slice(start, nl);
      carry = '';
      overlong = false;
      batch.push(line.endsWith('\r') ? line.slice(0, -1) : line);
      start = nl + 1;
    }
    if (!overlong) {
      carry += chunk.slice(start);
      if (carry.length > MAX_LINE) {
        overlong = true;
        carry = '';
      }
    }
    if (batch.length) yield batch;
  }
  if (overlong) yield ['\u0000overlong'];
  else if (carry.length) yield [carry.endsWith('\r') ? carry.slice(0, -1) : carry];
}

/**
 * The commonest line, `{"email":"…"}` with nothing to unescape: read without JSON.parse and the
 * object it builds for every row. No quote, backslash or control character inside, so the value is
 * exactly what JSON.parse would give.
 */
const PLAIN_EMAIL_LINE = /^\{"email":"([^"\\\u0000-\u001f]+)"\}$/;

/** `{"email": …}`, `{"phone": …}` or `{"source": …, "recordId": …}` per line. */
export function parseJsonLine(line: string): RecipientRow | undefined {
  const plain = PLAIN_EMAIL_LINE.exec(line);
  if (plain) return { kind: 'email', value: plain[1] };
  if (line.trim() === '') return undefined;
  if (line === '\u0000overlong') return { kind: 'invalid', reason: 'line too long' };
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    return { kind: 'invalid', reason: 'not JSON' };
  }
  return fromObject(value);
}

export function fromObject(value: unknown): RecipientRow {
  if (!value || typeof value !== 'object' || Array.isArray(value)) return { kind: 'invalid', reason: 'not an object' };
  const o = value as Record<string, unknown>;
  // PostgreSQL text cannot hold NUL; such a row names nobody.
  for (const key of ['email', 'phone', 'source', 'recordId']) if (typeof o[key] === 'string' && (o[key] as string).includes('\u0000')) return { kind: 'invalid', reason: 'holds a NUL character' };
  if (typeof o.email === 'string' && o.email) return { kind: 'email', value: o.email };
  if (typeof o.phone === 'string' && o.phone) return { kind: 'phone', value: o.phone };
  if (typeof o.source === 'string' && typeof o.recordId === 'string' && o.source && o.recordId) return { kind: 'record', source: o.source, recordId: o.recordId };
  return { kind: 'invalid', reason: 'needs email, phone, or source with recordId' };
}

/** A CSV whose header names any of email, phone, source, recordId; the first usable column wins per row. */
export class CsvRows {
  private header: string[] | undefined;

  parse(line: string): RecipientRow | undefined {
    if (line.trim() === '') return undefined;
    if (line === '\u0000overlong') return { kind: 'invalid', reason: 'line too long' };
    const cells = splitCsv(line);
    if (!this.header) {
      this.header = cells.map((c) => c.trim());
      if (!this.header.some((h) => ['email', 'phone', 'source', 'recordId'].includes(h))) {
        throw new Error('the CSV header must name at least one of the columns email, phone, source and recordId');
      }
      return undefined;
    }
    const row: Record<string, string> = {};
    this.header.forEach((name, i) => (row[name] = (cells[i] ?? '').trim()));
    return fromObject(row);
  }
}

function splitCsv(line: string): string[] {
  const out: string[] = [];
  let cell = '';
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (quoted) {
      if (c === '"' && line[i + 1] === '"') {
        cell += '"';
        i++;
      } else if (c === '"') quoted = false;
      else cell += c;
    } else if (c === '"' && cell === '') quoted = true;
    else if (c === ',') {
      out.push(cell);
      cell = '';
    } else cell += c;
  }
  out.push(cell);
  return out;
}

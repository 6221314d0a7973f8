import { createReadStream } from 'node:fs';
import { StringDecoder } from 'node:string_decoder';

/** A problem with the input that the user must fix (exit code 2). */
export class UsageError extends Error {}

/**
 * Incremental RFC 4180 parser: quoted fields with doubled quotes, embedded commas and newlines, CRLF or
 * LF, optional BOM, optional final newline. A quote that opens mid-field or never closes is an error
 * naming the line, not a silently shifted column.
 */
export class CsvParser {
  private field = '';
  private row: string[] = [];
  private inQuotes = false;
  private afterQuote = false;
  private fieldStarted = false;
  private line = 1;
  private rowLine = 1;
  private first = true;
  private pendingCR = false;

  constructor(
    private readonly file: string,
    private readonly onRow: (row: string[], line: number) => void,
  ) {}

  push(chunk: string): void {
    let s = chunk;
    if (this.first) {
      this.first = false;
      if (s.charCodeAt(0) === 0xfeff) s = s.slice(1);
    }
    const len = s.length;
    let i = 0;
    while (i < len) {
      const c = s.charCodeAt(i);
      if (this.pendingCR) {
        this.pendingCR = false;
        if (c === 10) {
          i++;
          continue;
        }
      }
      if (this.inQuotes) {
        const q = s.indexOf('"', i);
        if (q < 0) {
          this.countLines(s, i, len);
          this.field += s.slice(i);
          return;
        }
        this.countLines(s, i, q);
        this.field += s.slice(i, q);
        this.inQuotes = false;
        this.afterQuote = true;
        i = q + 1;
        continue;
      }
      if (c === 34) {
        if (this.afterQuote) {
          // A doubled quote inside a quoted field.
          this.field += '"';
          this.inQuotes = true;
          this.afterQuote = false;
        } else if (this.fieldStarted && this.field.trim().length > 0) {
          throw new UsageError(`${this.file} line ${this.line}: broken quoting (a quote inside an unquoted field)`);
        } else {
          this.field = '';
          this.inQuotes = true;
          this.fieldStarted = true;
        }
        i++;
        continue;
      }
      if (c === 44) {
        this.endField();
        i++;
        continue;
      }
      if (c === 10 || c === 13) {
        this.endField();
        this.endRow();
        this.line++;
        this.rowLine = this.line;
        if (c === 13) this.pendingCR = true;
        i++;
        continue;
      }
      if (this.afterQuote) {
        if (c === 32 || c === 9) {
          i++;
          continue;
        }
        throw new UsageError(`${this.file} line ${this.line}: broken quoting (text after a closing quote)`);
      }
      // Plain run up to the next special character.
      let j = i;
      while (j < len) {
        const d = s.charCodeAt(j);
        if (d === 44 || d === 10 || d === 13 || d === 34) break;
        j++;
      }
      this.field += s.slice(i, j);
      this.fieldStarted = true;
      i = j;
    }
  }

  end(): void {
    if (this.inQuotes) throw new UsageError(`${this.file} line ${this.rowLine}: broken quoting (a quoted field is never closed)`);
    if (this.fieldStarted || this.row.length > 0) {
      this.endField();
      this.endRow();
    }
  }

  private countLines(s: string, from: number, to: number): void {
    for (let k = s.indexOf('\n', from); k >= 0 && k < to; k = s.indexOf('\n', k + 1)) this.line++;
  }

  private endField(): void {
    this.row.push(this.field);
    this.field = '';
    this.afterQuote = false;
    this.fieldStarted = false;
  }

  private endRow(): void {
    const row = this.row;
    this.row = [];
    // Blank lines are skipped.
    if (row.length === 1 && row[0].trim() === '') return;
    this.onRow(row, this.rowLine);
  }
}

/** Streams a CSV file row by row (header included) without holding the file in memory. */
export async function readCsv(file: string, onRow: (row: string[], line: number) => void): Promise<void> {
  const parser = new CsvParser(file, onRow);
  const decoder = new StringDecoder('utf8');
  const stream = createReadStream(file, { highWaterMark: 1 << 20 });
  try {
    for await (const chunk of stream) parser.push(decoder.write(chunk as Buffer));
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    if (err.code === 'ENOENT') throw new UsageError(`input file not found: ${file}`);
    if (err.code === 'EISDIR') throw new UsageError(`input is a directory, not a CSV file: ${file}`);
    if (err.code === 'EACCES') throw new UsageError(`cannot read input file (permission denied): ${file}`);
    throw e;
  }
  parser.push(decoder.end());
  parser.end();
}

const NEEDS_QUOTES = /[",\r\n]/;

export function csvField(value: string): string {
  return NEEDS_QUOTES.test(value) ? `"${value.replace(/"/g, '""')}"` : value;
}

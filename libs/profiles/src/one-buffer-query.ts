/* eslint-disable @typescript-eslint/no-require-imports */
import { Query } from 'pg';

// node-postgres's own mapping of a JavaScript value to a parameter (dates, arrays, objects, buffers).
const { prepareValue } = require('pg/lib/utils') as { prepareValue(value: unknown): string | Buffer | null | undefined };
const pgVersion: string = require('pg/package.json').version;

/** The node-postgres version whose Query this one extends, checked against it byte for byte in the spec. */
export const ONE_BUFFER_PG_VERSION = '8.23.1';

interface Connection {
  stream: { write(chunk: Buffer): boolean };
  sync(): void;
}

/** What node-postgres's Query does that this one builds on (not in its type declarations). */
interface QueryInternals {
  text: string;
  values?: unknown[];
  name?: string;
  portal?: string;
  rows?: number;
  binary?: boolean;
  types?: unknown[];
  handleError(error: Error, connection: Connection): void;
}

/**
 * A statement sent as one buffer of exactly its size: Parse, Bind, Describe, Execute and Sync.
 *
 * node-postgres serializes a Bind into a writer that starts at 256 bytes and grows by half again each
 * time it is full, then copies the result out: a 2 MB statement costs about 6 MB of buffers. Every one
 * is an ArrayBuffer that V8 counts as external memory, and past 64 MB of external memory above the last
 * full collection V8 starts one, marking a heap of a million records (Session 14 in the identity README).
 * Here the parameters' byte lengths are summed first and the messages written into one buffer.
 *
 * Only for unnamed statements with text parameters and text results, which is what the plan writer
 * sends; anything else (a name, a portal, row limits, parameter types, binary results) is handed to
 * node-postgres's own Query unchanged. Being a Query, it is allowed on a connection in pipeline mode.
 */
export class OneBufferQuery extends Query {
  constructor(text: string, values: unknown[], callback: (error: Error | null, result: { rows: unknown[]; rowCount: number | null; command: string }) => void) {
    // The types declare no (text, values, callback) constructor; node-postgres's Query takes it.
    super(text as never, values as never, callback as never);
  }

  prepare(connection: Connection): void {
    const self = this as unknown as QueryInternals;
    if (self.name || self.portal || self.rows || self.binary || (self.types && self.types.length > 0) || pgVersion !== ONE_BUFFER_PG_VERSION) {
      (Query.prototype as unknown as { prepare(c: Connection): void }).prepare.call(this, connection);
      return;
    }
    let message: Buffer;
    try {
      message = statementMessages(self.text, self.values ?? []);
    } catch (error) {
      // Nothing is written yet: a Sync alone brings the ReadyForQuery that ends this query.
      connection.sync();
      self.handleError(error as Error, connection);
      return;
    }
    // The parameters (a plan's array literals: megabytes a transaction) are not needed once written. A
    // pipelined statement waits behind the others for its answer, and would keep them past two
    // scavenges, into the old generation that only a full collection frees.
    self.values = undefined;
    connection.stream.write(message);
  }
}

const utf8 = (text: string) => Buffer.byteLength(text, 'utf8');

/** Describe the unnamed portal, Execute it (every row), Sync: the same bytes after every statement. */
const DESCRIBE_EXECUTE_SYNC = Buffer.from([0x44, 0, 0, 0, 6, 0x50, 0, 0x45, 0, 0, 0, 9, 0, 0, 0, 0, 0, 0x53, 0, 0, 0, 4]);

/**
 * The extended-protocol messages of one unnamed statement: Parse (no parameter types), Bind (text or,
 * for a Buffer, binary parameters; text results), Describe portal, Execute (all rows), Sync.
 */
export function statementMessages(text: string, values: readonly unknown[]): Buffer {
  const mapped = values.map((value) => prepareValue(value));
  const lengths = mapped.map((v) => (v == null ? -1 : typeof v === 'string' ? utf8(v) : v.length));
  // Each message: a code byte, then an Int32 length that counts itself and the body.
  const parse = 1 + 4 + 1 + utf8(text) + 1 + 2;
  const bind = 1 + 4 + 1 + 1 + 2 + 2 * mapped.length + 2 + lengths.reduce((sum, n) => sum + 4 + Math.max(n, 0), 0) + 2 + 2;
  const out = Buffer.allocUnsafe(parse + bind + DESCRIBE_EXECUTE_SYNC.length);
  // Parse: name '', text, no parameter types.
  let at = out.writeInt32BE(parse - 1, out.writeUInt8(0x50, 0));
  at = out.writeUInt8(0, at);
  at += out.write(text, at, 'utf8');
  at = out.writeInt16BE(0, out.writeUInt8(0, at));
  // Bind: portal '', statement '', one format code per parameter, the parameters, one result format (text).
  at = out.writeInt32BE(bind - 1, out.writeUInt8(0x42, at));
  at = out.writeInt16BE(mapped.length, out.writeUInt16BE(0, at));
  for (const v of mapped) at = out.writeInt16BE(Buffer.isBuffer(v) ? 1 : 0, at);
  at = out.writeInt16BE(mapped.length, at);
  mapped.forEach((v, i) => {
    at = out.writeInt32BE(lengths[i], at);
    if (v != null) at += typeof v === 'string' ? out.write(v, at, 'utf8') : v.copy(out, at);
  });
  at = out.writeInt16BE(0, out.writeInt16BE(1, at));
  DESCRIBE_EXECUTE_SYNC.copy(out, at);
  return out;
}

/* eslint-disable @typescript-eslint/no-require-imports */
import { serialize } from 'pg-protocol';
import { ONE_BUFFER_PG_VERSION, statementMessages } from './one-buffer-query';

const { prepareValue } = require('pg/lib/utils') as { prepareValue(value: unknown): string | Buffer | null };

/** What node-postgres's own Query writes for an unnamed statement: Parse, Bind, Describe portal, Execute, Sync. */
function nodePostgresMessages(text: string, values: unknown[]): Buffer {
  return Buffer.concat([
    serialize.parse({ text }),
    serialize.bind({ values, valueMapper: prepareValue } as never),
    serialize.describe({ type: 'P' }),
    serialize.execute(),
    serialize.sync(),
  ]);
}

describe('OneBufferQuery messages', () => {
  it('should be the bytes node-postgres writes for the same statement, whatever the parameters', () => {
    const longArray = `{${Array.from({ length: 20_000 }, (_, i) => `"value ${i} Zoë 李雷 🙂"`).join(',')}}`;
    const cases: Array<[string, unknown[]]> = [
      ['SELECT 1', []],
      ['SELECT $1::text, $2::bigint, $3::boolean, $4::text', ['Ångström', 1733300000123, true, null]],
      ['INSERT INTO t SELECT * FROM unnest($1::text[], $2::bigint[]) — naïve', [longArray, '{1,NULL,3}']],
      ['SELECT $1::bytea, $2::jsonb, $3::text', [Buffer.from([0, 1, 2, 255]), { a: 'b "c"' }, undefined]],
      ['SELECT $1::text[]', [['a', 'b"c', null]]],
    ];
    for (const [text, values] of cases) {
      expect(statementMessages(text, values).equals(nodePostgresMessages(text, values))).toBe(true);
    }
  });

  it('should be checked against the node-postgres version installed', () => {
    expect(require('pg/package.json').version).toBe(ONE_BUFFER_PG_VERSION);
  });

  it('should throw what node-postgres throws for a parameter it cannot map', () => {
    const circular: Record<string, unknown> = {};
    circular.self = circular;
    expect(() => statementMessages('SELECT $1::jsonb', [circular])).toThrow(/circular/i);
  });
});

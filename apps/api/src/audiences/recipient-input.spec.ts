import { Readable } from 'node:stream';
import { CsvRows, fromObject, lineBatches, parseJsonLine } from './recipient-input';

async function collect(chunks: string[]): Promise<string[]> {
  const out: string[] = [];
  for await (const batch of lineBatches(Readable.from(chunks.map((c) => Buffer.from(c))))) out.push(...batch);
  return out;
}

describe('recipient lists', () => {
  it('should split lines across chunk boundaries, drop CR, and cut an overlong line without buffering it', async () => {
    expect(await collect(['{"email":"a@x.io"}\r\n{"pho', 'ne":"+4670"}\n', 'last'])).toEqual(['{"email":"a@x.io"}', '{"phone":"+4670"}', 'last']);
    const long = await collect(['x'.repeat(3000), 'y'.repeat(3000), '\n{"email":"b@x.io"}\n']);
    expect(long).toHaveLength(2);
    expect(parseJsonLine(long[0])).toEqual({ kind: 'invalid', reason: 'line too long' });
    expect(parseJsonLine(long[1])).toEqual({ kind: 'email', value: 'b@x.io' });
  });

  it('should read each JSON line as an email, a phone or a source record, and say why a line is not one', () => {
    expect(parseJsonLine('{"source":"crm","recordId":"C-1"}')).toEqual({ kind: 'record', source: 'crm', recordId: 'C-1' });
    expect(parseJsonLine('   ')).toBeUndefined();
    expect(parseJsonLine('{"email": 42}')).toMatchObject({ kind: 'invalid' });
    expect(parseJsonLine('[1]')).toMatchObject({ kind: 'invalid', reason: 'not an object' });
    expect(parseJsonLine('{"email":')).toMatchObject({ kind: 'invalid', reason: 'not JSON' });
    expect(parseJsonLine('{"source":"crm","recordId":"C-1\\u0000"}')).toEqual({ kind: 'invalid', reason: 'holds a NUL character' });
  });

  it('should read a plain {"email"} line exactly as JSON.parse would, escapes and raw control characters included', () => {
    const lines = ['{"email":"a@x.io"}', '{"email":"a\\"b@x.io"}', '{"email":"\\u0041nna@x.io"}', '{"email":"x\\u0000@x.io"}', '{"email":""}', ' {"email":"a@x.io"}', '{"email":"a@x.io","phone":"1"}', '{"email":"Anna Berg <ANNA@x.io>"}'];
    for (const line of lines) expect(parseJsonLine(line)).toEqual(fromObject(JSON.parse(line)));
    expect(parseJsonLine('{"email":"a@x.io"}')).toEqual({ kind: 'email', value: 'a@x.io' });
    expect(parseJsonLine('{"email":"\\u0041nna@x.io"}')).toEqual({ kind: 'email', value: 'Anna@x.io' });
    // A raw tab or NUL inside a JSON string is not JSON.
    expect(parseJsonLine('{"email":"a\tb@x.io"}')).toEqual({ kind: 'invalid', reason: 'not JSON' });
    expect(parseJsonLine('{"email":"a\u0000b@x.io"}')).toEqual({ kind: 'invalid', reason: 'not JSON' });
  });

  it('should read CSV by its header, with quoted cells, and refuse a header naming no usable column', () => {
    const csv = new CsvRows();
    expect(csv.parse('source,recordId,email')).toBeUndefined();
    expect(csv.parse('crm,"C-1, main",')).toEqual({ kind: 'record', source: 'crm', recordId: 'C-1, main' });
    expect(csv.parse(',,"anna ""the"" berg@x.io"')).toEqual({ kind: 'email', value: 'anna "the" berg@x.io' });
    expect(() => new CsvRows().parse('name,city')).toThrow('must name at least one of the columns');
  });
});

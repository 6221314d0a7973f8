// Parameters of the resolver's multi-row statements, one array per column, read in SQL with
// `unnest($1::uuid[], $2::text[], …)`. They used to be one JSON document per statement read with
// `jsonb_to_recordset`, which makes PostgreSQL parse the whole document into jsonb (every key and
// every scalar) and then convert each scalar back to its column type (2,000 source-record-like rows,
// parsed only: 11-15 µs per row as a document against 8-9 as arrays, most of that the attributes' and
// identifiers' own jsonb). Array literals are built here rather than by node-postgres, whose
// per-element escaping costs this process about twice what JSON.stringify of the rows did.
// A JSON column travels as one JSON array of its values (see jsonbElements).

/** A uuid[] literal (uuids need no quoting); null or undefined is NULL. */
export function uuidArray(values: ReadonlyArray<string | null | undefined>): string {
  let out = '{';
  for (let i = 0; i < values.length; i++) {
    if (i) out += ',';
    const v = values[i];
    out += v == null ? 'NULL' : v;
  }
  return out + '}';
}

/** A text[] literal, every element quoted; null or undefined is NULL. */
export function textArray(values: ReadonlyArray<string | null | undefined>): string {
  let out = '{';
  for (let i = 0; i < values.length; i++) {
    if (i) out += ',';
    const v = values[i];
    out += v == null ? 'NULL' : `"${NEEDS_ESCAPE.test(v) ? v.replace(ESCAPED, '\\$&') : v}"`;
  }
  return out + '}';
}

const NEEDS_ESCAPE = /["\\]/;
const ESCAPED = /["\\]/g;

/** A numeric (or boolean, as true/false) array literal; null or undefined is NULL. */
export function scalarArray(values: ReadonlyArray<number | boolean | null | undefined>): string {
  let out = '{';
  for (let i = 0; i < values.length; i++) {
    if (i) out += ',';
    const v = values[i];
    out += v == null ? 'NULL' : String(v);
  }
  return out + '}';
}

/**
 * SQL for a jsonb[] read from parameter `$n`, a JSON array (`JSON.stringify(list)`, one element per
 * row): parsed once as a whole (one native JSON.stringify here is about twice as fast as one per row,
 * and PostgreSQL's parse of the array about as fast as of separate texts), then split in order.
 */
export function jsonbElements(n: number): string {
  return `ARRAY(SELECT e FROM jsonb_array_elements($${n}::jsonb) WITH ORDINALITY AS x(e, n) ORDER BY n)`;
}

/** Array literals one per line (a uuid[] per row), for `string_to_array($n, E'\n', '')` then a cast per row; null is NULL. */
export function uuidArrayLines(values: ReadonlyArray<ReadonlyArray<string> | null>): string {
  let out = '';
  for (let i = 0; i < values.length; i++) {
    if (i) out += '\n';
    const v = values[i];
    if (v !== null) out += uuidArray(v);
  }
  return out;
}

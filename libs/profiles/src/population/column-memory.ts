/**
 * Zeroed memory for the population's large typed arrays (its columns, key arena, key index and
 * survivorship arena), as a SharedArrayBuffer that no other thread ever sees. V8 counts every
 * ordinary ArrayBuffer toward its external memory and answers one allocated past its limit with a full
 * collection of the whole heap: with a million records (a 1 GB heap of mostly strings) about a second
 * of wall time, its marking on the event loop's core. The columns' next buffer (~430 MB at 2^20
 * records) was such an allocation, twice per crossing (apps/identity/README.md, Session 13). A shared
 * backing store is not counted (V8's BackingStore::PerIsolateAccountingLength is 0 for it), so
 * growing costs no collection. The memory still goes back when the buffer is collected, by a collection
 * the heap's own growth brings: an outgrown column set (a third of the new one's size) waits for it.
 * Its pages are mapped on first write, as an ArrayBuffer's are (see Prefault).
 */
export function columnBuffer(bytes: number): SharedArrayBuffer {
  return new SharedArrayBuffer(bytes);
}

export function float64Column(length: number): Float64Array {
  return new Float64Array(columnBuffer(length * 8));
}

export function int32Column(length: number): Int32Array {
  return new Int32Array(columnBuffer(length * 4));
}

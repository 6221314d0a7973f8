/**
 * The CRM connector's checkpoint: the last acknowledged contact of each of the two lists (live and
 * deleted), as its change time and id. Stored as text an operator can read and type:
 * `contacts=<ISO>/<id>;archived=<ISO>/<id>`. The id may be left out, and a bare ISO instant means
 * "both lists, everything changed after then".
 */
export interface CrmCursor {
  contacts: CrmMark | null;
  archived: CrmMark | null;
}

/** A position in one list: change time, and the id of the last contact taken at that time. */
export interface CrmMark {
  at: string;
  id: string | null;
}

export function parseCrmCursor(text: string | null): CrmCursor {
  if (!text) return { contacts: null, archived: null };
  if (!text.includes('=')) {
    const at = validInstant(text, 'cursor');
    return { contacts: { at, id: null }, archived: { at, id: null } };
  }
  const parts = Object.fromEntries(text.split(';').map((part) => part.split('=', 2) as [string, string]));
  return { contacts: parts.contacts ? parseMark(parts.contacts, 'contacts') : null, archived: parts.archived ? parseMark(parts.archived, 'archived') : null };
}

export function formatCrmCursor(cursor: CrmCursor): string {
  const mark = (m: CrmMark) => (m.id ? `${m.at}/${m.id}` : m.at);
  return [cursor.contacts && `contacts=${mark(cursor.contacts)}`, cursor.archived && `archived=${mark(cursor.archived)}`].filter(Boolean).join(';');
}

/**
 * The `updatedAfter` to ask for from a mark. With an id, one millisecond earlier: contacts changed
 * in the same millisecond as the mark but not yet taken must come back (the caller skips the ones
 * up to the mark's id). Without one, strictly after the instant.
 */
export function updatedAfterFor(mark: CrmMark | null): string | undefined {
  if (!mark) return undefined;
  return mark.id ? new Date(Date.parse(mark.at) - 1).toISOString() : mark.at;
}

/** True when a contact is at or before the mark, i.e. already taken. */
export function isAtOrBefore(mark: CrmMark | null, changedAtMs: number, id: string): boolean {
  if (!mark) return false;
  const at = Date.parse(mark.at);
  if (changedAtMs !== at) return changedAtMs < at;
  return mark.id !== null && compareIds(id, mark.id) <= 0;
}

// HubSpot ids are numbers as strings: compare as numbers when both are, else as text.
function compareIds(a: string, b: string): number {
  if (/^\d+$/.test(a) && /^\d+$/.test(b)) return a.length - b.length || (a < b ? -1 : a > b ? 1 : 0);
  return a < b ? -1 : a > b ? 1 : 0;
}

function parseMark(value: string, what: string): CrmMark {
  const slash = value.lastIndexOf('/');
  const [at, id] = slash > 0 ? [value.slice(0, slash), value.slice(slash + 1)] : [value, null];
  return { at: validInstant(at, what), id: id || null };
}

/** Throws a message naming the bad part, so a mistyped resync cursor is refused with a reason. */
function validInstant(value: string, what: string): string {
  const ms = Date.parse(value);
  if (Number.isNaN(ms)) throw new InvalidCursorError(`${what} in the CRM cursor is not an ISO instant: "${value.slice(0, 60)}"`);
  return new Date(ms).toISOString();
}

export class InvalidCursorError extends Error {
  override readonly name = 'InvalidCursorError';
}

/**
 * The CRM connector's checkpoint: the change time of the last acknowledged contact in each of the
 * two lists (live and deleted). Stored as text an operator can read and type:
 * `contacts=<ISO>;archived=<ISO>`. A bare ISO instant means "both lists from then on".
 */
export interface CrmCursor {
  contacts: string | null;
  archived: string | null;
}

export function parseCrmCursor(text: string | null): CrmCursor {
  if (!text) return { contacts: null, archived: null };
  if (!text.includes('=')) {
    const at = validInstant(text, 'cursor');
    return { contacts: at, archived: at };
  }
  const parts = Object.fromEntries(text.split(';').map((part) => part.split('=', 2) as [string, string]));
  return {
    contacts: parts.contacts ? validInstant(parts.contacts, 'contacts') : null,
    archived: parts.archived ? validInstant(parts.archived, 'archived') : null,
  };
}

export function formatCrmCursor(cursor: CrmCursor): string {
  return [cursor.contacts && `contacts=${cursor.contacts}`, cursor.archived && `archived=${cursor.archived}`].filter(Boolean).join(';');
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

/**
 * The marketing pull's checkpoint and resync cursor: an ISO instant, members changed at or after
 * it. Operators type it (`resync marketing --from 2026-11-01T00:00:00Z`); the pull writes the
 * `last_changed` of the last member Kafka acknowledged.
 */
export function parseMarketingCursor(text: string): string {
  // A bare number would parse as a year; ask for something that reads as a date.
  const ms = /^\d{4}-\d{2}-\d{2}/.test(text.trim()) ? Date.parse(text) : NaN;
  if (Number.isNaN(ms)) throw new InvalidMarketingCursorError(`the marketing cursor is an ISO 8601 instant such as 2026-11-01T09:30:00Z, not "${text.slice(0, 60)}"`);
  return new Date(ms).toISOString();
}

export class InvalidMarketingCursorError extends Error {
  override readonly name = 'InvalidCursorError';
}

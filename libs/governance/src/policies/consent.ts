import type { Purpose } from './policy-store';

/** One consent row of a profile: per channel, and per purpose ('' = every purpose). */
export interface ConsentRow {
  channel: string;
  purpose: string;
  status: string;
}

export type ConsentState = 'suppressed' | 'withdrawn' | 'granted' | 'unknown';
const RANK: Record<ConsentState, number> = { suppressed: 3, withdrawn: 2, granted: 1, unknown: 0 };

/** The most restrictive state among the rows for this channel that apply to the purpose. */
export function consentState(consents: readonly ConsentRow[], channel: string, purpose: string): ConsentState {
  let state: ConsentState = 'unknown';
  for (const row of consents) {
    if (row.channel !== channel || (row.purpose !== '' && row.purpose !== purpose)) continue;
    const s = (row.status in RANK ? row.status : 'unknown') as ConsentState;
    if (RANK[s] > RANK[state]) state = s;
  }
  return state;
}

/**
 * May a contact point on `channel` be returned for `purpose`? Suppressed (bounced, unsubscribed)
 * never; for a purpose that contacts people on a channel, only with consent granted (opt-in).
 */
export function contactAllowed(consents: readonly ConsentRow[], channel: string, purpose: Purpose): boolean {
  const state = consentState(consents, channel, purpose.name);
  if (state === 'suppressed') return false;
  return purpose.channel ? state === 'granted' : true;
}

/** The channels a contact field is used on, for a purpose. */
export function channelsOf(field: 'email' | 'phone', purpose: Purpose): string[] {
  if (field === 'email') return ['email'];
  if (purpose.channel === 'sms' || purpose.channel === 'phone') return [purpose.channel];
  return ['sms', 'phone'];
}

import { signWebhook, WEBHOOK_SIGNATURE_HEADER } from '@tandem/contracts';
import { MarketingSubscriber, subscriberId } from '../generator/customer-base';

export type MarketingWebhookType = 'subscribe' | 'unsubscribe' | 'profile' | 'upemail' | 'cleaned';

/** One webhook call as Mailchimp sends it: `type`, `fired_at` and bracketed `data[...]` fields. */
export interface MarketingWebhook {
  type: MarketingWebhookType;
  /** `YYYY-MM-DD HH:MM:SS`, UTC. */
  firedAt: string;
  /** Field names as paths: `merges.FNAME` is posted as `data[merges][FNAME]`. */
  data: Record<string, string>;
}

/** Mailchimp's `fired_at` format. */
export function firedAt(date: Date = new Date()): string {
  return date.toISOString().slice(0, 19).replace('T', ' ');
}

function memberData(subscriber: MarketingSubscriber): Record<string, string> {
  const data: Record<string, string> = {
    id: subscriber.id,
    list_id: subscriber.listId,
    email: subscriber.email,
    email_type: 'html',
    'merges.EMAIL': subscriber.email,
  };
  for (const [name, value] of Object.entries(subscriber.merges)) if (value) data[`merges.${name}`] = value;
  return data;
}

/** Builders for the five webhook types the hub understands. */
export const marketingWebhooks = {
  subscribe: (subscriber: MarketingSubscriber, at = new Date()): MarketingWebhook => ({ type: 'subscribe', firedAt: firedAt(at), data: { ...memberData(subscriber), ip_opt: '198.51.100.7' } }),
  unsubscribe: (subscriber: MarketingSubscriber, at = new Date()): MarketingWebhook => ({
    type: 'unsubscribe',
    firedAt: firedAt(at),
    data: { ...memberData(subscriber), action: 'unsub', reason: 'manual', campaign_id: 'cb398d21d2' },
  }),
  profile: (subscriber: MarketingSubscriber, at = new Date()): MarketingWebhook => ({ type: 'profile', firedAt: firedAt(at), data: memberData(subscriber) }),
  upemail: (subscriber: MarketingSubscriber, newEmail: string, at = new Date()): MarketingWebhook => ({
    type: 'upemail',
    firedAt: firedAt(at),
    data: { list_id: subscriber.listId, new_id: subscriberId(newEmail), new_email: newEmail, old_email: subscriber.email },
  }),
  cleaned: (subscriber: MarketingSubscriber, at = new Date()): MarketingWebhook => ({
    type: 'cleaned',
    firedAt: firedAt(at),
    data: { list_id: subscriber.listId, campaign_id: '4fjk2ma9xd', reason: 'hard', email: subscriber.email },
  }),
};

/** The webhook that put a subscriber in its current state: subscribe, unsubscribe or cleaned. */
export function webhookForStatus(subscriber: MarketingSubscriber, at = new Date()): MarketingWebhook {
  if (subscriber.status === 'cleaned') return marketingWebhooks.cleaned(subscriber, at);
  return subscriber.status === 'unsubscribed' ? marketingWebhooks.unsubscribe(subscriber, at) : marketingWebhooks.subscribe(subscriber, at);
}

/** The form body Mailchimp posts (`application/x-www-form-urlencoded`). */
export function encodeMarketingWebhook(webhook: MarketingWebhook): string {
  const form = new URLSearchParams();
  form.set('type', webhook.type);
  form.set('fired_at', webhook.firedAt);
  for (const [name, value] of Object.entries(webhook.data)) form.set(`data[${name.split('.').join('][')}]`, value);
  return form.toString();
}

export interface MarketingWebhookSenderOptions {
  /** The hub's endpoint, e.g. http://127.0.0.1:3001/v1/webhooks/marketing */
  url: string;
  secret: string;
}

/** Posts signed webhooks the way the marketing tool would. */
export class MarketingWebhookSender {
  constructor(private readonly options: MarketingWebhookSenderOptions) {}

  /** Sends one webhook and returns the HTTP status. `sign: false` sends it unsigned. */
  async send(webhook: MarketingWebhook, sign = true): Promise<number> {
    const body = encodeMarketingWebhook(webhook);
    const headers: Record<string, string> = { 'content-type': 'application/x-www-form-urlencoded', 'user-agent': 'MailChimp.com' };
    if (sign) headers[WEBHOOK_SIGNATURE_HEADER] = signWebhook(this.options.secret, body);
    const response = await fetch(this.options.url, { method: 'POST', headers, body, signal: AbortSignal.timeout(10000) });
    await response.arrayBuffer();
    return response.status;
  }
}

import { createHmac, timingSafeEqual } from 'node:crypto';

/** Header carrying a webhook's signature: `t=<unix seconds>,v1=<hex HMAC-SHA256>`. */
export const WEBHOOK_SIGNATURE_HEADER = 'x-tandem-signature';

/** How old a signed call may be before it is refused as a possible replay. */
export const WEBHOOK_TOLERANCE_SECONDS = 300;

/**
 * Signs a webhook body: HMAC-SHA256 with the shared secret over `<timestamp>.<raw body>`, so the
 * body cannot be altered and an old call cannot be replayed outside the tolerance.
 */
export function signWebhook(secret: string, rawBody: Buffer | string, timestampSeconds = Math.floor(Date.now() / 1000)): string {
  const mac = createHmac('sha256', secret).update(`${timestampSeconds}.`).update(rawBody).digest('hex');
  return `t=${timestampSeconds},v1=${mac}`;
}

export type SignatureCheck = { ok: true } | { ok: false; reason: string };

/** Checks a signature header against the raw body; constant-time on the MAC. */
export function verifyWebhookSignature(
  secret: string,
  rawBody: Buffer,
  header: string | undefined,
  nowSeconds = Math.floor(Date.now() / 1000),
  toleranceSeconds = WEBHOOK_TOLERANCE_SECONDS,
): SignatureCheck {
  if (!header) return { ok: false, reason: `missing ${WEBHOOK_SIGNATURE_HEADER} header` };
  // `t=…,v1=…` in any order, the last of a repeated name counting.
  let t: string | undefined;
  let v1: string | undefined;
  for (const part of header.split(',')) {
    const [name, value] = part.trim().split('=', 2);
    if (name === 't') t = value;
    else if (name === 'v1') v1 = value;
  }
  const timestamp = Number(t);
  if (!Number.isInteger(timestamp) || !v1) return { ok: false, reason: 'malformed signature header' };
  if (Math.abs(nowSeconds - timestamp) > toleranceSeconds) return { ok: false, reason: 'signature timestamp outside the tolerance' };
  // The MAC signWebhook writes in hex, compared as bytes (one per webhook: no hex round trip).
  const expected = createHmac('sha256', secret).update(`${timestamp}.`).update(rawBody).digest();
  const presented = Buffer.from(v1, 'hex');
  if (presented.length !== expected.length || !timingSafeEqual(presented, expected)) return { ok: false, reason: 'signature does not match' };
  return { ok: true };
}

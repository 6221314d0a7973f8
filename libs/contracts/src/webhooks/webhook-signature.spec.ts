import { createHmac } from 'node:crypto';
import { signWebhook, verifyWebhookSignature } from './webhook-signature';

const NOW = 1_764_870_000;

/** A header as a sender computes it with Node's own HMAC: what the check must agree with. */
function header(secret: string, body: Buffer, timestamp = NOW): string {
  return `t=${timestamp},v1=${createHmac('sha256', secret).update(`${timestamp}.`).update(body).digest('hex')}`;
}

describe('verifyWebhookSignature', () => {
  it('should accept a body signed with the secret for every kind of secret and body length', () => {
    // Short, block-sized, over a block (hashed first), non-ASCII; bodies empty to past the first scratch buffer.
    const secrets = ['s', 'tandem-bench-marketing-secret', 'k'.repeat(64), 'k'.repeat(65), 'l'.repeat(300), 'clé-secrète-漢字'];
    const bodies = [0, 1, 55, 64, 1000, 5000, 300_000].map((length) => Buffer.from('type=subscribe&data%5Bemail%5D=a%40example.com&'.repeat(length).slice(0, length)));
    for (const secret of secrets) {
      for (const body of bodies) {
        expect(verifyWebhookSignature(secret, body, header(secret, body), NOW)).toEqual({ ok: true });
        expect(verifyWebhookSignature(secret, body, signWebhook(secret, body, NOW), NOW)).toEqual({ ok: true });
      }
    }
  });

  it('should refuse a body altered after signing, even after a longer one was checked', () => {
    const secret = 'tandem-secret';
    const long = Buffer.from('x'.repeat(10_000));
    expect(verifyWebhookSignature(secret, long, header(secret, long), NOW)).toEqual({ ok: true });
    const body = Buffer.from('type=unsubscribe&data%5Bid%5D=1');
    const altered = Buffer.from('type=unsubscribe&data%5Bid%5D=2');
    expect(verifyWebhookSignature(secret, altered, header(secret, body), NOW)).toEqual({ ok: false, reason: 'signature does not match' });
  });

  it('should refuse a signature made with another secret, after that secret was used', () => {
    const body = Buffer.from('type=profile&data%5Bid%5D=7');
    expect(verifyWebhookSignature('first', body, header('first', body), NOW)).toEqual({ ok: true });
    expect(verifyWebhookSignature('second', body, header('first', body), NOW)).toEqual({ ok: false, reason: 'signature does not match' });
    expect(verifyWebhookSignature('first', body, header('first', body), NOW)).toEqual({ ok: true });
  });

  it('should refuse a replayed call outside the tolerance and a header without a MAC', () => {
    const body = Buffer.from('type=profile');
    expect(verifyWebhookSignature('s', body, header('s', body, NOW - 301), NOW)).toEqual({ ok: false, reason: 'signature timestamp outside the tolerance' });
    expect(verifyWebhookSignature('s', body, `t=${NOW}`, NOW)).toEqual({ ok: false, reason: 'malformed signature header' });
    expect(verifyWebhookSignature('s', body, undefined, NOW)).toEqual({ ok: false, reason: 'missing x-tandem-signature header' });
  });
});

import { erasureKey, erasureKeys } from './erasure/erasure-suppression';
import { JwtCodec, TokenError } from './auth/jwt';
import { hashSecret, verifySecret } from './auth/secret-hash';
import { consentState, contactAllowed } from './policies/consent';
import { maskEmail, maskPhone, maskValue } from './policies/masking';
import { EffectivePolicy, Purpose } from './policies/policy-store';
import { renderProfile } from './policies/render-profile';

const key = Buffer.alloc(32, 7);
const emailMarketing: Purpose = { name: 'email-marketing', description: '', channel: 'email' };
const personalization: Purpose = { name: 'personalization', description: '', channel: null };

describe('governance', () => {
  describe('access tokens', () => {
    it('should verify its own token and refuse a tampered, re-keyed or expired one', () => {
      const codec = new JwtCodec(key);
      const { token } = codec.sign('client-1', ['marketing'], 60, 1_000_000_000_000);
      expect(codec.verify(token, 1_000_000_030_000)).toMatchObject({ sub: 'client-1', roles: ['marketing'] });
      const [h, p, s] = token.split('.');
      const admin = Buffer.from(JSON.stringify({ ...JSON.parse(Buffer.from(p, 'base64url').toString()), roles: ['admin'] })).toString('base64url');
      expect(() => codec.verify(`${h}.${admin}.${s}`, 1_000_000_030_000)).toThrow('signature is invalid');
      expect(() => new JwtCodec(Buffer.alloc(32, 8)).verify(token, 1_000_000_030_000)).toThrow(TokenError);
      expect(() => codec.verify(token, 1_000_000_061_000)).toThrow('expired');
      expect(() => codec.verify('not.a-token', 0)).toThrow('not a JWT');
    });

    it('should refuse a key shorter than 32 bytes', () => {
      expect(() => new JwtCodec(Buffer.alloc(16))).toThrow('at least 32 bytes');
    });
  });

  describe('client secrets', () => {
    it('should verify the secret it hashed, with a fresh salt each time, and nothing else', async () => {
      const a = await hashSecret('s3cret');
      const b = await hashSecret('s3cret');
      expect(a).not.toBe(b);
      expect(a).toMatch(/^scrypt\$32768\$8\$1\$/);
      await expect(verifySecret('s3cret', a)).resolves.toBe(true);
      await expect(verifySecret('s3cret!', a)).resolves.toBe(false);
      await expect(verifySecret('s3cret', 'md5$abc')).resolves.toBe(false);
    });
  });

  describe('masking', () => {
    it('should show a phone as country code and last two digits, an email by its first letter and domain, a date by its year', () => {
      expect(maskPhone('+46701234512')).toBe('+46*******12');
      expect(maskEmail('anna.berg@example.com')).toBe('a***@example.com');
      expect(maskValue('birthDate', '1984-05-12', 'year', key)).toBe('1984');
      expect(maskValue('postcode', 'SW1A 1AA', 'partial', key)).toBe('SW******');
      const h = maskValue('email', 'anna@example.com', 'hash', key);
      expect(h).toBe(maskValue('email', 'anna@example.com', 'hash', key));
      expect(h).not.toContain('anna');
    });
  });

  describe('consent', () => {
    it('should take the most restrictive state among the rows for the channel and purpose', () => {
      const rows = [
        { channel: 'email', purpose: '', status: 'granted' },
        { channel: 'email', purpose: 'email-marketing', status: 'withdrawn' },
        { channel: 'sms', purpose: '', status: 'suppressed' },
      ];
      expect(consentState(rows, 'email', 'email-marketing')).toBe('withdrawn');
      expect(consentState(rows, 'email', 'newsletter')).toBe('granted');
      expect(consentState(rows, 'postal', 'email-marketing')).toBe('unknown');
      expect(contactAllowed(rows, 'email', emailMarketing)).toBe(false);
      expect(contactAllowed([{ channel: 'email', purpose: '', status: 'granted' }], 'email', emailMarketing)).toBe(true);
      expect(contactAllowed([], 'email', emailMarketing)).toBe(false);
      expect(contactAllowed([], 'email', personalization)).toBe(true);
      expect(contactAllowed(rows, 'sms', personalization)).toBe(false);
    });
  });

  describe('rendering a profile under a policy', () => {
    const profile = {
      id: 'p1',
      version: 3,
      updatedAt: '2026-01-01T00:00:00.000Z',
      golden: { givenName: 'Anna', familyName: 'Berg', birthDate: '1984-05-12', emails: [{ value: 'anna@example.com', verified: true }], phones: [{ value: '+46701234512' }] },
      lineage: { givenName: { source: 'crm' }, birthDate: { source: 'erp' } },
      consents: [{ channel: 'email', purpose: '', status: 'granted' }],
    };
    const policy = (purpose: Purpose, fields: string[], masking: Record<string, string> = {}): EffectivePolicy => ({
      purpose,
      fields: new Set(fields) as EffectivePolicy['fields'],
      masking: new Map(Object.entries(masking)) as EffectivePolicy['masking'],
      versions: ['marketing@1'],
    });

    it('should leave out every field the policy does not allow and report the fields it returned', () => {
      const { body, fields } = renderProfile(profile, policy(emailMarketing, ['givenName', 'email', 'lineage']), key);
      expect(body.attributes).toEqual({ givenName: 'Anna' });
      expect(body.email).toBe('anna@example.com');
      expect(body).not.toHaveProperty('phone');
      expect(body.lineage).toEqual({ givenName: { source: 'crm' } });
      expect(fields).toEqual(['givenName', 'email', 'lineage']);
    });

    it('should drop the email for email marketing without consent, and mask what the policy masks', () => {
      const withdrawn = { ...profile, consents: [{ channel: 'email', purpose: '', status: 'withdrawn' }] };
      expect(renderProfile(withdrawn, policy(emailMarketing, ['email']), key).body).not.toHaveProperty('email');
      const { body } = renderProfile(profile, policy(personalization, ['phone', 'birthDate'], { phone: 'partial', birthDate: 'year' }), key);
      expect(body.phone).toBe('+46*******12');
      expect(body.attributes).toEqual({ birthDate: '1984' });
    });
  });

  describe('erasure keys', () => {
    it('should key a record and its identifiers, but not anonymous ids', () => {
      const salt = Buffer.alloc(32, 1);
      const keys = erasureKeys(salt, { source: 'crm', sourceRecordId: 'C-1', identifiers: [{ type: 'email', value: 'a@example.com' }, { type: 'segment:anonymousId', value: 'x' }] });
      expect(keys.map((k) => k.kind)).toEqual(['source-record', 'email']);
      expect(keys[1].key.equals(erasureKey(salt, 'email', 'a@example.com'))).toBe(true);
      expect(erasureKey(Buffer.alloc(32, 2), 'email', 'a@example.com').equals(keys[1].key)).toBe(false);
    });
  });
});

import { createHmac, randomUUID, timingSafeEqual } from 'node:crypto';

/** Claims of an access token issued to a machine client. */
export interface AccessTokenClaims {
  iss: string;
  sub: string;
  roles: string[];
  iat: number;
  exp: number;
  jti: string;
}

/** Why a token was refused; the message is safe to return to the caller. */
export class TokenError extends Error {
  override readonly name = 'TokenError';
}

const HEADER = Buffer.from(JSON.stringify({ alg: 'HS256', typ: 'JWT' })).toString('base64url');
export const TOKEN_ISSUER = 'tandem-api';

/** Signs and verifies HS256 JWTs with one symmetric key. Only HS256 is accepted, whatever the header says. */
export class JwtCodec {
  constructor(private readonly key: Buffer) {
    if (key.length < 32) throw new Error('the token signing key must be at least 32 bytes');
  }

  sign(subject: string, roles: string[], ttlSeconds: number, now = Date.now()): { token: string; claims: AccessTokenClaims } {
    const iat = Math.floor(now / 1000);
    const claims: AccessTokenClaims = { iss: TOKEN_ISSUER, sub: subject, roles, iat, exp: iat + ttlSeconds, jti: randomUUID() };
    const body = `${HEADER}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}`;
    return { token: `${body}.${this.mac(body)}`, claims };
  }

  verify(token: string, now = Date.now()): AccessTokenClaims {
    const parts = token.split('.');
    if (parts.length !== 3) throw new TokenError('the bearer token is not a JWT');
    const [header, payload, signature] = parts;
    const expected = Buffer.from(this.mac(`${header}.${payload}`), 'base64url');
    const given = Buffer.from(signature, 'base64url');
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
      throw new TokenError('the bearer token signature is invalid');
    }
    // Checked after the signature: only a header we signed ourselves gets this far.
    if (header !== HEADER) throw new TokenError('the bearer token must be signed with HS256');
    let claims: AccessTokenClaims;
    try {
      claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as AccessTokenClaims;
    } catch {
      throw new TokenError('the bearer token payload is not valid JSON');
    }
    if (claims.iss !== TOKEN_ISSUER || typeof claims.sub !== 'string' || !Array.isArray(claims.roles) || typeof claims.exp !== 'number') {
      throw new TokenError('the bearer token does not carry the expected claims');
    }
    if (claims.exp * 1000 <= now) throw new TokenError('the bearer token has expired; request a new one at POST /oauth/token');
    return claims;
  }

  private mac(data: string): string {
    return createHmac('sha256', this.key).update(data).digest('base64url');
  }
}

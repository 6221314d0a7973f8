import { BadRequestException, Inject, Injectable, OnModuleInit, UnauthorizedException } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { type AccessTokenClaims, ClientStore, databaseSecret, isRole, JwtCodec, Role, SECRET_NAMES, TokenError } from '@tandem/governance';
import { ApiConfig } from '../api.config';
import { ClientDirectory } from './client-directory';
import { Principal } from './principal';

export interface IssuedToken {
  access_token: string;
  token_type: 'Bearer';
  expires_in: number;
  scope: string;
}

/** Issues access tokens for client credentials and turns a bearer token back into a principal. */
@Injectable()
export class TokenService implements OnModuleInit {
  private codec: JwtCodec;
  /**
   * Tokens whose signature and claims were checked, by their exact text: a client sends the same
   * token for its whole life, so the HMAC and the JSON are done once. Expiry is checked on every use.
   */
  private readonly verified = new Map<string, AccessTokenClaims>();

  constructor(
    @Inject(ApiConfig) private readonly config: ApiConfig,
    @Inject(DataSource) private readonly db: DataSource,
    @Inject(ClientStore) private readonly clients: ClientStore,
    @Inject(ClientDirectory) private readonly directory: ClientDirectory,
  ) {}

  async onModuleInit(): Promise<void> {
    const key = this.config.API_TOKEN_SECRET
      ? Buffer.from(this.config.API_TOKEN_SECRET, 'utf8')
      : await databaseSecret(this.db, SECRET_NAMES.tokenSigningKey);
    this.codec = new JwtCodec(key);
  }

  /** OAuth2 client credentials: the requested scope (space-separated roles) may only narrow the client's roles. */
  async issue(clientId: string, clientSecret: string, scope?: string): Promise<IssuedToken> {
    const client = await this.clients.authenticate(clientId, clientSecret);
    if (!client) throw new UnauthorizedException('invalid_client: unknown client_id or wrong client_secret');
    if (client.disabled) throw new UnauthorizedException('invalid_client: this client is disabled');
    let roles: Role[] = client.roles;
    if (scope !== undefined && scope.trim() !== '') {
      const asked = scope.trim().split(/\s+/);
      const refused = asked.filter((role) => !isRole(role) || !client.roles.includes(role));
      if (refused.length) throw new BadRequestException(`invalid_scope: this client does not hold ${refused.join(', ')}`);
      roles = asked as Role[];
    }
    const { token } = this.codec.sign(client.id, roles, this.config.API_TOKEN_TTL_SECONDS);
    this.directory.invalidate(client.id);
    return { access_token: token, token_type: 'Bearer', expires_in: this.config.API_TOKEN_TTL_SECONDS, scope: roles.join(' ') };
  }

  /** The principal of an `Authorization: Bearer …` header; 401 with the reason otherwise. */
  async authenticate(authorization: string | undefined): Promise<Principal> {
    if (!authorization) throw new UnauthorizedException('an access token is required: send Authorization: Bearer <token> (get one at POST /oauth/token)');
    const match = /^Bearer\s+([A-Za-z0-9_\-.]+)\s*$/i.exec(authorization);
    if (!match) throw new UnauthorizedException('the Authorization header must be "Bearer <token>"');
    const claims = this.verify(match[1]);
    const client = await this.directory.get(claims.sub);
    if (!client) throw new UnauthorizedException('the client of this token no longer exists');
    if (client.disabled) throw new UnauthorizedException('the client of this token is disabled');
    // Never more than the client holds now: a role removed since the token was issued is gone.
    const roles = claims.roles.filter((role): role is Role => isRole(role) && client.roles.includes(role));
    return { clientId: client.id, clientName: client.name, roles, rateLimitPerSecond: client.rateLimitPerSecond };
  }

  private verify(token: string): AccessTokenClaims {
    const known = this.verified.get(token);
    if (known && known.exp * 1000 > Date.now()) return known;
    try {
      // An expired token fails here with the codec's own words, and leaves the cache.
      const claims = this.codec.verify(token);
      if (this.verified.size >= 10_000) this.verified.clear();
      this.verified.set(token, claims);
      return claims;
    } catch (error) {
      this.verified.delete(token);
      if (error instanceof TokenError) throw new UnauthorizedException(error.message);
      throw error;
    }
  }
}

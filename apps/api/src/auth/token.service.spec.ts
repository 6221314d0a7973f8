import { UnauthorizedException } from '@nestjs/common';
import type { DataSource } from 'typeorm';
import { ApiClient, ClientStore, JwtCodec } from '@tandem/governance';
import { ApiConfig } from '../api.config';
import { ClientDirectory } from './client-directory';
import { TokenService } from './token.service';

const SECRET = 'unit-token-secret-0123456789-abcdefgh';
const client: ApiClient = { id: 'c-1', name: 'crm-sync', roles: ['marketing'], disabled: false, rateLimitPerSecond: null, createdAt: new Date(), updatedAt: new Date() };

async function service(): Promise<TokenService> {
  const config = Object.assign(new ApiConfig(), { API_TOKEN_SECRET: SECRET });
  const directory = { get: async (id: string) => (id === client.id ? client : undefined), invalidate: () => undefined } as unknown as ClientDirectory;
  const tokens = new TokenService(config, {} as DataSource, {} as ClientStore, directory);
  await tokens.onModuleInit();
  return tokens;
}

describe('token service', () => {
  afterEach(() => jest.restoreAllMocks());

  it('should refuse a token once it expires, even after accepting it while it was valid', async () => {
    const tokens = await service();
    const { token } = new JwtCodec(Buffer.from(SECRET)).sign(client.id, ['marketing'], 60);
    await expect(tokens.authenticate(`Bearer ${token}`)).resolves.toMatchObject({ clientId: 'c-1', roles: ['marketing'] });
    await expect(tokens.authenticate(`Bearer ${token}`)).resolves.toMatchObject({ clientId: 'c-1' });
    const later = Date.now() + 61_000;
    jest.spyOn(Date, 'now').mockReturnValue(later);
    await expect(tokens.authenticate(`Bearer ${token}`)).rejects.toThrow('expired');
  });

  it('should refuse a token re-signed with roles the accepted one did not have', async () => {
    const tokens = await service();
    const { token } = new JwtCodec(Buffer.from(SECRET)).sign(client.id, ['marketing'], 60);
    await tokens.authenticate(`Bearer ${token}`);
    const [header, payload, signature] = token.split('.');
    const admin = Buffer.from(JSON.stringify({ ...JSON.parse(Buffer.from(payload, 'base64url').toString()), roles: ['admin'] })).toString('base64url');
    await expect(tokens.authenticate(`Bearer ${header}.${admin}.${signature}`)).rejects.toThrow(UnauthorizedException);
    await expect(tokens.authenticate(`Bearer ${header}.${admin}.${signature}`)).rejects.toThrow('signature is invalid');
  });
});

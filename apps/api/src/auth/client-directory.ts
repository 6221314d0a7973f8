import { Inject, Injectable } from '@nestjs/common';
import { ApiClient, ClientStore } from '@tandem/governance';
import { ApiConfig } from '../api.config';

/**
 * Clients as the request path sees them: read through a short cache so that a token check costs no
 * query, yet a client disabled or stripped of a role stops working within `API_CLIENT_CACHE_MS`
 * everywhere, and at once on the replica that made the change.
 */
@Injectable()
export class ClientDirectory {
  private readonly cache = new Map<string, { client: ApiClient | undefined; at: number }>();

  constructor(
    @Inject(ClientStore) private readonly store: ClientStore,
    @Inject(ApiConfig) private readonly config: ApiConfig,
  ) {}

  async get(id: string): Promise<ApiClient | undefined> {
    const hit = this.cache.get(id);
    if (hit && Date.now() - hit.at < this.config.API_CLIENT_CACHE_MS) return hit.client;
    const client = await this.store.find(id);
    if (this.cache.size > 10_000) this.cache.clear();
    this.cache.set(id, { client, at: Date.now() });
    return client;
  }

  invalidate(id: string): void {
    this.cache.delete(id);
  }
}

import { Inject, Injectable, OnApplicationShutdown } from '@nestjs/common';
import { Pool } from 'pg';
import { ApiConfig } from '../api.config';
import { keptOpenPool } from '../kept-open-pool';

/**
 * Connections of the profile reads (lookups, audiences), apart from the DataSource's: their
 * prepared statements take arrays of inputs, so PostgreSQL's custom plan (the array's length known)
 * always looked cheaper than the generic one and every execution was planned anew, about 0.4 ms a
 * batch. Here the generic plan is forced (every statement is an index walk whatever the array's
 * length) and JIT is off (a 2,500-id audience query's cost estimate crossed its threshold).
 *
 * Few connections, kept open (see keptOpenPool): fresh backends cost seconds of CPU per
 * 100,000-recipient audience spread over 12 of them.
 */
@Injectable()
export class ReadConnection implements OnApplicationShutdown {
  readonly pool: Pool;

  constructor(@Inject(ApiConfig) config: ApiConfig) {
    this.pool = keptOpenPool(config, 'tandem-api-reads', 4, '-c plan_cache_mode=force_generic_plan -c jit=off');
  }

  async onApplicationShutdown(): Promise<void> {
    await this.pool.end();
  }
}

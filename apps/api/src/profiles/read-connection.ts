import { Inject, Injectable, OnApplicationShutdown } from '@nestjs/common';
import { Pool } from 'pg';
import { ApiConfig } from '../api.config';

/**
 * Connections of the profile reads (lookups, audiences), apart from the DataSource's: their
 * prepared statements take arrays of inputs, so PostgreSQL's custom plan (the array's length known)
 * always looked cheaper than the generic one and every execution was planned anew, about 0.4 ms a
 * batch. Here the generic plan is forced (every statement is an index walk whatever the array's
 * length) and JIT is off (a 2,500-id audience query's cost estimate crossed its threshold).
 *
 * Few connections, never closed when idle: a new PostgreSQL backend takes a page fault the first
 * time it touches each page of the shared buffers, which on this kind of virtual machine cost
 * seconds of CPU per 100,000-recipient audience spread over 12 fresh backends.
 */
@Injectable()
export class ReadConnection implements OnApplicationShutdown {
  readonly pool: Pool;

  constructor(@Inject(ApiConfig) config: ApiConfig) {
    this.pool = new Pool({
      connectionString: config.DATABASE_URL,
      max: 4,
      idleTimeoutMillis: 0,
      application_name: 'tandem-api-reads',
      options: '-c plan_cache_mode=force_generic_plan -c jit=off',
    });
    // A broken idle connection is replaced on the next query; the error itself needs no handling.
    this.pool.on('error', () => undefined);
  }

  async onApplicationShutdown(): Promise<void> {
    await this.pool.end();
  }
}

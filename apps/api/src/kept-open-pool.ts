import { Pool } from 'pg';
import { ApiConfig } from './api.config';

/**
 * A connection pool of the API's own, apart from the DataSource's, with its own session settings
 * (`options`, as `-c name=value` pairs). Its connections are never closed when idle: a new
 * PostgreSQL backend takes a page fault the first time it touches each page of the shared buffers,
 * which on this kind of virtual machine costs real CPU. A broken idle connection is replaced on the
 * next query; the error itself needs no handling.
 */
export function keptOpenPool(config: ApiConfig, name: string, max: number, options: string): Pool {
  const pool = new Pool({ connectionString: config.DATABASE_URL, max, idleTimeoutMillis: 0, application_name: name, options });
  pool.on('error', () => undefined);
  return pool;
}

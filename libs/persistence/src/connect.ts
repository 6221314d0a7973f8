import { setTimeout as sleep } from 'node:timers/promises';
import { DataSource } from 'typeorm';
import { DatabaseOptions, dataSourceOptions } from './data-source';
import { describeDatabaseUrl } from './database-url';

/** PostgreSQL did not answer within the start-up budget. */
export class DatabaseUnreachableError extends Error {
  override readonly name = 'DatabaseUnreachableError';
}

/**
 * Opens the pool, retrying with backoff for up to `timeoutMs`: a database that is still starting
 * is waited for; one that never comes is reported in one line naming where it was looked for.
 */
export async function connectDatabase(options: DatabaseOptions & { timeoutMs: number }): Promise<DataSource> {
  const deadline = Date.now() + options.timeoutMs;
  let delay = 250;
  for (;;) {
    const dataSource = new DataSource(dataSourceOptions(options));
    try {
      await dataSource.initialize();
      return dataSource;
    } catch (error) {
      if (isFatal(error) || Date.now() + delay > deadline) {
        throw new DatabaseUnreachableError(
          `cannot reach PostgreSQL at ${describeDatabaseUrl(options.url)} after ${Math.round(options.timeoutMs / 1000)} s: ${reason(error)}`,
        );
      }
      await sleep(delay);
      delay = Math.min(delay * 2, 5000);
    }
  }
}

// Waiting does not fix a database that does not exist or a role that is refused.
function isFatal(error: unknown): boolean {
  const code = (error as { code?: string }).code;
  return code === '3D000' || code === '28P01' || code === '28000';
}

function reason(error: unknown): string {
  const err = error as { code?: string; message?: string };
  if (err.code === 'ECONNREFUSED') return 'connection refused';
  if (err.code === '3D000') return `${err.message} (run npm start or npm run db:prepare to create it)`;
  return err.message ?? String(error);
}

import { DataSource } from 'typeorm';
import { HealthIndicator } from '@tandem/observability';

/** Ready when PostgreSQL answers a trivial query through the service's own pool. */
export class DatabaseHealthIndicator implements HealthIndicator {
  readonly name = 'database';

  constructor(private readonly dataSource: DataSource) {}

  async check(): Promise<void> {
    await this.dataSource.query('SELECT 1');
  }
}

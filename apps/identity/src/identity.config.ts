import { IsIn, IsInt, IsString, Matches, Max, Min } from 'class-validator';
import { TOPICS } from '@tandem/contracts';
import { CommonConfig, isPort } from '@tandem/observability';

export class IdentityConfig extends CommonConfig {
  @isPort()
  IDENTITY_PORT: number = 3002;

  /** Events taken from Kafka and handed to the resolver at once. */
  @IsInt()
  @Min(1)
  @Max(20000)
  IDENTITY_BATCH_SIZE: number = 2000;

  /**
   * Source records resolved in one transaction: larger transactions cost fewer round trips per event,
   * smaller ones hold the resolution lock for less time (latency of stewardship and other instances).
   */
  @IsInt()
  @Min(1)
  @Max(20000)
  IDENTITY_RESOLVE_RECORDS: number = 2000;

  /** Partitions whose batches are consumed at once (their chunks then share a resolution transaction). */
  @IsInt()
  @Min(1)
  @Max(64)
  IDENTITY_CONCURRENT_PARTITIONS: number = 6;

  /** Consumer group shared by every identity instance; Kafka divides the partitions among them. */
  @Matches(/^[A-Za-z0-9._-]{1,100}$/, { message: 'IDENTITY_CONSUMER_GROUP must be 1-100 letters, digits, dots, dashes or underscores' })
  IDENTITY_CONSUMER_GROUP: string = 'tandem-identity';

  /** Topic of canonical customer events to resolve (a benchmark or a test points instances at its own). */
  @Matches(/^[A-Za-z0-9._-]{1,200}$/, { message: 'IDENTITY_INGEST_TOPIC must be a Kafka topic name' })
  IDENTITY_INGEST_TOPIC: string = TOPICS.customerEvents;

  /** Compacted topic the outbox relay publishes profile changes to. */
  @Matches(/^[A-Za-z0-9._-]{1,200}$/, { message: 'IDENTITY_PROFILE_TOPIC must be a Kafka topic name' })
  IDENTITY_PROFILE_TOPIC: string = TOPICS.profileChanges;

  /** Match model JSON to resolve with (empty: the hub's default model). `profiles rebuild --model` must use the same file. */
  @IsString()
  IDENTITY_MODEL_FILE: string = '';

  /** Publish the profile outbox to the change topic from this instance (one relay at a time holds a lock). */
  @IsIn(['on', 'off'], { message: 'IDENTITY_OUTBOX_RELAY must be on or off' })
  IDENTITY_OUTBOX_RELAY: string = 'on';

  /**
   * Plan each transaction while the one before is written (see apps/identity/README.md, Planning ahead);
   * off: plan under the resolution lock, after the one before has committed.
   */
  @IsIn(['on', 'off'], { message: 'IDENTITY_PLAN_AHEAD must be on or off' })
  IDENTITY_PLAN_AHEAD: string = 'on';

  /**
   * Send each transaction's statements in node-postgres's pipeline mode (each as soon as it is queued);
   * off: each once the one before is answered. See apps/identity/README.md.
   */
  @IsIn(['on', 'off'], { message: 'IDENTITY_PIPELINE_STATEMENTS must be on or off' })
  IDENTITY_PIPELINE_STATEMENTS: string = 'on';

  /**
   * Diagnostic: measure the CPU the local PostgreSQL server spends on each of the resolver's statements
   * (reported on /metrics as identity_resolver_phase_seconds{phase="pg-cpu …"}). Needs the database on
   * this machine; costs two /proc reads per statement.
   */
  @IsIn(['on', 'off'], { message: 'IDENTITY_MEASURE_DATABASE_CPU must be on or off' })
  IDENTITY_MEASURE_DATABASE_CPU: string = 'off';

  /**
   * How often the planner statistics of the resolver's tables are checked and gathered where a table
   * has doubled since (see TableStatistics); 0: never (leave it to autovacuum).
   */
  @IsInt()
  @Min(0)
  @Max(3_600_000)
  IDENTITY_ANALYZE_INTERVAL_MS: number = 10_000;

  /** Pause between outbox polls when nothing was pending. */
  @IsInt()
  @Min(10)
  @Max(60000)
  IDENTITY_OUTBOX_INTERVAL_MS: number = 200;
}

import { IsIn, IsInt, IsString, Matches, Max, Min } from 'class-validator';

/** Settings every Tandem service reads; each app's config class extends it with its own port. */
export class CommonConfig {
  @Matches(/^postgres(ql)?:\/\/[^\s]+\/[^\s/]+$/, { message: 'DATABASE_URL must look like postgres://user@host:5432/database' })
  DATABASE_URL: string = 'postgres://postgres@127.0.0.1:5432/tandem';

  @Matches(/^[A-Za-z0-9.-]+:\d{1,5}(,[A-Za-z0-9.-]+:\d{1,5})*$/, { message: 'KAFKA_BROKERS must be a comma-separated list of host:port' })
  KAFKA_BROKERS: string = '127.0.0.1:9092';

  /** Address the HTTP server binds; loopback unless deliberately exposed. */
  @IsString()
  @Matches(/^[0-9a-fA-F.:]+$|^localhost$/, { message: 'HOST must be an IP address or localhost' })
  HOST: string = '127.0.0.1';

  @IsIn(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'])
  LOG_LEVEL: string = 'info';

  /** How long start-up waits for PostgreSQL and Kafka before giving up. */
  @IsInt()
  @Min(0)
  @Max(600000)
  STARTUP_TIMEOUT_MS: number = 30000;

  @IsInt()
  @Min(100)
  @Max(60000)
  READINESS_TIMEOUT_MS: number = 2000;

  get kafkaBrokers(): string[] {
    return this.KAFKA_BROKERS.split(',');
  }
}

/** Port settings share one rule. */
export function isPort(): PropertyDecorator {
  return (target, key) => {
    IsInt({ message: `${String(key)} must be a port number` })(target, key);
    Min(1, { message: `${String(key)} must be between 1 and 65535` })(target, key);
    Max(65535, { message: `${String(key)} must be between 1 and 65535` })(target, key);
  };
}

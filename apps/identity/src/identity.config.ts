import { IsInt, Matches, Max, Min } from 'class-validator';
import { CommonConfig, isPort } from '@tandem/observability';

export class IdentityConfig extends CommonConfig {
  @isPort()
  IDENTITY_PORT: number = 3002;

  /** Events handled in one database transaction. */
  @IsInt()
  @Min(1)
  @Max(10000)
  IDENTITY_BATCH_SIZE: number = 500;

  /** Consumer group shared by every identity instance; Kafka divides the partitions among them. */
  @Matches(/^[A-Za-z0-9._-]{1,100}$/, { message: 'IDENTITY_CONSUMER_GROUP must be 1-100 letters, digits, dots, dashes or underscores' })
  IDENTITY_CONSUMER_GROUP: string = 'tandem-identity';
}

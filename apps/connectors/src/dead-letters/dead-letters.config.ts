import { Transform } from 'class-transformer';
import { IsBoolean, Matches } from 'class-validator';

/** Settings of the dead-letter store (recorder and operations API). */
export class DeadLettersConfig {
  /** Record the dead-letter topic into the dead_letters table in this process. */
  @Transform(({ value }) => (value === undefined || value === '' ? true : ['true', '1', 'on', 'yes'].includes(String(value).toLowerCase()) ? true : ['false', '0', 'off', 'no'].includes(String(value).toLowerCase()) ? false : value))
  @IsBoolean({ message: 'DLQ_RECORDER_ENABLED must be true or false' })
  DLQ_RECORDER_ENABLED: boolean = true;

  /** One group for every connectors instance: each dead letter is recorded by one of them. */
  @Matches(/^[a-zA-Z0-9._-]{1,200}$/, { message: 'DLQ_RECORDER_GROUP must be a consumer group id' })
  DLQ_RECORDER_GROUP: string = 'tandem-connectors-dead-letters';
}

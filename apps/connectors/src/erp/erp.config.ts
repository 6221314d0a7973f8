import { Transform } from 'class-transformer';
import { IsBoolean, IsInt, Matches, Max, Min } from 'class-validator';

/** Settings of the ERP connector (Debezium change events of the ERP's customers and orders). */
export class ErpConfig {
  /** Consume the ERP's change topics in this process. Off by default under tests (NODE_ENV=test). */
  @Transform(({ value }) => toSwitch(value, process.env.NODE_ENV !== 'test'))
  @IsBoolean({ message: 'ERP_CONNECTOR_ENABLED must be true or false' })
  ERP_CONNECTOR_ENABLED: boolean = process.env.NODE_ENV !== 'test';

  /** The `source` of the events and the connector's name in the registry. */
  @Matches(/^[a-z][a-z0-9-]{0,39}$/, { message: 'ERP_SOURCE must be a lower-case name of at most 40 characters' })
  ERP_SOURCE: string = 'erp';

  /** Debezium's `topic.prefix`: topics are `<prefix>.public.customers` and `<prefix>.public.orders`. */
  @Matches(/^[a-zA-Z0-9._-]{1,100}$/, { message: 'ERP_TOPIC_PREFIX must be a Kafka topic name prefix' })
  ERP_TOPIC_PREFIX: string = 'erp';

  /** Partitions the connector gives the change topics when it has to create them. */
  @IsInt()
  @Min(1)
  @Max(64)
  ERP_TOPIC_PARTITIONS: number = 3;

  @Matches(/^[a-zA-Z0-9._-]{1,200}$/, { message: 'ERP_CONSUMER_GROUP must be a consumer group id' })
  ERP_CONSUMER_GROUP: string = 'tandem-connectors-erp';

  /** The ERP's non-ISO currency codes: `EURO:EUR,KR:SEK`. */
  @Matches(/^([A-Za-z0-9]{1,20}:[A-Za-z]{3}(,[A-Za-z0-9]{1,20}:[A-Za-z]{3})*)?$/, { message: 'ERP_CURRENCY_ALIASES must look like EURO:EUR,KR:SEK' })
  ERP_CURRENCY_ALIASES: string = '';

  /**
   * Most change events applied in one database transaction. The partitions this process reads
   * share its transactions: what they fetched while one ran goes into the next, up to this many.
   */
  @IsInt()
  @Min(1)
  @Max(20000)
  ERP_BATCH_SIZE: number = 6000;

  /** Partitions read at once by this process. */
  @IsInt()
  @Min(1)
  @Max(32)
  ERP_CONCURRENCY: number = 6;

  /** Inside a transaction, the events of every this many changes go to Kafka while the next ones are worked out. */
  @IsInt()
  @Min(1)
  @Max(20000)
  ERP_STEP_SIZE: number = 1000;

  get topics(): { customers: string; orders: string } {
    return { customers: `${this.ERP_TOPIC_PREFIX}.public.customers`, orders: `${this.ERP_TOPIC_PREFIX}.public.orders` };
  }
}

function toSwitch(value: unknown, fallback: boolean): unknown {
  if (value === undefined || value === '') return fallback;
  if (typeof value === 'boolean') return value;
  const word = String(value).toLowerCase();
  if (['true', '1', 'on', 'yes'].includes(word)) return true;
  if (['false', '0', 'off', 'no'].includes(word)) return false;
  return value;
}

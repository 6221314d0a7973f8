import { Transform } from 'class-transformer';
import { IsBoolean, IsInt, IsString, Matches, Max, Min, MinLength, ValidateIf } from 'class-validator';
import { CommonConfig, isPort } from '@tandem/observability';

export class ConnectorsConfig extends CommonConfig {
  @isPort()
  CONNECTORS_PORT: number = 3001;

  /**
   * Key a source system presents (header `x-ingest-key`) to push canonical events. The default
   * only suits a machine whose ports are bound to loopback; set your own anywhere else.
   */
  @IsString()
  @MinLength(16, { message: 'CONNECTORS_INGEST_KEY must be at least 16 characters' })
  CONNECTORS_INGEST_KEY: string = 'tandem-local-ingest-key';

  /** Base URL of the HubSpot-style CRM API; empty = no CRM connector (unless the sandbox provides one). */
  @Matches(/^(https?:\/\/\S+)?$/, { message: 'CRM_BASE_URL must be an http(s) URL or empty' })
  CRM_BASE_URL: string = '';

  @IsString()
  CRM_TOKEN: string = '';

  /** The `source` of the CRM's events and the connector's name in the registry. */
  @Matches(/^[a-z][a-z0-9-]{0,39}$/, { message: 'CRM_SOURCE must be a lower-case name of at most 40 characters' })
  CRM_SOURCE: string = 'crm';

  /** Pause between polls once caught up. */
  @IsInt()
  @Min(50)
  @Max(3600000)
  CRM_POLL_INTERVAL_MS: number = 2000;

  /** Contacts asked for per call; HubSpot serves at most 100, the sandbox's simulator may serve more. */
  @IsInt()
  @Min(1)
  @Max(10000)
  CRM_PAGE_SIZE: number = 100;

  /** Longest wait between retries when the CRM is down and did not say how long to wait. */
  @IsInt()
  @Min(100)
  @Max(600000)
  CRM_MAX_BACKOFF_MS: number = 30000;

  /** Shared secret of the marketing tool's webhook signatures (header x-tandem-signature). */
  @IsString()
  @MinLength(16, { message: 'MARKETING_WEBHOOK_SECRET must be at least 16 characters' })
  MARKETING_WEBHOOK_SECRET: string = 'tandem-local-marketing-secret';

  @Matches(/^[a-z][a-z0-9-]{0,39}$/, { message: 'MARKETING_SOURCE must be a lower-case name of at most 40 characters' })
  MARKETING_SOURCE: string = 'marketing';

  /**
   * Base URL of the marketing tool's members API (Mailchimp: `https://<dc>.api.mailchimp.com`), which
   * a marketing resync pulls the list from; empty = no marketing resync (unless the sandbox provides one).
   */
  @Matches(/^(https?:\/\/\S+)?$/, { message: 'MARKETING_API_URL must be an http(s) URL or empty' })
  MARKETING_API_URL: string = '';

  /** The members API's key (HTTP Basic password); required with MARKETING_API_URL. */
  @ValidateIf((config: ConnectorsConfig) => config.MARKETING_API_URL !== '')
  @IsString()
  @MinLength(1, { message: 'MARKETING_API_KEY must be set when MARKETING_API_URL is' })
  MARKETING_API_KEY: string = '';

  /** The audience (list) id whose members a resync pulls; required with MARKETING_API_URL. */
  @ValidateIf((config: ConnectorsConfig) => config.MARKETING_API_URL !== '')
  @Matches(/^[A-Za-z0-9_-]{1,64}$/, { message: 'MARKETING_LIST_ID must be set to the audience id (letters and digits) when MARKETING_API_URL is' })
  MARKETING_LIST_ID: string = '';

  /** Members asked for per call during a marketing resync; Mailchimp serves at most 1,000. */
  @IsInt()
  @Min(1)
  @Max(1000)
  MARKETING_PAGE_SIZE: number = 1000;

  /** Longest wait between retries when the members API is down and did not say how long to wait. */
  @IsInt()
  @Min(100)
  @Max(600000)
  MARKETING_MAX_BACKOFF_MS: number = 30000;

  /** Comma-separated Segment write keys accepted by /v1/identify, /v1/track and /v1/batch. */
  @Matches(/^[A-Za-z0-9_-]{8,}(,[A-Za-z0-9_-]{8,})*$/, { message: 'SEGMENT_WRITE_KEYS must be comma-separated keys of at least 8 letters, digits, _ or -' })
  SEGMENT_WRITE_KEYS: string = 'tandem-local-write-key';

  @Matches(/^[a-z][a-z0-9-]{0,39}$/, { message: 'SEGMENT_SOURCE must be a lower-case name of at most 40 characters' })
  SEGMENT_SOURCE: string = 'segment';

  /**
   * The pushed connectors (marketing webhooks, Segment collection) keep their paused state and
   * counts in memory: the state is re-read (a pause made through another process takes effect
   * within this time) and the counts written to the registry this often, and at shutdown.
   */
  @IsInt()
  @Min(50)
  @Max(60000)
  PUSHED_REGISTRY_INTERVAL_MS: number = 1000;

  /**
   * Runs the sandbox (simulated CRM, marketing webhooks and a trickle of changes) inside this
   * process, so a newcomer sees data flow at once. Off under tests; SANDBOX_ENABLED=false turns it off.
   */
  // From the raw env (`obj`): implicit conversion would already have made "false" true.
  @Transform(({ obj, key }) => toSwitch((obj as Record<string, unknown>)[key], sandboxByDefault()))
  @IsBoolean({ message: 'SANDBOX_ENABLED must be true or false' })
  SANDBOX_ENABLED: boolean = sandboxByDefault();

  /** People in the sandbox's customer base. */
  @IsInt()
  @Min(1)
  @Max(1000000)
  SANDBOX_PEOPLE: number = 300;

  /** Port of the simulated CRM API; 0 = any free port. */
  @IsInt()
  @Min(0)
  @Max(65535)
  SANDBOX_CRM_PORT: number = 0;

  /** Pause between the sandbox's simulated changes (a CRM edit, a webhook); 0 = no trickle. */
  @IsInt()
  @Min(0)
  SANDBOX_TRICKLE_MS: number = 3000;

  get segmentWriteKeys(): string[] {
    return this.SEGMENT_WRITE_KEYS.split(',');
  }
}

function sandboxByDefault(): boolean {
  return process.env.NODE_ENV !== 'test' && process.env.SANDBOX !== 'off';
}

/** `true/1/on` and `false/0/off`; anything else is left as is for the validator to refuse. */
function toSwitch(value: unknown, fallback: boolean): unknown {
  if (value === undefined || value === '') return fallback;
  if (typeof value === 'boolean') return value;
  const word = String(value).toLowerCase();
  if (['true', '1', 'on', 'yes'].includes(word)) return true;
  if (['false', '0', 'off', 'no'].includes(word)) return false;
  return value;
}

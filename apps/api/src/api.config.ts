import { IsIn, IsInt, IsString, Matches, Max, Min, MinLength, ValidateIf } from 'class-validator';
import { CommonConfig, isPort } from '@tandem/observability';

/** Environments where a generated, database-held signing key is acceptable. */
const LOCAL_ENVIRONMENTS = ['development', 'test', 'local'];

export class ApiConfig extends CommonConfig {
  @isPort()
  API_PORT: number = 3000;

  /** `development`, `test` and `local` are local; anything else (production, staging…) is production-like. */
  @IsString()
  NODE_ENV: string = 'development';

  /**
   * HS256 key for access tokens. Required when production-like; locally a key generated once per
   * database is used, so every replica and restart agrees and no default key ships in the code.
   */
  @ValidateIf((config: ApiConfig) => config.API_TOKEN_SECRET !== '' || !LOCAL_ENVIRONMENTS.includes(config.NODE_ENV))
  @IsString()
  @MinLength(32, { message: 'API_TOKEN_SECRET must be set to at least 32 characters outside development and test' })
  API_TOKEN_SECRET: string = '';

  /** Lifetime of an access token. */
  @IsInt()
  @Min(30)
  @Max(86400)
  API_TOKEN_TTL_SECONDS: number = 900;

  /** Requests per second a client may make unless its own limit says otherwise (burst: twice as many). */
  @IsInt()
  @Min(1)
  @Max(1000000)
  API_RATE_LIMIT_PER_SECOND: number = 100;

  /** How long a client's enabled state and roles are trusted before being read again (another replica's change). */
  @IsInt()
  @Min(0)
  @Max(60000)
  API_CLIENT_CACHE_MS: number = 5000;

  /** Largest recipient list `POST /audiences/resolve` accepts. */
  @IsInt()
  @Min(1)
  @Max(10000000)
  API_AUDIENCE_MAX_ROWS: number = 1000000;

  /**
   * Rows of a recipient list resolved together: each chunk costs a few queries, and within a larger
   * one neighbouring identifiers share index pages. Audit entries are written per chunk.
   */
  @IsInt()
  @Min(100)
  @Max(100000)
  API_AUDIENCE_CHUNK_ROWS: number = 100000;

  /** The connectors app, whose operations API the IT routes forward to (it answers loopback callers only). */
  @Matches(/^https?:\/\/[^\s]+$/, { message: 'API_CONNECTORS_URL must be an http(s) URL' })
  API_CONNECTORS_URL: string = 'http://127.0.0.1:3001';

  /**
   * `true`: an audit insert returns once its WAL is flushed to disk. `false`: it returns once
   * PostgreSQL has it (synchronous_commit off on the audit connection): a crash of the database
   * server, not of the API, can lose the last fraction of a second of audit rows, and the insert
   * costs no disk flush.
   */
  @IsIn(['true', 'false'])
  API_AUDIT_DURABLE: string = 'true';

  @IsIn(['true', 'false'])
  API_DOCS: string = 'true';

  get productionLike(): boolean {
    return !LOCAL_ENVIRONMENTS.includes(this.NODE_ENV);
  }
}

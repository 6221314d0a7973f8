import { IsString, MinLength } from 'class-validator';
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
}

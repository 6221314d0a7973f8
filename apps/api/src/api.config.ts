import { CommonConfig, isPort } from '@tandem/observability';

export class ApiConfig extends CommonConfig {
  @isPort()
  API_PORT: number = 3000;
}

import { CommonConfig, isPort } from '@tandem/observability';

export class ApiConfig extends CommonConfig {
  @isPort()
  API_PORT = 3000;
}

import 'reflect-metadata';
import { bootstrapService } from '@tandem/observability';
import { ApiConfig } from './api.config';
import { ApiModule } from './api.module';

bootstrapService({ service: 'api', config: ApiConfig, portSetting: 'API_PORT', module: ApiModule.forRoot });

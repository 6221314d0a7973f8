import 'reflect-metadata';
import { bootstrapService } from '@tandem/observability';
import { ConnectorsConfig } from './connectors.config';
import { ConnectorsModule } from './connectors.module';

bootstrapService({ service: 'connectors', config: ConnectorsConfig, portSetting: 'CONNECTORS_PORT', module: ConnectorsModule.forRoot });

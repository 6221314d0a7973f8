import 'reflect-metadata';
import { bootstrapService } from '@tandem/observability';
import { IdentityConfig } from './identity.config';
import { IdentityModule } from './identity.module';

bootstrapService({ service: 'identity', config: IdentityConfig, portSetting: 'IDENTITY_PORT', module: IdentityModule.forRoot });

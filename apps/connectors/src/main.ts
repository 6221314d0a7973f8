import 'reflect-metadata';
import { bootstrapService } from '@tandem/observability';
import { CONNECTORS_SERVICE } from './connectors.service';

bootstrapService(CONNECTORS_SERVICE);

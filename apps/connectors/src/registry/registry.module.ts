import { Global, Module } from '@nestjs/common';
import { ConnectorMetrics } from './connector-metrics';
import { ConnectorRegistry } from './connector-registry.service';

/** The connectors table, shared by every connector in the process (needs PersistenceModule). */
@Global()
@Module({ providers: [ConnectorRegistry, ConnectorMetrics], exports: [ConnectorRegistry] })
export class RegistryModule {}

import { Global, Module } from '@nestjs/common';
import { ConnectorRegistry } from './connector-registry.service';

/** The connectors table, shared by every connector in the process (needs PersistenceModule). */
@Global()
@Module({ providers: [ConnectorRegistry], exports: [ConnectorRegistry] })
export class RegistryModule {}

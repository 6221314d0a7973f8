import { Module } from '@nestjs/common';
import { loadConfig } from '@tandem/observability';
import { ErpModule } from '../erp/erp.module';
import { DeadLetterRecorder } from './dead-letter.recorder';
import { DeadLettersConfig } from './dead-letters.config';
import { DeadLettersController } from './dead-letters.controller';
import { DeadLettersService } from './dead-letters.service';

/**
 * Dead letters (recorder, store, operations API) and the ERP connector whose poison records they
 * hold. One module so the connectors app registers both with one line.
 */
@Module({
  imports: [ErpModule.forRoot()],
  controllers: [DeadLettersController],
  providers: [{ provide: DeadLettersConfig, useFactory: () => loadConfig(DeadLettersConfig) }, DeadLetterRecorder, DeadLettersService],
})
export class DeadLettersModule {}

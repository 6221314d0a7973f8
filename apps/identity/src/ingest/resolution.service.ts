import { Inject, Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { CustomerEventV1 } from '@tandem/contracts';
import { ConsumedMessage } from '@tandem/messaging';
import { ProfileResolver } from '@tandem/profiles';
import { SourceRecordWriter } from './source-record.writer';

/**
 * One transaction per chunk of events: claim the event ids, store the records, resolve their
 * profiles, write the outbox. A redelivered chunk finds its ids claimed and changes nothing.
 */
@Injectable()
export class ResolutionService {
  constructor(
    @Inject(DataSource) private readonly dataSource: DataSource,
    @Inject(SourceRecordWriter) private readonly writer: SourceRecordWriter,
    @Inject(ProfileResolver) private readonly resolver: ProfileResolver,
  ) {}

  /** Returns the number of events that had an effect. */
  async apply(messages: ConsumedMessage<CustomerEventV1>[]): Promise<number> {
    return this.dataSource.transaction(async (manager) => {
      const changed = await this.writer.applyIn(manager, messages);
      if (changed.length) await this.resolver.resolve(manager, { changed });
      return changed.length;
    });
  }
}

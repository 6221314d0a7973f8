import { Inject, Injectable } from '@nestjs/common';
import { CORRELATION_HEADER, currentCorrelationId } from '@tandem/observability';
import { customerEventKey, CustomerEventV1, TOPICS } from '@tandem/contracts';
import { EventProducer } from '@tandem/messaging';

/** Writes canonical events to the ingest topic, keyed so one source record stays in order. */
@Injectable()
export class EventPublisher {
  constructor(@Inject(EventProducer) private readonly producer: EventProducer) {}

  async publish(events: CustomerEventV1[]): Promise<void> {
    const correlationId = currentCorrelationId();
    await this.producer.send(
      TOPICS.customerEvents,
      events.map((event) => ({
        key: customerEventKey(event.source, event.sourceRecordId),
        value: JSON.stringify(event),
        headers: correlationId ? { [CORRELATION_HEADER]: correlationId } : {},
      })),
    );
  }
}

import { Body, Controller, HttpCode, HttpStatus, Post, UseGuards } from '@nestjs/common';
import { ApiHeader, ApiTags } from '@nestjs/swagger';
import { EventPublisher } from './event-publisher.service';
import { IngestKeyGuard } from './ingest-key.guard';
import { PublishEventsRequest, PublishEventsResponse } from './publish-events.dto';

/** For sources that already speak the canonical contract: validate, then hand to Kafka. */
@ApiTags('ingest')
@ApiHeader({ name: 'x-ingest-key', required: true })
@Controller('v1/events')
@UseGuards(IngestKeyGuard)
export class EventsController {
  constructor(private readonly publisher: EventPublisher) {}

  /** Answers 202 only once Kafka has acknowledged every event: a 202 is never lost. */
  @Post()
  @HttpCode(HttpStatus.ACCEPTED)
  async publish(@Body() request: PublishEventsRequest): Promise<PublishEventsResponse> {
    await this.publisher.publish(request.events);
    return { accepted: request.events.length };
  }
}

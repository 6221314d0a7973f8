import { Controller, Get, HttpCode, Inject, Param, ParseUUIDPipe, Post, Query, UseGuards } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { OperatorAccessGuard } from '../operations/operator-access.guard';
import { ListDeadLettersQuery } from './dead-letters.dto';
import { DeadLetterCounts, DeadLetterDetail, DeadLettersService, DeadLetterSummary } from './dead-letters.service';

/** Dead letters for IT: what failed and why, then replay after the fix, or discard. */
@ApiTags('dead letters')
@Controller('v1/dead-letters')
@UseGuards(OperatorAccessGuard)
export class DeadLettersController {
  constructor(@Inject(DeadLettersService) private readonly deadLetters: DeadLettersService) {}

  @Get()
  async list(@Query() query: ListDeadLettersQuery): Promise<{ items: DeadLetterSummary[]; counts: DeadLetterCounts }> {
    const [items, counts] = await Promise.all([
      this.deadLetters.list({ status: query.status, topic: query.topic, source: query.source, before: query.before, limit: query.limit ?? 100 }),
      this.deadLetters.counts(),
    ]);
    return { items, counts };
  }

  @Get(':id')
  async get(@Param('id', ParseUUIDPipe) id: string): Promise<DeadLetterDetail> {
    return this.deadLetters.get(id);
  }

  @Post(':id/replay')
  @HttpCode(200)
  async replay(@Param('id', ParseUUIDPipe) id: string): Promise<DeadLetterDetail> {
    return this.deadLetters.replay(id);
  }

  @Post(':id/discard')
  @HttpCode(200)
  async discard(@Param('id', ParseUUIDPipe) id: string): Promise<DeadLetterDetail> {
    return this.deadLetters.discard(id);
  }
}

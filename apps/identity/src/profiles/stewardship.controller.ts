import { Body, Controller, Get, Inject, Param, ParseUUIDPipe, Post, Query } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { ProfileView, ReviewItemView, ReviewQueueSummary, StewardshipService } from '@tandem/profiles';
import { ReviewDecisionRequest, UnmergeRequest } from './stewardship.dto';

/** Stewardship over HTTP on the identity app, until the governed API exposes the same use cases with roles. */
@ApiTags('profiles')
@Controller('v1')
export class StewardshipController {
  constructor(@Inject(StewardshipService) private readonly stewardship: StewardshipService) {}

  @Get('profiles/:id')
  profile(@Param('id', ParseUUIDPipe) id: string): Promise<ProfileView> {
    return this.stewardship.profile(id);
  }

  @Get('records/:source/:sourceRecordId/profile')
  profileOfRecord(@Param('source') source: string, @Param('sourceRecordId') sourceRecordId: string): Promise<ProfileView> {
    return this.stewardship.profileOfRecord({ source, sourceRecordId });
  }

  @Get('review-queue')
  reviewQueue(@Query('status') status?: string, @Query('source') source?: string, @Query('rule') rule?: string): Promise<ReviewItemView[]> {
    return this.stewardship.reviewQueue({ status, source, rule });
  }

  @Get('review-queue/summary')
  reviewQueueSummary(@Query('status') status?: string, @Query('source') source?: string): Promise<ReviewQueueSummary> {
    return this.stewardship.reviewQueueSummary({ status, source });
  }

  @Post('review-queue/:id/decision')
  decide(@Param('id', ParseUUIDPipe) id: string, @Body() body: ReviewDecisionRequest): Promise<ProfileView[]> {
    return this.stewardship.decideReview(id, body.decision, { actor: body.actor, reason: body.reason });
  }

  @Post('links/unmerge')
  unmerge(@Body() body: UnmergeRequest): Promise<ProfileView[]> {
    return this.stewardship.unmerge(body.a, body.b, { actor: body.actor, reason: body.reason });
  }
}

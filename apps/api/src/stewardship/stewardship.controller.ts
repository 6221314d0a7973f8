import { BadRequestException, Body, Controller, Get, HttpCode, Inject, Param, ParseUUIDPipe, Post, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiProperty, ApiPropertyOptional, ApiTags } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsIn, IsInt, IsOptional, IsString, Matches, Max, MaxLength, Min, MinLength, ValidateNested } from 'class-validator';
import { AuditWriter } from '@tandem/governance';
import { currentCorrelationId } from '@tandem/observability';
import { StewardshipService } from '@tandem/profiles';
import type { ProfileView, ReviewItemView, ReviewQueueSummary } from '@tandem/profiles';
import { CurrentPrincipal, Roles } from '../auth/principal';
import type { Principal } from '../auth/principal';

const REVIEW_STATUSES = ['open', 'household', 'accepted', 'rejected', 'obsolete'];

const uuid = new ParseUUIDPipe({ exceptionFactory: () => new BadRequestException('id must be a uuid') });

export class ReviewQueueSummaryQueryDto {
  @ApiPropertyOptional({ enum: REVIEW_STATUSES, description: 'open (default): waiting for a steward; household: two people who share contact details, recorded, not waiting' })
  @IsOptional()
  @IsIn(REVIEW_STATUSES, { message: `status must be one of ${REVIEW_STATUSES.join(', ')}` })
  status?: string;
  @ApiPropertyOptional() @IsOptional() @Matches(/^[a-z][a-z0-9-]{0,39}$/, { message: 'source must be a source name such as crm' }) source?: string;
}

export class ReviewQueueQueryDto extends ReviewQueueSummaryQueryDto {
  @ApiPropertyOptional({ description: 'The rule that queued the pair, as the summary names it', example: 'fellegi-sunter' })
  @IsOptional()
  @Matches(/^[a-z][a-z0-9-]{0,39}(:[a-z][a-z0-9-]{0,39})?$/, { message: 'rule must be a rule name such as fellegi-sunter or deterministic:email' })
  rule?: string;
  @ApiPropertyOptional({ maximum: 1000 }) @IsOptional() @Type(() => Number) @IsInt() @Min(1) @Max(1000) limit?: number;
}

export class RecordRefDto {
  @ApiProperty({ example: 'crm' }) @Matches(/^[a-z][a-z0-9-]{0,39}$/, { message: 'source must be a source name such as crm' }) source: string;
  @ApiProperty() @IsString() @MinLength(1) @MaxLength(200) sourceRecordId: string;
}

export class ReviewDecisionDto {
  @ApiProperty({ enum: ['accept', 'reject'] }) @IsIn(['accept', 'reject'], { message: 'decision must be accept or reject' }) decision: 'accept' | 'reject';
  @ApiProperty() @IsString() @MinLength(3) @MaxLength(2000) reason: string;
}

export class UnmergeDto {
  @ApiProperty({ type: RecordRefDto }) @ValidateNested() @Type(() => RecordRefDto) a: RecordRefDto;
  @ApiProperty({ type: RecordRefDto }) @ValidateNested() @Type(() => RecordRefDto) b: RecordRefDto;
  @ApiProperty() @IsString() @MinLength(3) @MaxLength(2000) reason: string;
}

/** The data office's stewardship: the review queue of uncertain pairs, and unmerge. Decisions are recorded with the client as actor. */
@ApiTags('stewardship')
@ApiBearerAuth()
@Roles('data-office')
@Controller()
export class StewardshipController {
  constructor(
    @Inject(StewardshipService) private readonly stewardship: StewardshipService,
    @Inject(AuditWriter) private readonly audit: AuditWriter,
  ) {}

  @Get('review-queue')
  @ApiOperation({ summary: 'Uncertain pairs waiting for a steward, with score and evidence' })
  async queue(@Query() query: ReviewQueueQueryDto, @CurrentPrincipal() principal: Principal): Promise<ReviewItemView[]> {
    const items = await this.stewardship.reviewQueue(query);
    await this.audit.record({ clientId: principal.clientId, clientName: principal.clientName, action: 'review-queue.read', purpose: 'stewardship', fields: ['evidence'], correlationId: currentCorrelationId(), detail: { items: items.length } });
    return items;
  }

  @Get('review-queue/summary')
  @ApiOperation({ summary: 'How many pairs wait for a steward, by the rule that queued them (filter the queue with ?rule=)' })
  // Counts only, no record or evidence: not an audited read.
  summary(@Query() query: ReviewQueueSummaryQueryDto): Promise<ReviewQueueSummary> {
    return this.stewardship.reviewQueueSummary(query);
  }

  @Post('review-queue/:id/decision')
  @HttpCode(200)
  @ApiOperation({ summary: 'Accept (link) or reject (never link) a pair; survives replay and rebuild' })
  async decide(@Param('id', uuid) id: string, @Body() body: ReviewDecisionDto, @CurrentPrincipal() principal: Principal): Promise<ProfileView[]> {
    const profiles = await this.stewardship.decideReview(id, body.decision, { actor: `client:${principal.clientId}`, reason: body.reason });
    await this.recordProfiles(principal, `review.${body.decision}`, profiles, { reviewItem: id });
    return profiles;
  }

  @Post('links/unmerge')
  @HttpCode(200)
  @ApiOperation({ summary: 'Cut two records of one profile apart for good; both golden records are recomputed' })
  async unmerge(@Body() body: UnmergeDto, @CurrentPrincipal() principal: Principal): Promise<ProfileView[]> {
    const profiles = await this.stewardship.unmerge(body.a, body.b, { actor: `client:${principal.clientId}`, reason: body.reason });
    await this.recordProfiles(principal, 'link.unmerged', profiles, {});
    return profiles;
  }

  private recordProfiles(principal: Principal, action: string, profiles: ProfileView[], detail: Record<string, unknown>): Promise<void> {
    return this.audit.record({
      clientId: principal.clientId,
      clientName: principal.clientName,
      action,
      purpose: 'stewardship',
      profileIds: profiles.map((p) => p.id),
      fields: ['golden', 'lineage', 'links', 'consent'],
      correlationId: currentCorrelationId(),
      detail,
    });
  }
}

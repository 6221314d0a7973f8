import { BadRequestException, Body, Controller, Get, HttpCode, Inject, Param, ParseUUIDPipe, Post } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiProperty, ApiTags } from '@nestjs/swagger';
import { Matches } from 'class-validator';
import { CurrentPrincipal, Roles } from '../auth/principal';
import type { Principal } from '../auth/principal';
import { DataSubjectService } from './data-subject.service';
import type { ErasureReport } from './data-subject.service';

const uuid = new ParseUUIDPipe({ exceptionFactory: () => new BadRequestException('profileId must be a uuid') });

export class ErasureRequestDto {
  @ApiProperty({ description: 'The request this erasure answers (a ticket id, the legal ground); kept with the erasure' })
  // One rule, one message: a missing reason was refused with three (too short, too long, not a string).
  @Matches(/^[\s\S]{3,500}$/, { message: 'reason is required: 3 to 500 characters naming the request this erasure answers (a ticket id, the legal ground)' })
  reason: string;
}

@ApiTags('data subject requests')
@ApiBearerAuth()
@Roles('data-office')
@Controller('data-subjects')
export class DataSubjectController {
  constructor(@Inject(DataSubjectService) private readonly subjects: DataSubjectService) {}

  @Get(':profileId/export')
  @ApiOperation({ summary: 'Everything the hub holds about a person (GDPR art. 15), as JSON' })
  @ApiOkResponse({ description: 'profile, source records, identifiers, consents, links, review items, steward actions, reads' })
  export(@Param('profileId', uuid) profileId: string, @CurrentPrincipal() principal: Principal): Promise<Record<string, unknown>> {
    return this.subjects.export(principal, profileId);
  }

  @Post(':profileId/erasure')
  @HttpCode(200)
  @ApiOperation({ summary: 'Erase a person everywhere the hub stores them (GDPR art. 17); a tombstone goes on the change feed; re-ingestion is suppressed' })
  @ApiOkResponse({ description: 'What was done, per connector' })
  erase(@Param('profileId', uuid) profileId: string, @Body() body: ErasureRequestDto, @CurrentPrincipal() principal: Principal): Promise<ErasureReport> {
    return this.subjects.erase(principal, profileId, body.reason);
  }
}

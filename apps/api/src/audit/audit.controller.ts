import { Controller, Get, Inject, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { DataSource } from 'typeorm';
import { searchAudit } from '@tandem/governance';
import { Roles } from '../auth/principal';
import { AuditPageDto, AuditQueryDto } from './audit.dto';

@ApiTags('audit')
@ApiBearerAuth()
@Roles('data-office')
@Controller('audit')
export class AuditController {
  constructor(@Inject(DataSource) private readonly db: DataSource) {}

  @Get()
  @ApiOperation({ summary: 'Who read whose personal data, for which purpose, which fields, when: newest first' })
  @ApiOkResponse({ type: AuditPageDto })
  async search(@Query() query: AuditQueryDto): Promise<AuditPageDto> {
    const page = await searchAudit(this.db, { ...query, before: query.cursor, limit: query.limit ?? 100 });
    return { entries: page.entries.map((e) => ({ ...e, at: e.at.toISOString() })), nextCursor: page.nextCursor };
  }
}

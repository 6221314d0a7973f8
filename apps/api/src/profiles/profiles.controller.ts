import { BadRequestException, ConflictException, Controller, Get, GoneException, Inject, NotFoundException, Param, ParseUUIDPipe, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiQuery, ApiTags } from '@nestjs/swagger';
import { ValueNormalizer } from '@tandem/identity-engine';
import { hubModel } from '@tandem/profiles';
import type { StoredProfile } from '@tandem/governance';
import { CurrentPrincipal, Roles } from '../auth/principal';
import type { Principal } from '../auth/principal';
import { ProfileAccess } from './profile-access.service';
import { ProfileReader } from './profile-reader';
import { parseLookupQuery } from './lookup-query';
import { ProfileResponseDto, PurposeQueryDto } from './profiles.dto';

const uuid = new ParseUUIDPipe({ exceptionFactory: () => new BadRequestException('id must be a uuid') });

@ApiTags('profiles')
@ApiBearerAuth()
@Roles('marketing', 'data-office', 'it-operator', 'admin')
@Controller('profiles')
export class ProfilesController {
  // The resolver's own normalizer settings, so a lookup finds exactly what ingestion stored.
  private readonly normalizer = new ValueNormalizer(hubModel().normalization);

  constructor(
    @Inject(ProfileReader) private readonly reader: ProfileReader,
    @Inject(ProfileAccess) private readonly access: ProfileAccess,
  ) {}

  @Get('lookup')
  @ApiOperation({ summary: 'Find the profile of an email, a phone, or a source record; the purpose decides what is returned' })
  @ApiOkResponse({ type: ProfileResponseDto })
  @ApiQuery({ name: 'purpose', required: true, description: 'Why the data is read (see GET /purposes)', example: 'personalization' })
  @ApiQuery({ name: 'email', required: false, description: 'Normalized as at ingestion (case, Unicode, provider rules)' })
  @ApiQuery({ name: 'phone', required: false, description: 'Any format; normalized to E.164 as at ingestion' })
  @ApiQuery({ name: 'source', required: false, description: 'Source system, with recordId' })
  @ApiQuery({ name: 'recordId', required: false, description: 'Record id in the source system, with source' })
  async lookup(@Query() raw: Record<string, unknown>, @CurrentPrincipal() principal: Principal): Promise<Record<string, unknown>> {
    const query = parseLookupQuery(raw);
    const policy = await this.access.policyFor(principal, query.purpose);
    const given = [query.email !== undefined, query.phone !== undefined, query.source !== undefined || query.recordId !== undefined].filter(Boolean).length;
    if (given !== 1) throw new BadRequestException('give exactly one of email, phone, or source with recordId');
    let found: StoredProfile[];
    if (query.email !== undefined) {
      const email = this.normalizer.normalize('email', query.email);
      if (!email) throw new BadRequestException('email is not a valid email address');
      found = await this.reader.byIdentifier('email', email, this.access.view(policy));
    } else if (query.phone !== undefined) {
      const phone = this.normalizer.normalize('phone', query.phone);
      if (!phone) throw new BadRequestException('phone is not a valid phone number');
      found = await this.reader.byIdentifier('phone', phone, this.access.view(policy));
    } else {
      if (!query.source || !query.recordId) throw new BadRequestException('source and recordId go together');
      found = await this.reader.bySourceRecord(query.source, query.recordId, this.access.view(policy));
    }
    if (found.length === 0) throw new NotFoundException('no profile matches this lookup');
    if (found.length > 1) throw new ConflictException(`this identifier is shared by ${found.length} profiles; look up by a source record instead`);
    return this.access.render(principal, policy, found[0], 'profile.lookup');
  }

  @Get(':id')
  @ApiOperation({ summary: 'A profile by id (a merged id answers with the profile it was merged into)' })
  @ApiOkResponse({ type: ProfileResponseDto })
  async get(@Param('id', uuid) id: string, @Query() query: PurposeQueryDto, @CurrentPrincipal() principal: Principal): Promise<Record<string, unknown>> {
    const policy = await this.access.policyFor(principal, query.purpose);
    const view = this.access.view(policy);
    let current = id;
    for (let hop = 0; hop < 10; hop++) {
      const profile = await this.reader.byId(current, view);
      if (!profile) throw new NotFoundException(`no profile ${id}`);
      if (!('status' in profile)) return this.access.render(principal, policy, profile, 'profile.read');
      if (profile.status !== 'merged') throw new GoneException(profile.status === 'erased' ? `profile ${id} was erased` : `profile ${id} no longer exists (its records moved to other profiles)`);
      if (!profile.mergedInto) throw new GoneException(`profile ${id} no longer exists (its records moved to other profiles)`);
      current = profile.mergedInto;
    }
    throw new ConflictException(`profile ${id} is merged through too many steps`);
  }
}

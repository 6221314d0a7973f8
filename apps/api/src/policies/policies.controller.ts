import { BadRequestException, Body, Controller, Delete, Get, Inject, NotFoundException, Param, Put } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { AuditWriter, isRole, PolicyInputError, PolicyStore, Role, ROLES } from '@tandem/governance';
import { currentCorrelationId } from '@tandem/observability';
import { CurrentPrincipal, Roles } from '../auth/principal';
import type { Principal } from '../auth/principal';
import { PolicyChangeDto, PolicyDto, PurposeChangeDto, PurposeDto } from './policies.dto';

/** Who may read which fields for which purpose. Owned by the data office; every change is a new version. */
@ApiTags('policies')
@ApiBearerAuth()
@Controller()
export class PoliciesController {
  constructor(
    @Inject(PolicyStore) private readonly policies: PolicyStore,
    @Inject(AuditWriter) private readonly audit: AuditWriter,
  ) {}

  @Get('policies')
  @Roles('data-office', 'admin')
  @ApiOperation({ summary: 'The current version of every role × purpose policy' })
  @ApiOkResponse({ type: PolicyDto, isArray: true })
  async list(): Promise<PolicyDto[]> {
    return (await this.policies.listCurrent()).map(PolicyDto.from);
  }

  @Get('policies/:role/:purpose/history')
  @Roles('data-office', 'admin')
  @ApiOperation({ summary: 'Every version of one policy, newest first' })
  @ApiOkResponse({ type: PolicyDto, isArray: true })
  async history(@Param('role') role: string, @Param('purpose') purpose: string): Promise<PolicyDto[]> {
    const versions = await this.policies.history(checkRole(role), purpose);
    if (versions.length === 0) throw new NotFoundException(`no policy for role ${role} and purpose ${purpose}`);
    return versions.map(PolicyDto.from);
  }

  @Put('policies/:role/:purpose')
  @Roles('data-office')
  @ApiOperation({ summary: 'Set the fields and masking a role may see for a purpose (a new version)' })
  @ApiOkResponse({ type: PolicyDto })
  async change(@Param('role') role: string, @Param('purpose') purpose: string, @Body() body: PolicyChangeDto, @CurrentPrincipal() principal: Principal): Promise<PolicyDto> {
    const policy = await this.policies.change(checkRole(role), purpose, body, principal.clientId).catch(asBadRequest);
    await this.record(principal, 'policy.changed', purpose, { role, version: policy.version, fields: policy.fields, masking: policy.masking });
    return PolicyDto.from(policy);
  }

  @Delete('policies/:role/:purpose')
  @Roles('data-office')
  @ApiOperation({ summary: 'Revoke: the role reads nothing for the purpose (a new version)' })
  @ApiOkResponse({ type: PolicyDto })
  async revoke(@Param('role') role: string, @Param('purpose') purpose: string, @CurrentPrincipal() principal: Principal): Promise<PolicyDto> {
    const policy = await this.policies.change(checkRole(role), purpose, 'revoke', principal.clientId).catch(asBadRequest);
    await this.record(principal, 'policy.revoked', purpose, { role, version: policy.version });
    return PolicyDto.from(policy);
  }

  @Get('purposes')
  @Roles('marketing', 'it-operator', 'data-office', 'admin')
  @ApiOkResponse({ type: PurposeDto, isArray: true })
  listPurposes(): Promise<PurposeDto[]> {
    return this.policies.listPurposes();
  }

  @Put('purposes/:name')
  @Roles('data-office')
  @ApiOperation({ summary: 'Create or describe a purpose; no role reads anything for it until a policy says so' })
  @ApiOkResponse({ type: PurposeDto })
  async putPurpose(@Param('name') name: string, @Body() body: PurposeChangeDto, @CurrentPrincipal() principal: Principal): Promise<PurposeDto> {
    const purpose = await this.policies.upsertPurpose({ name, description: body.description, channel: body.channel ?? null }).catch(asBadRequest);
    await this.record(principal, 'purpose.changed', name, { channel: purpose.channel });
    return purpose;
  }

  private record(principal: Principal, action: string, purpose: string, detail: Record<string, unknown>): Promise<void> {
    return this.audit.record({ clientId: principal.clientId, clientName: principal.clientName, action, purpose, correlationId: currentCorrelationId(), detail });
  }
}

function checkRole(role: string): Role {
  if (!isRole(role)) throw new BadRequestException(`unknown role "${role.slice(0, 40)}" (one of: ${ROLES.join(', ')})`);
  return role;
}

function asBadRequest(error: unknown): never {
  if (error instanceof PolicyInputError) throw new BadRequestException(error.message);
  throw error;
}

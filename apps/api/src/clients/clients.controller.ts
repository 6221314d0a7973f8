import { BadRequestException, Body, Controller, Get, Inject, NotFoundException, Param, ParseUUIDPipe, Patch, Post } from '@nestjs/common';
import { ApiBearerAuth, ApiCreatedResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { AuditWriter, ClientInputError, ClientStore } from '@tandem/governance';
import { currentCorrelationId } from '@tandem/observability';
import { ClientDirectory } from '../auth/client-directory';
import { CurrentPrincipal, Roles } from '../auth/principal';
import type { Principal } from '../auth/principal';
import { ClientCredentialsDto, ClientDto, CreateClientDto, CreatedClientDto, UpdateClientDto } from './clients.dto';

const uuid = new ParseUUIDPipe({ exceptionFactory: () => new BadRequestException('id must be a uuid') });

/** Machine clients, managed by admins. Every change is in the audit log. */
@ApiTags('clients')
@ApiBearerAuth()
@Roles('admin')
@Controller('clients')
export class ClientsController {
  constructor(
    @Inject(ClientStore) private readonly store: ClientStore,
    @Inject(ClientDirectory) private readonly directory: ClientDirectory,
    @Inject(AuditWriter) private readonly audit: AuditWriter,
  ) {}

  @Post()
  @ApiOperation({ summary: 'Create a client; the secret is shown once' })
  @ApiCreatedResponse({ type: CreatedClientDto })
  async create(@Body() body: CreateClientDto, @CurrentPrincipal() principal: Principal): Promise<CreatedClientDto> {
    const { client, clientSecret } = await this.store.create(body).catch(asBadRequest);
    await this.record(principal, 'client.created', { clientId: client.id, roles: client.roles });
    return { clientId: client.id, clientSecret, client: ClientDto.from(client) };
  }

  @Get()
  @ApiOkResponse({ type: ClientDto, isArray: true })
  async list(): Promise<ClientDto[]> {
    return (await this.store.list()).map(ClientDto.from);
  }

  @Get(':id')
  @ApiOkResponse({ type: ClientDto })
  async get(@Param('id', uuid) id: string): Promise<ClientDto> {
    const client = await this.store.find(id);
    if (!client) throw new NotFoundException(`no client ${id}`);
    return ClientDto.from(client);
  }

  @Patch(':id')
  @ApiOperation({ summary: 'Change roles, disable or enable, or set the rate limit; takes effect on the next request' })
  @ApiOkResponse({ type: ClientDto })
  async update(@Param('id', uuid) id: string, @Body() body: UpdateClientDto, @CurrentPrincipal() principal: Principal): Promise<ClientDto> {
    const client = await this.store.update(id, body).catch(asBadRequest);
    if (!client) throw new NotFoundException(`no client ${id}`);
    this.directory.invalidate(id);
    await this.record(principal, 'client.updated', { clientId: id, change: body });
    return ClientDto.from(client);
  }

  @Post(':id/secret')
  @ApiOperation({ summary: 'Replace the secret; tokens already issued run until they expire' })
  @ApiCreatedResponse({ type: ClientCredentialsDto })
  async rotate(@Param('id', uuid) id: string, @CurrentPrincipal() principal: Principal): Promise<ClientCredentialsDto> {
    const clientSecret = await this.store.rotateSecret(id);
    if (!clientSecret) throw new NotFoundException(`no client ${id}`);
    await this.record(principal, 'client.secret-rotated', { clientId: id });
    return { clientId: id, clientSecret };
  }

  private record(principal: Principal, action: string, detail: Record<string, unknown>): Promise<void> {
    return this.audit.record({ clientId: principal.clientId, clientName: principal.clientName, action, correlationId: currentCorrelationId(), detail });
  }
}

function asBadRequest(error: unknown): never {
  if (error instanceof ClientInputError) throw new BadRequestException(error.message);
  throw error;
}

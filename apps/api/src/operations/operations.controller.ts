import { BadGatewayException, Body, NotFoundException, Controller, Get, HttpCode, Inject, Param, Post, Req, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { AuditWriter } from '@tandem/governance';
import { currentCorrelationId, CORRELATION_HEADER } from '@tandem/observability';
import { ApiConfig } from '../api.config';
import { CurrentPrincipal, Roles } from '../auth/principal';
import type { Principal } from '../auth/principal';

/**
 * IT's connector and dead-letter controls, behind the `it-operator` role: forwarded to the connectors
 * app's operations API (which answers only callers on its own machine), status and body passed back.
 */
@ApiTags('operations')
@ApiBearerAuth()
@Roles('it-operator')
@Controller()
export class OperationsController {
  constructor(
    @Inject(ApiConfig) private readonly config: ApiConfig,
    @Inject(AuditWriter) private readonly audit: AuditWriter,
  ) {}

  @Get('connectors')
  @ApiOperation({ summary: 'Every connector: state, cursor, lag, throughput, last error' })
  list(@Req() request: FastifyRequest, @Res() response: FastifyReply): Promise<void> {
    return this.forward(request, response, '/v1/connectors');
  }

  @Get('connectors/:name')
  one(@Param('name') name: string, @Req() request: FastifyRequest, @Res() response: FastifyReply): Promise<void> {
    return this.forward(request, response, `/v1/connectors/${encodeURIComponent(name)}`);
  }

  @Post('connectors/:name/:action')
  @HttpCode(200)
  @ApiOperation({ summary: 'pause, resume, or resync (body {"cursor": …}) a connector' })
  act(@Param('name') name: string, @Param('action') action: string, @Body() body: unknown, @Req() request: FastifyRequest, @Res() response: FastifyReply): Promise<void> {
    if (!['pause', 'resume', 'resync'].includes(action)) throw new NotFoundException('a connector action is pause, resume or resync');
    return this.forward(request, response, `/v1/connectors/${encodeURIComponent(name)}/${action}`, body);
  }

  @Get('dead-letters')
  @ApiOperation({ summary: 'Dead letters: what failed and why' })
  deadLetters(@Req() request: FastifyRequest, @Res() response: FastifyReply): Promise<void> {
    return this.forward(request, response, '/v1/dead-letters');
  }

  @Get('dead-letters/:id')
  @ApiOperation({ summary: 'One dead letter with its payload (audited: it may hold personal data)' })
  async deadLetter(@Param('id') id: string, @CurrentPrincipal() principal: Principal, @Req() request: FastifyRequest, @Res() response: FastifyReply): Promise<void> {
    await this.audit.record({ clientId: principal.clientId, clientName: principal.clientName, action: 'dead-letter.read', purpose: 'operations', fields: ['payload'], correlationId: currentCorrelationId(), detail: { deadLetter: id.slice(0, 64) } });
    return this.forward(request, response, `/v1/dead-letters/${encodeURIComponent(id)}`);
  }

  @Post('dead-letters/:id/:action')
  @HttpCode(200)
  @ApiOperation({ summary: 'replay or discard a dead letter' })
  deadLetterAction(@Param('id') id: string, @Param('action') action: string, @Req() request: FastifyRequest, @Res() response: FastifyReply): Promise<void> {
    return this.forward(request, response, `/v1/dead-letters/${encodeURIComponent(id)}/${encodeURIComponent(action)}`, {});
  }

  private async forward(request: FastifyRequest, response: FastifyReply, path: string, body?: unknown): Promise<void> {
    const query = request.url.includes('?') ? request.url.slice(request.url.indexOf('?')) : '';
    let upstream: globalThis.Response;
    try {
      upstream = await fetch(`${this.config.API_CONNECTORS_URL}${path}${query}`, {
        method: body === undefined ? 'GET' : 'POST',
        headers: { 'content-type': 'application/json', [CORRELATION_HEADER]: currentCorrelationId() ?? '' },
        body: body === undefined ? undefined : JSON.stringify(body ?? {}),
        signal: AbortSignal.timeout(10000),
      });
    } catch {
      throw new BadGatewayException(`the connectors app does not answer at ${this.config.API_CONNECTORS_URL}`);
    }
    const text = await upstream.text();
    response.status(upstream.status).type(upstream.headers.get('content-type') ?? 'application/json').send(text);
  }
}

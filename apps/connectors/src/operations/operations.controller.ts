import { BadRequestException, Body, Controller, Get, HttpCode, Inject, Param, Post, UseGuards } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { CrmConnector } from '../crm/crm-connector.service';
import { InvalidCursorError, parseCrmCursor } from '../crm/crm-cursor';
import { ConnectorRegistry } from '../registry/connector-registry.service';
import { ConnectorStatusResponse, ResyncRequest } from './connector-status.dto';
import { OperatorAccessGuard } from './operator-access.guard';

// Connector kinds whose cursor format the hub can check before accepting a resync.
const CURSOR_CHECKS: Record<string, (cursor: string) => unknown> = { crm: parseCrmCursor };

/** IT's view and levers: state, checkpoint, counts; pause, resume, resync. */
@ApiTags('connectors operations')
@Controller('v1/connectors')
@UseGuards(OperatorAccessGuard)
export class OperationsController {
  constructor(@Inject(ConnectorRegistry) private readonly registry: ConnectorRegistry, @Inject(CrmConnector) private readonly crm: CrmConnector) {}

  @Get()
  async list(): Promise<ConnectorStatusResponse[]> {
    return (await this.registry.list()).map(ConnectorStatusResponse.from);
  }

  @Get(':name')
  async get(@Param('name') name: string): Promise<ConnectorStatusResponse> {
    return ConnectorStatusResponse.from(await this.registry.require(name));
  }

  @Post(':name/pause')
  @HttpCode(200)
  async pause(@Param('name') name: string): Promise<ConnectorStatusResponse> {
    return ConnectorStatusResponse.from(await this.registry.pause(name));
  }

  @Post(':name/resume')
  @HttpCode(200)
  async resume(@Param('name') name: string): Promise<ConnectorStatusResponse> {
    const status = await this.registry.resume(name);
    this.crm.nudge();
    return ConnectorStatusResponse.from(status);
  }

  /** Restarts the connector from a cursor, or from the beginning; answers at once, progress shows in `resync`. */
  @Post(':name/resync')
  @HttpCode(202)
  async resync(@Param('name') name: string, @Body() request: ResyncRequest): Promise<ConnectorStatusResponse> {
    request ??= {};
    if (request.fromCursor && request.fromBeginning) throw new BadRequestException('give either fromCursor or fromBeginning, not both');
    const connector = await this.registry.require(name);
    const from = request.fromCursor ?? null;
    if (from && CURSOR_CHECKS[connector.kind]) {
      try {
        CURSOR_CHECKS[connector.kind](from);
      } catch (error) {
        if (error instanceof InvalidCursorError) throw new BadRequestException(error.message);
        throw error;
      }
    }
    const status = await this.registry.requestResync(name, from);
    this.crm.nudge();
    return ConnectorStatusResponse.from(status);
  }
}

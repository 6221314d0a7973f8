import { BadRequestException, Body, ConflictException, Controller, Get, HttpCode, Inject, Param, Post, UseGuards } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { CrmConnector } from '../crm/crm-connector.service';
import { InvalidCursorError, parseCrmCursor } from '../crm/crm-cursor';
import { InvalidMarketingCursorError, parseMarketingCursor } from '../marketing/marketing-cursor';
import { MarketingMembersPull } from '../marketing/marketing-members-pull.service';
import { ConnectorRegistry } from '../registry/connector-registry.service';
import { ConnectorStatusResponse, ResyncRequest } from './connector-status.dto';
import { OperatorAccessGuard } from './operator-access.guard';

/** How a connector kind takes a resync: its cursor's check, and why it cannot right now (null: it can). */
interface ResyncPolicy {
  checkCursor?: (cursor: string) => unknown;
  refusal?: () => string | null;
}

/** Why the Segment collection API cannot resync: the hub cannot ask the senders to send again. */
export const SEGMENT_RESYNC_REFUSAL =
  'the Segment collection API cannot resync: Segment sources push to the hub and the hub cannot ask them to send again (senders retry failed calls on their own; replay from Segment itself if events were lost)';

/** IT's view and levers: state, checkpoint, counts; pause, resume, resync. */
@ApiTags('connectors operations')
@Controller('v1/connectors')
@UseGuards(OperatorAccessGuard)
export class OperationsController {
  // By connector kind; a kind not here cannot resync, and is told so instead of queuing a request nothing acts on.
  private readonly policies: Record<string, ResyncPolicy>;

  constructor(
    @Inject(ConnectorRegistry) private readonly registry: ConnectorRegistry,
    @Inject(CrmConnector) private readonly crm: CrmConnector,
    @Inject(MarketingMembersPull) private readonly marketing: MarketingMembersPull,
  ) {
    this.policies = {
      crm: { checkCursor: parseCrmCursor },
      erp: { checkCursor: parseErpCursor },
      'marketing-webhooks': { checkCursor: parseMarketingCursor, refusal: () => this.marketing.unavailable },
      'segment-collection': { refusal: () => SEGMENT_RESYNC_REFUSAL },
    };
  }

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
    this.nudge();
    return ConnectorStatusResponse.from(status);
  }

  /**
   * Restarts the connector from a cursor, or from the beginning; answers at once, progress shows in
   * `resync`. A bad cursor is a 400 naming the problem; a connector that cannot resync (its kind, or
   * a setting missing) a 409 with the reason.
   */
  @Post(':name/resync')
  @HttpCode(202)
  async resync(@Param('name') name: string, @Body() request: ResyncRequest): Promise<ConnectorStatusResponse> {
    request ??= {};
    if (request.fromCursor && request.fromBeginning) throw new BadRequestException('give either fromCursor or fromBeginning, not both');
    const connector = await this.registry.require(name);
    const policy = this.policies[connector.kind];
    if (!policy) throw new ConflictException(`connector ${name} (kind ${connector.kind}) cannot resync`);
    const refusal = policy.refusal?.() ?? null;
    if (refusal) throw new ConflictException(`connector ${name}: ${refusal}`);
    const from = request.fromCursor ?? null;
    if (from && policy.checkCursor) {
      try {
        policy.checkCursor(from);
      } catch (error) {
        if (error instanceof InvalidCursorError || error instanceof InvalidMarketingCursorError) throw new BadRequestException(error.message);
        throw error;
      }
    }
    const status = await this.registry.requestResync(name, from);
    this.nudge();
    return ConnectorStatusResponse.from(status);
  }

  // The connectors polling in this process take a resume or resync at once rather than at their next poll.
  private nudge(): void {
    this.crm.nudge();
    this.marketing.nudge();
  }
}

/** The ERP connector restarts its change topics from an instant (see ErpConnector.resync). */
function parseErpCursor(cursor: string): void {
  if (Number.isNaN(Date.parse(cursor))) throw new InvalidCursorError(`an ERP resync cursor is an ISO instant, not "${cursor.slice(0, 60)}"`);
}

import { BadRequestException, ConflictException } from '@nestjs/common';
import { CrmConnector } from '../crm/crm-connector.service';
import { MarketingMembersPull } from '../marketing/marketing-members-pull.service';
import { ConnectorRegistry, ConnectorStatus } from '../registry/connector-registry.service';
import { OperationsController } from './operations.controller';

describe('OperationsController resync', () => {
  const kinds: Record<string, string> = { crm: 'crm', erp: 'erp', marketing: 'marketing-webhooks', segment: 'segment-collection', legacy: 'csv-import' };
  const requested: string[] = [];
  const registry = {
    require: async (name: string) => ({ name, kind: kinds[name], state: 'running', resync: { requested: false } }) as unknown as ConnectorStatus,
    requestResync: async (name: string, from: string | null) => {
      requested.push(`${name}:${from}`);
      return { name, kind: kinds[name], state: 'running', config: {}, resync: { requested: true, from } } as unknown as ConnectorStatus;
    },
  } as unknown as ConnectorRegistry;
  const nudges = { nudge: () => undefined };
  const controller = (unavailable: string | null) => new OperationsController(registry, nudges as unknown as CrmConnector, { ...nudges, unavailable } as unknown as MarketingMembersPull);
  const refusal = (promise: Promise<unknown>) => promise.then(() => 'accepted', (error: Error) => `${error.constructor.name}: ${error.message}`);

  beforeEach(() => (requested.length = 0));

  it('should refuse a Segment resync with 409 and why, and queue nothing', async () => {
    const answer = await refusal(controller(null).resync('segment', { fromBeginning: true }));
    expect(answer).toMatch(/^ConflictException: connector segment: the Segment collection API cannot resync/);
    expect(requested).toEqual([]);
  });

  it('should refuse a marketing resync with 409 naming the setting when no members API is configured', async () => {
    const answer = await refusal(controller('no marketing members API is configured: set MARKETING_API_URL').resync('marketing', { fromBeginning: true }));
    expect(answer).toContain('MARKETING_API_URL');
    expect(answer).toMatch(/^ConflictException/);
    expect(requested).toEqual([]);
  });

  it('should refuse a kind that cannot resync, and a bad cursor with 400 naming the problem', async () => {
    await expect(controller(null).resync('legacy', { fromBeginning: true })).rejects.toBeInstanceOf(ConflictException);
    await expect(controller(null).resync('marketing', { fromCursor: 'last tuesday' })).rejects.toThrow(new BadRequestException('the marketing cursor is an ISO 8601 instant such as 2026-11-01T09:30:00Z, not "last tuesday"'));
    await expect(controller(null).resync('erp', { fromCursor: 'soon' })).rejects.toBeInstanceOf(BadRequestException);
    expect(requested).toEqual([]);
  });

  it('should queue a marketing resync from an instant, and the CRM and ERP ones as before', async () => {
    await controller(null).resync('marketing', { fromCursor: '2026-11-01T09:30:00Z' });
    await controller(null).resync('crm', { fromBeginning: true });
    await controller(null).resync('erp', { fromCursor: '2026-11-01' });
    expect(requested).toEqual(['marketing:2026-11-01T09:30:00Z', 'crm:null', 'erp:2026-11-01']);
  });
});

import { DEAD_LETTER_HEADERS } from '@tandem/contracts';
import { toDeadLetterRow } from './dead-letter.recorder';

describe('dead-letter recorder: reading a dead-letter message', () => {
  const base = { topic: 'tandem.ingest.customer-event.v1.dead-letter', partition: 0, offset: '41', key: 'erp:7', value: Buffer.from('{"op":"c"}'), timestamp: '1795382942343' };

  it('should take the origin, reason and attempts from the headers and keep the other headers for the replay', () => {
    const row = toDeadLetterRow({
      ...base,
      headers: {
        [DEAD_LETTER_HEADERS.originalTopic]: Buffer.from('erp.public.orders'),
        [DEAD_LETTER_HEADERS.originalPartition]: Buffer.from('2'),
        [DEAD_LETTER_HEADERS.originalOffset]: Buffer.from('17'),
        [DEAD_LETTER_HEADERS.error]: Buffer.from('invalid message: orders.total is not a non-negative decimal'),
        [DEAD_LETTER_HEADERS.attempts]: Buffer.from('3'),
        [DEAD_LETTER_HEADERS.failedAt]: Buffer.from('2026-11-22T21:00:00.000Z'),
        'x-correlation-id': Buffer.from('corr-1'),
      },
    });
    expect(row).toMatchObject({
      deadLetterTopic: base.topic,
      deadLetterOffset: '41',
      originalTopic: 'erp.public.orders',
      originalPartition: 2,
      originalOffset: '17',
      reason: 'invalid message: orders.total is not a non-negative decimal',
      attempts: 3,
      failedAt: '2026-11-22T21:00:00.000Z',
      headers: { 'x-correlation-id': 'corr-1' },
      key: 'erp:7',
    });
  });

  it('should record a connector-refused record (no original topic) and survive headers PostgreSQL would refuse', () => {
    const row = toDeadLetterRow({
      ...base,
      headers: { [DEAD_LETTER_HEADERS.connector]: 'crm', [DEAD_LETTER_HEADERS.sourceRecordId]: '9', 'x-odd': 'a\u0000b' },
    });
    expect(row).toMatchObject({ originalTopic: null, originalPartition: null, originalOffset: null, connector: 'crm', sourceRecordId: '9', attempts: 1 });
    expect(row.reason).toContain('no reason given');
    expect(row.headers['x-odd']).toBe('a\uFFFDb');
    expect(row.failedAt).toBe(new Date(1795382942343).toISOString());
  });
});

import { groupByRecord } from './resolution.service';

const msg = (source: string, id: string, version: number) => ({ value: { source, sourceRecordId: id, recordVersion: version } });

describe('groupByRecord', () => {
  it('should cap the distinct records per group and keep every version of a record in one group', () => {
    const messages = [msg('crm', 'a', 1), msg('crm', 'b', 1), msg('crm', 'c', 1), msg('crm', 'a', 2), msg('crm', 'd', 1), msg('crm', 'c', 2)];
    const groups = groupByRecord(messages, 2);
    expect(groups.map((g) => g.map((m) => `${m.value.sourceRecordId}${m.value.recordVersion}`))).toEqual([['a1', 'b1', 'a2'], ['c1', 'd1', 'c2']]);
  });
});

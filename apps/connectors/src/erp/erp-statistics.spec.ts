import pino from 'pino';
import { DataSource } from 'typeorm';
import { ErpStatistics } from './erp-statistics';

const logger = pino({ level: 'silent' });

/** A database whose state tables hold `rows` rows at each ANALYZE; records the statements. */
function database(rowsAtEachAnalyze: number[]) {
  const statements: string[] = [];
  let analyzed = 0;
  const dataSource = {
    query: async (sql: string) => {
      statements.push(sql.startsWith('ANALYZE') ? sql : 'pg_class');
      if (sql.startsWith('ANALYZE')) return [];
      return [{ rows: String(rowsAtEachAnalyze[analyzed++] ?? 0) }];
    },
  } as unknown as DataSource;
  return { dataSource, analyzes: () => statements.filter((s) => s.startsWith('ANALYZE')) };
}

const settle = () => new Promise((resolve) => setImmediate(resolve));

describe('ERP state statistics', () => {
  it('should analyze the state tables after the first thousand changes, then each time the changes since match the rows the tables had', async () => {
    const db = database([6000, 20000]);
    const statistics = new ErpStatistics(db.dataSource, logger);
    statistics.written(999);
    await settle();
    expect(db.analyzes()).toEqual([]);
    statistics.written(5001);
    await settle();
    expect(db.analyzes()).toEqual(['ANALYZE erp_customers (source, customer_id), erp_orders (source, order_id, customer_id, announced, deleted)']);
    // The tables had 6,000 rows: the next ANALYZE comes after 7,000 more changes, not before.
    statistics.written(6999);
    await settle();
    expect(db.analyzes()).toHaveLength(1);
    statistics.written(1);
    await settle();
    expect(db.analyzes()).toHaveLength(2);
    statistics.written(20000);
    await settle();
    expect(db.analyzes()).toHaveLength(2);
  });

  it('should run one ANALYZE at a time and not fail the writes when it fails', async () => {
    let release!: () => void;
    const blocked = new Promise<void>((resolve) => (release = resolve));
    let calls = 0;
    const dataSource = {
      query: async (sql: string) => {
        if (!sql.startsWith('ANALYZE')) return [{ rows: '0' }];
        calls++;
        await blocked;
        throw new Error('canceling statement due to user request');
      },
    } as unknown as DataSource;
    const statistics = new ErpStatistics(dataSource, logger);
    statistics.written(5000);
    statistics.written(5000);
    expect(calls).toBe(1);
    release();
    await settle();
    await settle();
    statistics.written(1000);
    expect(calls).toBe(2);
  });
});

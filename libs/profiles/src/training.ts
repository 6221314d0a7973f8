import type { DataSource } from 'typeorm';
import { DatasetBuilder, trainModel, ValueNormalizer, type Dataset, type MatchModel } from '@tandem/identity-engine';
import { hubModel, type StoredRecord } from './record-model';

/** What `trainFromStoredRecords` read and learned. */
export interface TrainingResult {
  /** The trained model (`training.trained` false when the records gave EM too few pairs). */
  model: MatchModel;
  records: number;
  sources: string[];
}

/**
 * Per field of `model`, the raw value the streaming resolver compares for `record` (see
 * `Population.codeOf`): an email or phone field takes the record's identifier of that type whose
 * normalized value sorts first; a missing given or family name comes from the full name's first token
 * or the rest. The dataset's builder normalizes them as the population does.
 */
export class MatchValues {
  private readonly values: ValueNormalizer;
  private readonly fields: MatchModel['fields'];

  constructor(model: MatchModel) {
    this.values = new ValueNormalizer(model.normalization);
    this.fields = model.fields;
  }

  of(record: Pick<StoredRecord, 'attributes' | 'identifiers'>): Array<string | undefined> {
    const attributes = record.attributes ?? {};
    return this.fields.map((field) => {
      if (field.kind === 'email' || field.kind === 'phone') return this.firstIdentifier(record.identifiers ?? [], field.kind);
      const value = attributes[field.name];
      if (typeof value === 'string' && value !== '') return value;
      if (attributes.fullName && (field.kind === 'givenName' || field.kind === 'familyName')) {
        const tokens = attributes.fullName.split(/\s+/);
        return field.kind === 'givenName' ? tokens[0] : tokens.slice(1).join(' ');
      }
      return undefined;
    });
  }

  private firstIdentifier(identifiers: StoredRecord['identifiers'], type: 'email' | 'phone'): string | undefined {
    let raw: string | undefined;
    let first: string | null = null;
    for (const id of identifiers) {
      if (id.type !== type) continue;
      const normalized = this.values.normalize(type, id.value);
      if (normalized !== null && (first === null || normalized < first)) {
        first = normalized;
        raw = id.value;
      }
    }
    return raw;
  }
}

/**
 * Trains a match model on the stored source records (every live one, or those of `sources`), as a
 * batch run trains on a file: u from random pairs, m by EM on each blocking rule's pairs, the prior
 * from the candidate pairs. Reads no labels and writes nothing; the records are read through a cursor
 * in one snapshot, and taken in the order of their source and source id, so the same records give the
 * same model. Adopting the model is a rule change: see what it would do with `dryRun`, then
 * `rebuildProfiles` and the identity instances' IDENTITY_MODEL_FILE.
 */
export async function trainFromStoredRecords(
  dataSource: DataSource,
  options: { base?: MatchModel; sources?: string[]; onProgress?(records: number): void } = {},
): Promise<TrainingResult> {
  const base = options.base ?? hubModel();
  const dataset = await storedDataset(dataSource, base, options.sources, options.onProgress);
  return { model: trainModel(dataset, { model: base }), records: dataset.size, sources: dataset.sourceNames.slice().sort() };
}

async function storedDataset(dataSource: DataSource, model: MatchModel, sources: string[] | undefined, onProgress?: (records: number) => void): Promise<Dataset> {
  const builder = new DatasetBuilder(model.fields.map((f) => ({ name: f.name, kind: f.kind })), model.normalization);
  const values = new MatchValues(model);
  await dataSource.transaction('REPEATABLE READ', async (manager) => {
    await manager.query(
      `DECLARE training_rows NO SCROLL CURSOR FOR
         SELECT source, source_record_id, attributes, identifiers FROM source_records WHERE NOT deleted AND ($1::text[] IS NULL OR source = ANY($1::text[]))`,
      [sources ?? null],
    );
    for (;;) {
      const rows: Array<{ source: string; source_record_id: string; attributes: StoredRecord['attributes'] | null; identifiers: StoredRecord['identifiers'] | null }> = await manager.query(
        `FETCH 20000 FROM training_rows`,
      );
      if (rows.length === 0) break;
      for (const row of rows) builder.add(row.source_record_id, row.source, values.of({ attributes: row.attributes ?? {}, identifiers: row.identifiers ?? [] }));
      onProgress?.(builder.size);
    }
    await manager.query(`CLOSE training_rows`);
  });
  return builder.build();
}

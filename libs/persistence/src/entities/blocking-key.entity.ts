import { Entity, Index, PrimaryColumn } from 'typeorm';

/** A blocking key of one source record under the current model: records sharing a key are candidates. */
@Entity({ name: 'blocking_keys' })
@Index('blocking_keys_record_idx', ['recordId'])
export class BlockingKeyEntity {
  @PrimaryColumn({ type: 'text' })
  key: string;

  @PrimaryColumn({ name: 'record_id', type: 'uuid' })
  recordId: string;
}

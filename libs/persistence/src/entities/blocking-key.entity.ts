import { Entity, Index, PrimaryColumn } from 'typeorm';

/**
 * A blocking key of one source record under the current model, as a 64-bit hash of its text: records
 * sharing a key are candidates. No foreign key: a derived index the resolver rewrites and erasure deletes.
 */
@Entity({ name: 'blocking_keys' })
@Index('blocking_keys_record_idx', ['recordId'])
export class BlockingKeyEntity {
  @PrimaryColumn({ type: 'bigint' })
  key: string;

  @PrimaryColumn({ name: 'record_id', type: 'uuid' })
  recordId: string;
}

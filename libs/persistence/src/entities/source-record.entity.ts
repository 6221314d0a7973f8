import { Column, CreateDateColumn, Entity, Index, PrimaryGeneratedColumn, UpdateDateColumn } from 'typeorm';

/** The latest known state of one record in one source system (a CRM contact, an ERP customer…). */
@Entity({ name: 'source_records' })
@Index('source_records_source_record_uq', ['source', 'sourceRecordId'], { unique: true })
export class SourceRecordEntity {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  @Column({ type: 'text' })
  source: string;

  @Column({ name: 'source_record_id', type: 'text' })
  sourceRecordId: string;

  /** Monotonic per source record: an older version never overwrites a newer one. */
  @Column({ name: 'record_version', type: 'bigint' })
  recordVersion: string;

  @Column({ name: 'last_event_id', type: 'uuid' })
  lastEventId: string;

  @Column({ type: 'text' })
  kind: string;

  @Column({ type: 'boolean', default: false })
  deleted: boolean;

  @Column({ type: 'jsonb' })
  identifiers: unknown;

  @Column({ type: 'jsonb' })
  attributes: unknown;

  @Column({ name: 'occurred_at', type: 'timestamptz' })
  occurredAt: Date;

  /** The profile this record is resolved into; null while deleted. */
  @Column({ name: 'profile_id', type: 'uuid', nullable: true })
  profileId: string | null;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' })
  updatedAt: Date;
}

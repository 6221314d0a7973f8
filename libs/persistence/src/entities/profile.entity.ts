import { Column, Entity, PrimaryColumn } from 'typeorm';

export type ProfileStatus = 'active' | 'merged' | 'erased' | 'retired';

/** One attribute of a golden record and where it came from. */
export interface AttributeLineage {
  source: string;
  sourceRecordId: string;
  occurredAt: string;
  rule: string;
}

/** A person: the cluster of source records resolved to be them, and the golden record computed from them. */
@Entity({ name: 'profiles' })
export class ProfileEntity {
  @PrimaryColumn({ type: 'uuid' })
  id: string;

  /** `merged` profiles live on in `mergedInto`; `retired` ones lost every record. */
  @Column({ type: 'text', default: 'active' })
  status: ProfileStatus;

  /** Incremented on every change published to the change feed. */
  @Column({ type: 'integer', default: 1 })
  version: number;

  @Column({ type: 'jsonb' })
  golden: Record<string, unknown>;

  /** Per golden attribute, the source record and time behind it. */
  @Column({ type: 'jsonb' })
  lineage: Record<string, AttributeLineage>;

  /** The profile's consent (`profile_consents` rows, by channel and purpose), written with them: what reads use. */
  @Column({ type: 'jsonb', default: () => "'[]'::jsonb" })
  consents: Array<{ channel: string; purpose: string; status: 'granted' | 'withdrawn' | 'suppressed' }>;

  @Column({ name: 'record_count', type: 'integer', default: 0 })
  recordCount: number;

  @Column({ name: 'merged_into', type: 'uuid', nullable: true })
  mergedInto: string | null;

  @Column({ name: 'created_at', type: 'timestamptz', default: () => 'now()' })
  createdAt: Date;

  @Column({ name: 'updated_at', type: 'timestamptz', default: () => 'now()' })
  updatedAt: Date;
}

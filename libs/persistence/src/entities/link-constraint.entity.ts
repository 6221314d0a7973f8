import { Column, Entity, Index, PrimaryColumn } from 'typeorm';

export type LinkConstraintKind = 'do-not-link' | 'must-link';

/** A steward's decision about a pair of records (record_a < record_b) that every re-clustering and replay respects. */
@Entity({ name: 'link_constraints' })
@Index('link_constraints_record_b_idx', ['recordB'])
export class LinkConstraintEntity {
  @PrimaryColumn({ name: 'record_a', type: 'uuid' })
  recordA: string;

  @PrimaryColumn({ name: 'record_b', type: 'uuid' })
  recordB: string;

  @Column({ type: 'text' })
  kind: LinkConstraintKind;

  @Column({ type: 'text' })
  actor: string;

  @Column({ type: 'text' })
  reason: string;

  @Column({ name: 'created_at', type: 'timestamptz', default: () => 'now()' })
  createdAt: Date;
}

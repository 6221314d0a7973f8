import { Column, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';

/**
 * `open`: waiting for a steward. `household`: two people the person-attribute guardrail holds apart
 * who share contact or address details, recorded and not waiting (a steward may still decide it).
 * `accepted`, `rejected`: decided. `obsolete`: its two records came to share a profile.
 */
export type ReviewStatus = 'open' | 'household' | 'accepted' | 'rejected' | 'obsolete';

/** A pair of records the matcher was unsure about, waiting for a steward, or a household pair (record_a < record_b). */
@Entity({ name: 'review_queue' })
@Index('review_queue_pair_uq', ['recordA', 'recordB'], { unique: true })
export class ReviewItemEntity {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  @Column({ name: 'record_a', type: 'uuid' })
  recordA: string;

  @Column({ name: 'record_b', type: 'uuid' })
  recordB: string;

  @Column({ type: 'real' })
  score: number;

  @Column({ type: 'text' })
  rule: string;

  @Column({ type: 'jsonb' })
  evidence: unknown;

  @Column({ type: 'text', default: 'open' })
  status: ReviewStatus;

  @Column({ name: 'decided_by', type: 'text', nullable: true })
  decidedBy: string | null;

  @Column({ type: 'text', nullable: true })
  reason: string | null;

  @Column({ name: 'decided_at', type: 'timestamptz', nullable: true })
  decidedAt: Date | null;

  @Column({ name: 'created_at', type: 'timestamptz', default: () => 'now()' })
  createdAt: Date;
}

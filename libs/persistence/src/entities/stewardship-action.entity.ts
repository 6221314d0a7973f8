import { Column, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';

/** Who did what to which records or profile, and why (review decisions, unmerges). */
@Entity({ name: 'stewardship_actions' })
@Index('stewardship_actions_profile_idx', ['profileId'])
export class StewardshipActionEntity {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  @Column({ type: 'text' })
  action: string;

  @Column({ name: 'record_a', type: 'uuid', nullable: true })
  recordA: string | null;

  @Column({ name: 'record_b', type: 'uuid', nullable: true })
  recordB: string | null;

  @Column({ name: 'profile_id', type: 'uuid', nullable: true })
  profileId: string | null;

  @Column({ type: 'text' })
  actor: string;

  @Column({ type: 'text' })
  reason: string;

  @Column({ name: 'created_at', type: 'timestamptz', default: () => 'now()' })
  createdAt: Date;
}

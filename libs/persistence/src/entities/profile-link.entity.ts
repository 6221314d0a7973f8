import { Column, Entity, Index, PrimaryColumn } from 'typeorm';

/** Why two records are in one profile: the rule or score and the evidence per field (record_a < record_b). */
@Entity({ name: 'profile_links' })
@Index('profile_links_profile_idx', ['profileId'])
@Index('profile_links_record_b_idx', ['recordB'])
export class ProfileLinkEntity {
  @PrimaryColumn({ name: 'record_a', type: 'uuid' })
  recordA: string;

  @PrimaryColumn({ name: 'record_b', type: 'uuid' })
  recordB: string;

  @Column({ name: 'profile_id', type: 'uuid' })
  profileId: string;

  @Column({ type: 'real' })
  score: number;

  @Column({ type: 'text' })
  rule: string;

  @Column({ type: 'jsonb' })
  evidence: unknown;

  @Column({ name: 'created_at', type: 'timestamptz', default: () => 'now()' })
  createdAt: Date;
}

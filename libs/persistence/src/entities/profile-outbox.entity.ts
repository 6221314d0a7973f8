import { Column, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';

export type ProfileChange = 'created' | 'updated' | 'merged' | 'split' | 'erased';

/** A profile change written in the resolving transaction, published to the change topic by the relay. */
@Entity({ name: 'profile_outbox' })
@Index('profile_outbox_profile_idx', ['profileId'])
export class ProfileOutboxEntity {
  @PrimaryGeneratedColumn({ type: 'bigint' })
  id: string;

  @Column({ name: 'profile_id', type: 'uuid' })
  profileId: string;

  @Column({ type: 'text' })
  change: ProfileChange;

  /** The message value; null publishes a tombstone. */
  @Column({ type: 'jsonb', nullable: true })
  payload: unknown;

  @Column({ name: 'created_at', type: 'timestamptz', default: () => 'now()' })
  createdAt: Date;

  @Column({ name: 'published_at', type: 'timestamptz', nullable: true })
  publishedAt: Date | null;
}

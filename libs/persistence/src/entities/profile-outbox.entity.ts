import { Column, Entity, PrimaryGeneratedColumn } from 'typeorm';

export type ProfileChange = 'created' | 'updated' | 'merged' | 'split' | 'erased';

/** A profile change written in the resolving transaction, published to the change topic by the relay (which reads by position, see outbox_relay). */
@Entity({ name: 'profile_outbox' })
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
}

import { Column, Entity, PrimaryColumn } from 'typeorm';

export type ConsentStatus = 'granted' | 'withdrawn' | 'suppressed';

/** Consent or suppression as one source record states it, per channel and purpose ('' = every purpose). */
@Entity({ name: 'record_consents' })
export class RecordConsentEntity {
  @PrimaryColumn({ name: 'record_id', type: 'uuid' })
  recordId: string;

  @PrimaryColumn({ type: 'text' })
  channel: string;

  @PrimaryColumn({ type: 'text', default: '' })
  purpose: string;

  @Column({ type: 'text' })
  status: ConsentStatus;

  @Column({ name: 'occurred_at', type: 'timestamptz' })
  occurredAt: Date;
}

/** A profile's consent per channel and purpose: the most restrictive state among its records. */
@Entity({ name: 'profile_consents' })
export class ProfileConsentEntity {
  @PrimaryColumn({ name: 'profile_id', type: 'uuid' })
  profileId: string;

  @PrimaryColumn({ type: 'text' })
  channel: string;

  @PrimaryColumn({ type: 'text', default: '' })
  purpose: string;

  @Column({ type: 'text' })
  status: ConsentStatus;

  @Column({ name: 'updated_at', type: 'timestamptz', default: () => 'now()' })
  updatedAt: Date;
}

import { Column, Entity, Index, PrimaryColumn } from 'typeorm';

/** A normalized value that can identify a person, carried by one source record. Looked up by (type, value), straight to the profile. */
@Entity({ name: 'identifiers' })
@Index('identifiers_record_idx', ['recordId'])
export class IdentifierEntity {
  @PrimaryColumn({ type: 'text' })
  type: string;

  @PrimaryColumn({ type: 'text' })
  value: string;

  @PrimaryColumn({ name: 'record_id', type: 'uuid' })
  recordId: string;

  @Column({ type: 'boolean', default: false })
  verified: boolean;

  /** The record's profile, always equal to `source_records.profile_id` (written with it); carried in the key index. */
  @Column({ name: 'profile_id', type: 'uuid' })
  profileId: string;
}

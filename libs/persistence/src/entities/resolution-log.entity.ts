import { Column, Entity, PrimaryColumn } from 'typeorm';

/**
 * One transaction that changed what resolver instances hold in memory (records stored, moved, erased;
 * steward constraints; review items), with those records. Appended under the resolution lock, so
 * positions are gapless and in commit order; instances read the entries after their own position.
 */
@Entity({ name: 'resolution_log' })
export class ResolutionLogEntity {
  @PrimaryColumn({ type: 'bigint' })
  seq: string;

  @Column({ type: 'uuid', array: true })
  records: string[];

  @Column({ name: 'written_at', type: 'timestamptz', default: () => 'now()' })
  writtenAt: Date;
}

/** How far the outbox relay has published (the id of the last outbox row sent). */
@Entity({ name: 'outbox_relay' })
export class OutboxRelayEntity {
  @PrimaryColumn({ type: 'integer' })
  id: number;

  @Column({ type: 'bigint' })
  position: string;
}

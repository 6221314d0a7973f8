import { SourceRecordEntity } from './entities/source-record.entity';
import { SourceRecords1763830000000 } from './migrations/1763830000000-SourceRecords';
import { Profiles1763900000000 } from './migrations/1763900000000-Profiles';
import { ProfileEntity } from './entities/profile.entity';
import { IdentifierEntity } from './entities/identifier.entity';
import { ProfileLinkEntity } from './entities/profile-link.entity';
import { LinkConstraintEntity } from './entities/link-constraint.entity';
import { ReviewItemEntity } from './entities/review-item.entity';
import { StewardshipActionEntity } from './entities/stewardship-action.entity';
import { ProfileConsentEntity, RecordConsentEntity } from './entities/consent.entity';
import { ProfileOutboxEntity } from './entities/profile-outbox.entity';
import { OutboxRelayEntity, ResolutionLogEntity } from './entities/resolution-log.entity';
import { Connectors1763910000000 } from './migrations/1763910000000-Connectors';
import { ErpConnector1763915000000 } from './migrations/1763915000000-ErpConnector';
import { DeadLetters1763915100000 } from './migrations/1763915100000-DeadLetters';
import { ErpOrdersAnnounced1763915200000 } from './migrations/1763915200000-ErpOrdersAnnounced';
import { Governance1763920000000 } from './migrations/1763920000000-Governance';
import { ErasureGuard1763920100000 } from './migrations/1763920100000-ErasureGuard';
import { DeadLetterIdentity1763930000000 } from './migrations/1763930000000-DeadLetterIdentity';
import { HashedBlockingKeys1763940000000 } from './migrations/1763940000000-HashedBlockingKeys';
import { ErpOrdersSummary1763945000000 } from './migrations/1763945000000-ErpOrdersSummary';
import { ReviewQueueByRecord1763940100000 } from './migrations/1763940100000-ReviewQueueByRecord';
import { ProfileReadColumns1764200000000 } from './migrations/1764200000000-ProfileReadColumns';
import { ResolverPopulation1764300000000 } from './migrations/1764300000000-ResolverPopulation';
import { ErpCustomersFillfactor1764350000000 } from './migrations/1764350000000-ErpCustomersFillfactor';
import { ReviewHouseholds1764400000000 } from './migrations/1764400000000-ReviewHouseholds';

// Listed by hand rather than globbed so the same list works compiled, under ts-jest and bundled.
/** Every entity of the hub's schema. */
export const ENTITIES = [SourceRecordEntity, ProfileEntity, IdentifierEntity, ProfileLinkEntity, LinkConstraintEntity, ReviewItemEntity, StewardshipActionEntity, RecordConsentEntity, ProfileConsentEntity, ProfileOutboxEntity, ResolutionLogEntity, OutboxRelayEntity];
/** Every migration, oldest first. Never edit one that has been committed: add a new one. */
export const MIGRATIONS = [SourceRecords1763830000000, Profiles1763900000000, Connectors1763910000000, ErpConnector1763915000000, DeadLetters1763915100000, ErpOrdersAnnounced1763915200000, Governance1763920000000, ErasureGuard1763920100000, DeadLetterIdentity1763930000000, HashedBlockingKeys1763940000000, ReviewQueueByRecord1763940100000, ErpOrdersSummary1763945000000, ProfileReadColumns1764200000000, ResolverPopulation1764300000000, ErpCustomersFillfactor1764350000000, ReviewHouseholds1764400000000];

import 'reflect-metadata';
export { PROFILE_SCHEMA, hubModel, RecordNormalizer, identifierKey, type StoredRecord, type ResolvedRecord } from './record-model';
export { survivorship, type GoldenRecord } from './survivorship';
export { clusterNeighbourhood, PairScorer, pairKey, recordKeys, MAX_KEY_RECORDS, NO_CONSTRAINTS, type PairConstraints, type NeighbourhoodClusters, type ScoredPair } from './cluster-neighbourhood';
export { lockId, lockResolution, RESOLUTION_LOCK } from './resolution-locks';
export { ProfileResolver, type ResolveRequest, type ResolveOutcome } from './profile-resolver';
export { StewardshipService, type RecordRef, type ReviewItemView, type ProfileView, type StewardDecision } from './stewardship.service';
export { rebuildProfiles, dryRun, loadModel, type RebuildProgress, type RebuildResult, type DryRunReport, type DryRunChange } from './rebuild';

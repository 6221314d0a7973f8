export * from './types';
export { foldCase, foldText, isBlank } from './normalize/text';
export { normalizeEmail, emailLocalPart, emailDomain, DEFAULT_EMAIL_RULES, type EmailDomainRule, type EmailRules } from './normalize/email';
export { normalizePhone, PhoneNormalizer } from './normalize/phone';
export { normalizeGivenName, normalizeFamilyName, normalizeFullName, soundex, NAME_PARTICLES } from './normalize/name';
export { canonicalGivenName, areNicknameVariants, givenNameGroups, buildNicknameTable } from './normalize/nicknames';
export { normalizeStreet, normalizeHouseNumber, normalizePostcode, normalizePlace, normalizeCountry, normalizeGender, normalizeIdentifier } from './normalize/address';
export { normalizeDate, type DateOptions } from './normalize/date';
export { ValueNormalizer, normalizeRecord, schemaFromAttributes, type NormalizationOptions } from './normalize/record';
export { jaro, jaroWinkler, editDistance } from './compare/string-metrics';
export { comparatorFor, type Comparator } from './compare/comparators';
export { defaultBlockingRules, transformKey, type BlockingRule, type BlockingPart, type KeyTransform } from './model/blocking';
export { blockingKeys } from './blocking-keys';
export {
  defaultModel,
  levelWeights,
  probabilityToScore,
  scoreToProbability,
  assertMatchModel,
  modelFingerprint,
  type MatchModel,
  type FieldModel,
  type ModelOptions,
  type TermFrequencyTable,
} from './model/match-model';
export { runEm, type EmInput, type EmParams, type EmOptions } from './model/em';
export { compare, compileModel, modelTermFrequencyContext, fieldLevel, HOUSEHOLD_RULE, mergeSupport, CompiledModel, type ScoringContext } from './scoring';
export { CodedScorer, type CodedRecords, type FieldIdentifies } from './coded-scorer';
export { clusterEdges, sortEdges, type ScoredEdges, type ClusterOptions, type ClusterResult } from './cluster/cluster';
export { DatasetBuilder, type Dataset } from './dataset';
export {
  resolve,
  resolveDataset,
  resolveDatasetParallel,
  trainModel,
  termFrequencyTables,
  datasetContext,
  type ResolveOptions,
  type ResolveStats,
  type BatchResult,
  type ResolveRecordsResult,
  type ResolvedCluster,
} from './resolve';
export { evaluateClusters, type QualityReport, type PairwiseScores } from './metrics';
export {
  buildGoldenRecord,
  DEFAULT_SURVIVORSHIP,
  type SurvivorshipRule,
  type AttributeSurvivorship,
  type SurvivorshipConfig,
  type GoldenAttribute,
  type GoldenRecord,
} from './survivorship/survivorship';

import { Inject, Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { ValueNormalizer } from '@tandem/identity-engine';
import { ATTRIBUTE_FIELDS, AuditWriter, contactAllowed, EffectivePolicy, erasureKey, PolicyField, Purpose, renderProfile, StoredProfile } from '@tandem/governance';
import { hubModel } from '@tandem/profiles';
import { currentCorrelationId } from '@tandem/observability';
import type { Principal } from '../auth/principal';
import { GovernanceKeys } from '../governance/governance-keys';
import { ProfileReader } from '../profiles/profile-reader';
import { RecipientRow } from './recipient-input';

export type AudienceChannel = 'email' | 'sms' | 'phone' | 'postal';

/** What became of the input rows. Every row is counted once. */
export interface AudienceReport {
  audienceId: string;
  inputRows: number;
  recipients: number;
  uniquePeople: number;
  duplicatesRemoved: number;
  suppressed: { total: number; noConsent: number; suppressedChannel: number; noAddress: number; erased: number };
  unknown: number;
  ambiguous: number;
  invalid: number;
}

/** A chunk after stage one: counts, and for each matched row (in input order) its profiles. */
export interface MatchedChunk {
  rows: number;
  invalid: number;
  erased: number;
  unknown: number;
  matched: string[][];
}

export interface Recipient {
  profileId: string;
  address: unknown;
  attributes: Record<string, string>;
}

const POSTAL_FIELDS = ['street', 'houseNumber', 'postcode', 'city', 'region', 'country'];
/** Where the golden record keeps each contact field's values. */
const CONTACT_KEYS: Array<[PolicyField, string]> = [
  ['email', 'emails'],
  ['phone', 'phones'],
];

/**
 * Turns a campaign's recipient list into one recipient per person. Rows are resolved in chunks:
 * stage one (normalize, find profiles) runs for a few chunks at once; stage two (deduplicate,
 * consent, audit) runs in input order, and a chunk's recipients are released only after its audit
 * entry is committed.
 */
@Injectable()
export class AudienceResolver {
  private readonly normalizer = new ValueNormalizer(hubModel().normalization);

  constructor(
    @Inject(ProfileReader) private readonly reader: ProfileReader,
    @Inject(AuditWriter) private readonly audit: AuditWriter,
    @Inject(GovernanceKeys) private readonly keys: GovernanceKeys,
  ) {}

  start(principal: Principal, policy: EffectivePolicy, channel: AudienceChannel): AudienceRun {
    return new AudienceRun(this.reader, this.audit, this.keys, this.normalizer, principal, policy, channel);
  }
}

export class AudienceRun {
  readonly report: AudienceReport = {
    audienceId: randomUUID(),
    inputRows: 0,
    recipients: 0,
    uniquePeople: 0,
    duplicatesRemoved: 0,
    suppressed: { total: 0, noConsent: 0, suppressedChannel: 0, noAddress: 0, erased: 0 },
    unknown: 0,
    ambiguous: 0,
    invalid: 0,
  };
  private readonly seen = new Set<string>();
  private chunkNo = 0;
  /** What the recipients need of a golden record: the attributes the policy allows and the channel's contact points. */
  private readonly goldenKeys: string[];
  /** The purpose as contacting people on this run's channel. */
  private readonly contactPurpose: Purpose;

  constructor(
    private readonly reader: ProfileReader,
    private readonly audit: AuditWriter,
    private readonly keys: GovernanceKeys,
    private readonly normalizer: ValueNormalizer,
    private readonly principal: Principal,
    private readonly policy: EffectivePolicy,
    private readonly channel: AudienceChannel,
  ) {
    this.contactPurpose = { ...policy.purpose, channel };
    this.goldenKeys = [
      ...ATTRIBUTE_FIELDS.filter((field) => policy.fields.has(field)),
      ...CONTACT_KEYS.filter(([field]) => policy.fields.has(field)).map(([, key]) => key),
    ];
  }

  /**
   * Stage one of a chunk: normalize its rows and find their profiles. Safe to run for several
   * chunks at once; it touches no state of the run.
   */
  async match(rows: RecipientRow[]): Promise<MatchedChunk> {
    const idTypes: string[] = [];
    const idValues: string[] = [];
    const idPositions: number[] = [];
    const recSources: string[] = [];
    const recIds: string[] = [];
    const recPositions: number[] = [];
    const keyOf = new Map<number, [string, string]>();
    let invalid = 0;
    rows.forEach((row, position) => {
      if (row.kind === 'invalid') return void invalid++;
      if (row.kind === 'record') {
        recSources.push(row.source);
        recIds.push(row.recordId);
        recPositions.push(position);
        keyOf.set(position, ['source-record', `${row.source}\u0000${row.recordId}`]);
        return;
      }
      const value = this.normalizer.normalize(row.kind, row.value);
      if (!value) return void invalid++;
      idTypes.push(row.kind);
      idValues.push(value);
      idPositions.push(position);
      keyOf.set(position, [row.kind, value]);
    });
    // In index order: neighbouring probes share pages, which matters once the index outgrows memory.
    const order = idValues.map((_, i) => i).sort((a, b) => (idValues[a] < idValues[b] ? -1 : idValues[a] > idValues[b] ? 1 : 0));
    const [byId, byRecord] = await Promise.all([
      this.reader.profilesOfIdentifiers(order.map((i) => idTypes[i]), order.map((i) => idValues[i]), order.map((i) => idPositions[i])),
      this.reader.profilesOfRecords(recSources, recIds, recPositions),
    ]);
    const matched = new Map([...byId, ...byRecord]);
    // Keyed hashes only for the rows nobody matched: was it someone who was erased?
    const unmatched = [...keyOf.keys()].filter((position) => !matched.has(position));
    const keys = unmatched.map((position) => erasureKey(this.keys.erasureSalt, ...keyOf.get(position)!));
    const erased = await this.reader.erasedKeys(keys);
    const erasedRows = keys.filter((key) => erased.has(key.toString('hex'))).length;
    const ordered = [...matched.keys()].sort((a, b) => a - b).map((position) => matched.get(position)!);
    return { rows: rows.length, invalid, erased: erasedRows, unknown: unmatched.length - erasedRows, matched: ordered };
  }

  /**
   * Stage two: drop people already seen (synchronously, before the first await, so calls started
   * in input order deduplicate in input order), then consent, address, audit.
   */
  async deliver(chunk: MatchedChunk): Promise<Recipient[]> {
    const chunkNo = this.chunkNo++;
    this.report.inputRows += chunk.rows;
    this.report.invalid += chunk.invalid;
    this.report.unknown += chunk.unknown;
    this.report.suppressed.erased += chunk.erased;
    this.report.suppressed.total += chunk.erased;
    const fresh: string[] = [];
    for (const profiles of chunk.matched) {
      if (profiles.length > 1) {
        this.report.ambiguous++;
        continue;
      }
      if (this.seen.has(profiles[0])) {
        this.report.duplicatesRemoved++;
        continue;
      }
      this.seen.add(profiles[0]);
      this.report.uniquePeople++;
      fresh.push(profiles[0]);
    }
    const loaded = new Map((await this.reader.audienceProfiles(fresh, this.goldenKeys)).map((p) => [p.id, p]));
    const recipients: Recipient[] = [];
    const fieldsOut = new Set<string>();
    for (const id of fresh) {
      const profile = loaded.get(id);
      // Gone between the two queries (merged or erased just now): nobody to send to.
      if (!profile) {
        this.report.unknown++;
        continue;
      }
      const recipient = this.recipient(profile, fieldsOut);
      if (recipient) recipients.push(recipient);
    }
    this.report.recipients += recipients.length;
    if (recipients.length > 0) {
      await this.audit.record({
        clientId: this.principal.clientId,
        clientName: this.principal.clientName,
        action: 'audience.resolve',
        purpose: this.policy.purpose.name,
        profileIds: recipients.map((r) => r.profileId),
        fields: [...fieldsOut].sort(),
        correlationId: currentCorrelationId(),
        detail: { audienceId: this.report.audienceId, chunk: chunkNo, channel: this.channel, policy: this.policy.versions },
      });
    }
    return recipients;
  }

  private recipient(profile: StoredProfile, fieldsOut: Set<string>): Recipient | undefined {
    // An audience contacts people on the channel: opt-in on it is required whatever the purpose.
    if (!contactAllowed(profile.consents, this.channel, this.contactPurpose)) {
      const suppressed = profile.consents.some((c) => c.channel === this.channel && c.status === 'suppressed');
      if (suppressed) this.report.suppressed.suppressedChannel++;
      else this.report.suppressed.noConsent++;
      this.report.suppressed.total++;
      return undefined;
    }
    const { body, fields } = renderProfile(profile, this.policy, this.keys.pseudonymKey);
    let address: unknown;
    if (this.channel === 'email') address = body.email;
    else if (this.channel === 'postal') {
      const attributes = body.attributes as Record<string, string>;
      const postal = Object.fromEntries(POSTAL_FIELDS.filter((f) => attributes[f]).map((f) => [f, attributes[f]]));
      address = postal.street && postal.city ? postal : undefined;
    } else address = body.phone;
    if (!address) {
      this.report.suppressed.noAddress++;
      this.report.suppressed.total++;
      return undefined;
    }
    for (const field of fields) if (field !== 'consent' && field !== 'lineage' && field !== 'sourceRecords') fieldsOut.add(field);
    return { profileId: profile.id, address, attributes: body.attributes as Record<string, string> };
  }
}

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

/** Keys (identifiers, records, profile ids) in one query at most. */
const QUERY_KEYS = 5000;
/** Queries of one stage running at once: PostgreSQL has two cores here. */
const QUERIES_AT_ONCE = 2;

const POSTAL_FIELDS = ['street', 'houseNumber', 'postcode', 'city', 'region', 'country'];
/** Where the golden record keeps each contact field's values. */
const CONTACT_KEYS: Array<[PolicyField, string]> = [
  ['email', 'emails'],
  ['phone', 'phones'],
];

/**
 * Turns a campaign's recipient list into one recipient per person. Rows are resolved in large chunks
 * (API_AUDIENCE_CHUNK_ROWS): stage one (normalize, find profiles, in index order) for one chunk at
 * a time; stage two (deduplicate, profiles in id order, consent, audit) in input order, overlapping
 * the next chunk's stage one, and a part's recipients are released only after its audit entry is
 * committed.
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
   * Stage one of a chunk: normalize its rows and find their profiles. It touches no state of the
   * run; chunks may overlap, but one at a time keeps each one's index reads in order.
   */
  async match(rows: RecipientRow[]): Promise<MatchedChunk> {
    // Each distinct identifier or record of the chunk is looked up, and hashed when nobody has it,
    // once: a list names the same person several times (the duplicates it is sent here to lose).
    const emailKeys = new Map<string, number>();
    const phoneKeys = new Map<string, number>();
    const idTypes: string[] = [];
    const idValues: string[] = [];
    const recKeys = new Map<string, number>();
    const recSources: string[] = [];
    const recIds: string[] = [];
    /** Per row: the identifier key's index (≥ 0), a record key as -2 - index, or -1 (invalid). */
    const rowKey = new Int32Array(rows.length);
    let invalid = 0;
    for (let position = 0; position < rows.length; position++) {
      const row = rows[position];
      rowKey[position] = -1;
      if (row.kind === 'invalid') {
        invalid++;
        continue;
      }
      if (row.kind === 'record') {
        const key = `${row.source}\u0000${row.recordId}`;
        let index = recKeys.get(key);
        if (index === undefined) {
          index = recSources.length;
          recKeys.set(key, index);
          recSources.push(row.source);
          recIds.push(row.recordId);
        }
        rowKey[position] = -2 - index;
        continue;
      }
      const value = this.normalizer.normalize(row.kind, row.value);
      if (!value) {
        invalid++;
        continue;
      }
      const keys = row.kind === 'email' ? emailKeys : phoneKeys;
      let index = keys.get(value);
      if (index === undefined) {
        index = idValues.length;
        keys.set(value, index);
        idTypes.push(row.kind);
        idValues.push(value);
      }
      rowKey[position] = index;
    }
    // In index order, (type, value) and (source, record id), in a few queries of adjacent keys, two
    // at a time (PostgreSQL's two cores): each index page is read once for all the keys on it, where
    // small random batches read a page per key once the index outgrows the shared buffers.
    // (Phones in E.164 sort before every email: by value is by (type, value) but for a few strays.)
    const idOrder = sortedBy(idValues);
    const recOrder = sortedBy(recIds);
    const byId = new Map<number, string[]>();
    const byRecord = new Map<number, string[]>();
    await inParallel(
      [
        ...slices(idOrder, QUERY_KEYS).map((part) => async () => {
          for (const [key, profiles] of await this.reader.profilesOfIdentifiers(part.map((i) => idTypes[i]), part.map((i) => idValues[i]), part)) byId.set(key, profiles);
        }),
        ...slices(recOrder, QUERY_KEYS).map((part) => async () => {
          for (const [key, profiles] of await this.reader.profilesOfRecords(part.map((i) => recSources[i]), part.map((i) => recIds[i]), part)) byRecord.set(key, profiles);
        }),
      ],
      QUERIES_AT_ONCE,
    );
    // Keyed hashes only for what nobody matched: was it someone who was erased? One per distinct key.
    const hashed: Array<[number, Buffer]> = [];
    for (let i = 0; i < idValues.length; i++) if (!byId.has(i)) hashed.push([i, erasureKey(this.keys.erasureSalt, idTypes[i], idValues[i])]);
    for (let i = 0; i < recIds.length; i++) if (!byRecord.has(i)) hashed.push([-2 - i, erasureKey(this.keys.erasureSalt, 'source-record', `${recSources[i]}\u0000${recIds[i]}`)]);
    const erasedHashes = await this.reader.erasedKeys(hashed.map(([, hash]) => hash));
    const erasedKeys = new Set(hashed.filter(([, hash]) => erasedHashes.has(hash.toString('hex'))).map(([key]) => key));
    const matched: string[][] = [];
    let erased = 0;
    let unknown = 0;
    for (let position = 0; position < rows.length; position++) {
      const key = rowKey[position];
      if (key === -1) continue;
      const profiles = key >= 0 ? byId.get(key) : byRecord.get(-2 - key);
      if (profiles) matched.push(profiles);
      else if (erasedKeys.has(key)) erased++;
      else unknown++;
    }
    return { rows: rows.length, invalid, erased, unknown, matched };
  }

  /**
   * Stage two: drop people already seen (synchronously, before the first await, so calls started
   * in input order deduplicate in input order), then consent, address, audit.
   */
  async deliver(chunk: MatchedChunk): Promise<Recipient[]> {
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
    // Profiles in id order (the primary key's), a few queries two at a time; each part is rendered
    // while the next is read, and audited before anything of it is returned.
    fresh.sort();
    const parts = slices(fresh, QUERY_KEYS);
    const reads: Array<Promise<StoredProfile[]>> = [];
    const read = () => {
      if (reads.length < parts.length) reads.push(guard(this.reader.audienceProfiles(parts[reads.length], this.goldenKeys)));
    };
    for (let i = 0; i < QUERIES_AT_ONCE; i++) read();
    const recipients: Recipient[] = [];
    const audits: Array<Promise<void>> = [];
    for (let part = 0; part < parts.length; part++) {
      const loaded = new Map((await reads[part]).map((p) => [p.id, p]));
      read();
      const fieldsOut = new Set<string>();
      const out: Recipient[] = [];
      for (const id of parts[part]) {
        const profile = loaded.get(id);
        // Gone between the two queries (merged or erased just now): nobody to send to.
        if (!profile) {
          this.report.unknown++;
          continue;
        }
        const recipient = this.recipient(profile, fieldsOut);
        if (recipient) out.push(recipient);
      }
      this.report.recipients += out.length;
      if (out.length === 0) continue;
      audits.push(
        guard(
          this.audit.record({
            clientId: this.principal.clientId,
            clientName: this.principal.clientName,
            action: 'audience.resolve',
            purpose: this.policy.purpose.name,
            profileIds: out.map((r) => r.profileId),
            fields: [...fieldsOut].sort(),
            correlationId: currentCorrelationId(),
            detail: { audienceId: this.report.audienceId, chunk: this.chunkNo++, channel: this.channel, policy: this.policy.versions },
          }),
        ),
      );
      for (const recipient of out) recipients.push(recipient);
    }
    await Promise.all([...reads, ...audits]);
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

/** Indexes of `values` in ascending order of the value. */
function sortedBy(values: readonly string[]): number[] {
  return values.map((_, i) => i).sort((a, b) => (values[a] < values[b] ? -1 : values[a] > values[b] ? 1 : 0));
}

/** `items` in consecutive slices of at most `size`. */
function slices<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

/** Runs the tasks, at most `width` at once; rejects with the first failure once none is running. */
async function inParallel(tasks: Array<() => Promise<void>>, width: number): Promise<void> {
  let next = 0;
  let failure: unknown;
  const lane = async () => {
    while (next < tasks.length && failure === undefined) {
      const task = tasks[next++];
      await task().catch((error: unknown) => void (failure ??= error));
    }
  };
  await Promise.all(Array.from({ length: Math.min(width, tasks.length) }, lane));
  if (failure !== undefined) throw failure;
}

// A rejected promise that waits behind others must not count as unhandled; it is awaited in turn.
function guard<T>(promise: Promise<T>): Promise<T> {
  promise.catch(() => undefined);
  return promise;
}

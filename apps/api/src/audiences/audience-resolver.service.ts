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

/** Kinds of key a row can name, in the low two bits of its key code (see ChunkRows). */
const EMAIL = 0;
const PHONE = 1;
const RECORD = 2;

/**
 * The rows of one chunk as they are read: each normalized and reduced at once to a key code (its
 * kind and the index of its distinct key), so that a chunk keeps one string per distinct key and an
 * Int32Array, not an object and a line per row (which lived long enough to be copied by every
 * young-generation collection of an audience).
 */
export class ChunkRows {
  rows = 0;
  invalid = 0;
  /** Per row: the kind in the low two bits, the key's index above them; -1 for an invalid row. */
  codes = new Int32Array(1024);
  readonly emails: string[] = [];
  readonly phones: string[] = [];
  readonly recSources: string[] = [];
  readonly recIds: string[] = [];
  private readonly emailKeys = new Map<string, number>();
  private readonly phoneKeys = new Map<string, number>();
  private readonly recKeys = new Map<string, number>();

  constructor(private readonly normalizer: ValueNormalizer) {}

  add(row: RecipientRow): void {
    if (this.rows === this.codes.length) {
      const codes = new Int32Array(this.codes.length * 2);
      codes.set(this.codes);
      this.codes = codes;
    }
    this.codes[this.rows++] = this.code(row);
  }

  private code(row: RecipientRow): number {
    if (row.kind === 'invalid') {
      this.invalid++;
      return -1;
    }
    if (row.kind === 'record') {
      const key = `${row.source}\u0000${row.recordId}`;
      let index = this.recKeys.get(key);
      if (index === undefined) {
        index = this.recIds.length;
        this.recKeys.set(key, index);
        this.recSources.push(row.source);
        this.recIds.push(row.recordId);
      }
      return (index << 2) | RECORD;
    }
    const value = this.normalizer.normalize(row.kind, row.value);
    if (!value) {
      this.invalid++;
      return -1;
    }
    const email = row.kind === 'email';
    const keys = email ? this.emailKeys : this.phoneKeys;
    const values = email ? this.emails : this.phones;
    let index = keys.get(value);
    if (index === undefined) {
      index = values.length;
      keys.set(value, index);
      values.push(value);
    }
    return (index << 2) | (email ? EMAIL : PHONE);
  }

  /** Index of a normalized value of the kind (it was added). */
  indexOf(kind: typeof EMAIL | typeof PHONE, value: string): number {
    return (kind === EMAIL ? this.emailKeys : this.phoneKeys).get(value)!;
  }
}

/** The profiles of a key: one id, several (an identifier more than one person holds), or none. */
type KeyProfiles = string | string[] | undefined;

/** A chunk after stage one: counts, and each row's key code with what each key found. */
export interface MatchedChunk {
  rows: number;
  invalid: number;
  /** The rows nobody matched, erased or unknown: settled after the lookups, while stage two runs. */
  unmatched: Promise<{ erased: number; unknown: number }>;
  codes: Int32Array;
  /** Per kind (EMAIL, PHONE, RECORD), per key index: its profiles. */
  found: [KeyProfiles[], KeyProfiles[], KeyProfiles[]];
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
/** The contact field an address on the channel is (postal addresses are attributes). */
const CHANNEL_FIELD: Record<AudienceChannel, PolicyField | undefined> = { email: 'email', sms: 'phone', phone: 'phone', postal: undefined };

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
  /** The disclosed-fields bit of the address field (none for postal: its fields are attributes). */
  private readonly addressBit: number;

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
    // Only the channel's contact points are read: the answer carries no other (and the audit lists only what it carries).
    const contact = CONTACT_KEYS.find(([field]) => field === CHANNEL_FIELD[channel] && policy.fields.has(field));
    this.goldenKeys = [...ATTRIBUTE_FIELDS.filter((field) => policy.fields.has(field)), ...(contact ? [contact[1]] : [])];
    this.addressBit = channel === 'email' ? EMAIL_BIT : channel === 'postal' ? 0 : PHONE_BIT;
  }

  /** An empty chunk, to be filled row by row as the list is read. */
  chunk(): ChunkRows {
    return new ChunkRows(this.normalizer);
  }

  /**
   * Stage one of a chunk: find its keys' profiles. It touches no state of the run; chunks may
   * overlap, but one at a time keeps each one's index reads in order.
   */
  async match(chunk: ChunkRows): Promise<MatchedChunk> {
    // Each distinct identifier or record of the chunk is looked up, and hashed when nobody has it,
    // once: a list names the same person several times (the duplicates it is sent here to lose).
    // In index order, (type, value) and (source, record id), in a few queries of adjacent keys, two
    // at a time (PostgreSQL's two cores): each index page is read once for all the keys on it, where
    // small random batches read a page per key once the index outgrows the shared buffers.
    const found: MatchedChunk['found'] = [new Array(chunk.emails.length), new Array(chunk.phones.length), new Array(chunk.recIds.length)];
    const take = (list: KeyProfiles[], index: number, profile: string) => {
      const had = list[index];
      if (had === undefined) list[index] = profile;
      else if (typeof had === 'string') {
        if (had !== profile) list[index] = [had, profile];
      } else if (!had.includes(profile)) had.push(profile);
    };
    const identifierTasks = (kind: typeof EMAIL | typeof PHONE, type: string, values: string[]) =>
      // A plain sort (no comparator called per pair); each part's rows come back by position in it.
      slices(values.slice().sort(), QUERY_KEYS).map((part) => async () => {
        for (const [at, profile] of await this.reader.profilesOfIdentifiers(type, part)) take(found[kind], chunk.indexOf(kind, part[at]), profile);
      });
    const recOrder = sortedBy(chunk.recSources, chunk.recIds);
    await inParallel(
      [
        ...identifierTasks(PHONE, 'phone', chunk.phones),
        ...identifierTasks(EMAIL, 'email', chunk.emails),
        ...slices(recOrder, QUERY_KEYS).map((part) => async () => {
          const rows = await this.reader.profilesOfRecords(part.map((i) => chunk.recSources[i]), part.map((i) => chunk.recIds[i]));
          for (const [at, profile] of rows) take(found[RECORD], part[at], profile);
        }),
      ],
      QUERIES_AT_ONCE,
    );
    const codes = chunk.codes.subarray(0, chunk.rows);
    // Whether a row nobody matched names someone erased (or nobody) changes only the report's counts:
    // it is found out while stage two runs, not before it.
    const unmatched = guard(this.unmatched(chunk, codes, found));
    return { rows: chunk.rows, invalid: chunk.invalid, unmatched, codes, found };
  }

  /** The rows nobody matched: erased (a keyed hash of their key on the suppression list) or unknown. */
  private async unmatched(chunk: ChunkRows, codes: Int32Array, found: MatchedChunk['found']): Promise<{ erased: number; unknown: number }> {
    // After the first profile reads of stage two are sent: the hashing then runs while PostgreSQL reads.
    await new Promise((resolve) => setImmediate(resolve));
    // Keyed hashes only for what nobody matched, one per distinct key.
    const hashed: Array<[number, Buffer]> = [];
    const salt = this.keys.erasureSalt;
    for (let i = 0; i < chunk.emails.length; i++) if (found[EMAIL][i] === undefined) hashed.push([(i << 2) | EMAIL, erasureKey(salt, 'email', chunk.emails[i])]);
    for (let i = 0; i < chunk.phones.length; i++) if (found[PHONE][i] === undefined) hashed.push([(i << 2) | PHONE, erasureKey(salt, 'phone', chunk.phones[i])]);
    for (let i = 0; i < chunk.recIds.length; i++) if (found[RECORD][i] === undefined) hashed.push([(i << 2) | RECORD, erasureKey(salt, 'source-record', `${chunk.recSources[i]}\u0000${chunk.recIds[i]}`)]);
    const erasedHashes = await this.reader.erasedKeys(hashed.map(([, hash]) => hash));
    const erasedKeys = new Set(hashed.filter(([, hash]) => erasedHashes.has(hash.toString('hex'))).map(([code]) => code));
    let erased = 0;
    let unknown = 0;
    for (let position = 0; position < codes.length; position++) {
      const code = codes[position];
      if (code === -1 || found[code & 3][code >> 2] !== undefined) continue;
      if (erasedKeys.has(code)) erased++;
      else unknown++;
    }
    return { erased, unknown };
  }

  /**
   * Stage two: drop people already seen (synchronously, so calls made in input order deduplicate
   * in input order), then read the profiles, apply consent and render, audit. Returns one promise
   * per part of the chunk, in order: its answer lines, given only once the part's audit entries
   * are committed, so each part can be written while later ones are still read.
   */
  deliver(chunk: MatchedChunk): Array<Promise<string>> {
    this.report.inputRows += chunk.rows;
    this.report.invalid += chunk.invalid;
    const fresh: string[] = [];
    const { codes, found } = chunk;
    for (let position = 0; position < codes.length; position++) {
      const code = codes[position];
      if (code === -1) continue;
      const profiles = found[code & 3][code >> 2];
      if (profiles === undefined) continue;
      if (typeof profiles !== 'string') {
        this.report.ambiguous++;
        continue;
      }
      if (this.seen.has(profiles)) {
        this.report.duplicatesRemoved++;
        continue;
      }
      this.seen.add(profiles);
      this.report.uniquePeople++;
      fresh.push(profiles);
    }
    // Profiles in id order (the primary key's), a few queries two at a time; each part is rendered
    // while the next is read, and audited before anything of it is returned.
    fresh.sort();
    const parts = slices(fresh, QUERY_KEYS);
    const answers = parts.map(() => deferred<string>());
    void this.deliverParts(parts, answers);
    // Last, with nothing to write: the chunk's unmatched rows counted in the report.
    const counted = chunk.unmatched.then(({ erased, unknown }) => {
      this.report.unknown += unknown;
      this.report.suppressed.erased += erased;
      this.report.suppressed.total += erased;
      return '';
    });
    return [...answers.map((answer) => guard(answer.promise)), guard(counted)];
  }

  private async deliverParts(parts: string[][], answers: Array<Deferred<string>>): Promise<void> {
    const reads: Array<Promise<StoredProfile[]>> = [];
    const read = () => {
      if (reads.length < parts.length) reads.push(guard(this.reader.audienceProfiles(parts[reads.length], this.goldenKeys)));
    };
    for (let i = 0; i < QUERIES_AT_ONCE; i++) read();
    let part = 0;
    try {
      for (; part < parts.length; part++) {
        const loaded = await reads[part];
        read();
        // Gone between the two queries (merged or erased just now): nobody to send to.
        this.report.unknown += parts[part].length - loaded.length;
        // Each recipient's disclosed fields (its address's and its attributes'), as a bit set: the
        // part's audit has one entry per distinct set, so each profile is audited with what it was sent.
        const byFields = new Map<number, string[]>();
        const lines: string[] = [];
        for (const profile of loaded) {
          const recipient = this.recipient(profile);
          if (!recipient) continue;
          let mask = this.addressBit;
          for (let f = 0; f < ATTRIBUTE_FIELDS.length; f++) if (recipient.attributes[ATTRIBUTE_FIELDS[f]] !== undefined) mask |= 1 << f;
          const ids = byFields.get(mask);
          if (ids) ids.push(recipient.profileId);
          else byFields.set(mask, [recipient.profileId]);
          lines.push(JSON.stringify(recipient));
        }
        this.report.recipients += lines.length;
        const audits = [...byFields].map(([mask, profileIds]) =>
          this.audit.record({
            clientId: this.principal.clientId,
            clientName: this.principal.clientName,
            action: 'audience.resolve',
            purpose: this.policy.purpose.name,
            profileIds,
            fields: this.fieldsOf(mask),
            correlationId: currentCorrelationId(),
            detail: { audienceId: this.report.audienceId, chunk: this.chunkNo++, channel: this.channel, policy: this.policy.versions },
          }),
        );
        // One flat string (joined, not appended line by line): the socket's write would flatten a rope.
        const text = lines.length ? `${lines.join('\n')}\n` : '';
        const answer = answers[part];
        Promise.all(audits).then(() => answer.resolve(text), answer.reject);
      }
    } catch (error) {
      for (; part < parts.length; part++) answers[part].reject(error);
    }
  }

  /** The field names of a disclosed-fields bit set, sorted. */
  private fieldsOf(mask: number): string[] {
    const fields: string[] = [];
    for (let f = 0; f < ATTRIBUTE_FIELDS.length; f++) if (mask & (1 << f)) fields.push(ATTRIBUTE_FIELDS[f]);
    if (mask & EMAIL_BIT) fields.push('email');
    if (mask & PHONE_BIT) fields.push('phone');
    return fields.sort();
  }

  private recipient(profile: StoredProfile): Recipient | undefined {
    // An audience contacts people on the channel: opt-in on it is required whatever the purpose.
    if (!contactAllowed(profile.consents, this.channel, this.contactPurpose)) {
      const suppressed = profile.consents.some((c) => c.channel === this.channel && c.status === 'suppressed');
      if (suppressed) this.report.suppressed.suppressedChannel++;
      else this.report.suppressed.noConsent++;
      this.report.suppressed.total++;
      return undefined;
    }
    const { body } = renderProfile(profile, this.policy, this.keys.pseudonymKey);
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
    return { profileId: profile.id, address, attributes: body.attributes as Record<string, string> };
  }
}

/** Bits of the disclosed-fields set after the attributes' (ATTRIBUTE_FIELDS, in order). */
const EMAIL_BIT = 1 << ATTRIBUTE_FIELDS.length;
const PHONE_BIT = 1 << (ATTRIBUTE_FIELDS.length + 1);

interface Deferred<T> {
  promise: Promise<T>;
  resolve: (value: T) => void;
  reject: (error: unknown) => void;
}

function deferred<T>(): Deferred<T> {
  let resolve!: (value: T) => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

/** Indexes of the records in ascending order of (source, record id): the index's. */
function sortedBy(sources: readonly string[], ids: readonly string[]): number[] {
  const cmp = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
  return ids.map((_, i) => i).sort((a, b) => cmp(sources[a], sources[b]) || cmp(ids[a], ids[b]));
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

import { DataSource } from 'typeorm';
import { Role } from '../auth/roles';
import { isMask, isPolicyField, Mask, MASKABLE_FIELDS, POLICY_FIELDS, PolicyField } from './fields';

/** One version of the rule for one role and one purpose. */
export interface AccessPolicy {
  role: string;
  purpose: string;
  version: number;
  fields: PolicyField[];
  masking: Partial<Record<PolicyField, Mask>>;
  revoked: boolean;
  changedBy: string;
  reason: string | null;
  changedAt: Date;
}

/** A purpose for which personal data may be asked; `channel` when it contacts the person. */
export interface Purpose {
  name: string;
  description: string;
  channel: string | null;
}

/** What a client may see for one purpose: the union of its roles' current policies. */
export interface EffectivePolicy {
  purpose: Purpose;
  fields: ReadonlySet<PolicyField>;
  masking: ReadonlyMap<PolicyField, Mask>;
  /** `role@version` of every policy that contributed, for the audit trail. */
  versions: string[];
}

/** The caller asked for something the policies do not allow; the message says which rule. */
export class PolicyDeniedError extends Error {
  override readonly name = 'PolicyDeniedError';
}

/** Invalid policy input; the message says what to fix. */
export class PolicyInputError extends Error {
  override readonly name = 'PolicyInputError';
}

export interface PolicyChange {
  fields: string[];
  masking?: Record<string, unknown>;
  reason?: string;
}

/**
 * Versioned access policies and purposes. Reads come from an in-memory snapshot refreshed every
 * `refreshMs` (and at once after a change made through this process), so evaluating a request
 * costs no query; another replica's change is seen within `refreshMs`.
 */
export class PolicyStore {
  private current = new Map<string, AccessPolicy>();
  private purposes = new Map<string, Purpose>();
  private loadedAt = 0;
  private loading: Promise<void> | undefined;
  /**
   * Effective policies already worked out, by roles and purpose, for the current snapshot (emptied
   * whenever it is reloaded): a lookup asks for the same few on every request. Callers must not
   * change what they get.
   */
  private effectiveCache = new Map<string, EffectivePolicy>();

  constructor(private readonly db: DataSource, private readonly refreshMs = 5000) {}

  async effective(roles: readonly Role[], purposeName: string): Promise<EffectivePolicy> {
    await this.fresh();
    const cacheKey = `${roles.join(',')}\u0000${purposeName}`;
    const known = this.effectiveCache.get(cacheKey);
    if (known) return known;
    const purpose = this.purposes.get(purposeName);
    if (!purpose) throw new PolicyInputError(`unknown purpose "${purposeName}" (one of: ${[...this.purposes.keys()].join(', ')})`);
    const fields = new Set<PolicyField>();
    const masking = new Map<PolicyField, Mask>();
    const clear = new Set<PolicyField>();
    const versions: string[] = [];
    for (const role of roles) {
      const policy = this.current.get(key(role, purposeName));
      if (!policy || policy.revoked) continue;
      versions.push(`${role}@${policy.version}`);
      for (const field of policy.fields) {
        fields.add(field);
        const mask = policy.masking[field];
        if (!mask) clear.add(field);
        else if (!masking.has(field)) masking.set(field, mask);
      }
    }
    // Least masking wins across the client's roles: any role that may see a field in clear lets it.
    for (const field of clear) masking.delete(field);
    if (versions.length === 0) {
      throw new PolicyDeniedError(`no policy lets role(s) ${roles.join(', ')} read personal data for purpose "${purposeName}"`);
    }
    const effective: EffectivePolicy = { purpose, fields, masking, versions };
    if (this.effectiveCache.size >= 1000) this.effectiveCache.clear();
    this.effectiveCache.set(cacheKey, effective);
    return effective;
  }

  async purpose(name: string): Promise<Purpose | undefined> {
    await this.fresh();
    return this.purposes.get(name);
  }

  async listPurposes(): Promise<Purpose[]> {
    await this.fresh(true);
    return [...this.purposes.values()];
  }

  async listCurrent(): Promise<AccessPolicy[]> {
    await this.fresh(true);
    return [...this.current.values()].sort((a, b) => a.role.localeCompare(b.role) || a.purpose.localeCompare(b.purpose));
  }

  async history(role: string, purpose: string): Promise<AccessPolicy[]> {
    const rows: RawPolicy[] = await this.db.query(`SELECT * FROM access_policies WHERE role = $1 AND purpose = $2 ORDER BY version DESC`, [role, purpose]);
    return rows.map(toPolicy);
  }

  /** Writes the next version of the role × purpose policy (or its revocation). */
  async change(role: Role, purposeName: string, change: PolicyChange | 'revoke', changedBy: string): Promise<AccessPolicy> {
    await this.fresh(true);
    if (!this.purposes.has(purposeName)) throw new PolicyInputError(`unknown purpose "${purposeName}" (create it first with PUT /purposes/${purposeName})`);
    const fields = change === 'revoke' ? [] : checkFields(change.fields);
    const masking = change === 'revoke' ? {} : checkMasking(change.masking ?? {}, fields);
    const reason = change === 'revoke' ? 'revoked' : change.reason ?? null;
    // The version is computed in the insert itself; the primary key turns a concurrent change into a retryable conflict.
    const rows: RawPolicy[] = await this.db.query(
      `INSERT INTO access_policies (role, purpose, version, fields, masking, revoked, changed_by, reason)
       SELECT $1, $2, COALESCE(MAX(version), 0) + 1, $3, $4, $5, $6, $7 FROM access_policies WHERE role = $1 AND purpose = $2
       RETURNING *`,
      [role, purposeName, fields, JSON.stringify(masking), change === 'revoke', changedBy, reason],
    );
    await this.fresh(true);
    return toPolicy(rows[0]);
  }

  async upsertPurpose(purpose: Purpose): Promise<Purpose> {
    if (!/^[a-z][a-z0-9-]{0,39}$/.test(purpose.name)) throw new PolicyInputError('a purpose name is 1-40 lower-case letters, digits or dashes, starting with a letter');
    await this.db.query(
      `INSERT INTO purposes (name, description, channel) VALUES ($1, $2, $3)
       ON CONFLICT (name) DO UPDATE SET description = EXCLUDED.description, channel = EXCLUDED.channel`,
      [purpose.name, purpose.description, purpose.channel],
    );
    await this.fresh(true);
    return this.purposes.get(purpose.name)!;
  }

  private async fresh(force = false): Promise<void> {
    if (!force && Date.now() - this.loadedAt < this.refreshMs) return;
    if (!this.loading) {
      this.loading = this.load().finally(() => (this.loading = undefined));
    }
    await this.loading;
  }

  private async load(): Promise<void> {
    const [policies, purposes]: [RawPolicy[], Purpose[]] = await Promise.all([
      this.db.query(`SELECT DISTINCT ON (role, purpose) * FROM access_policies ORDER BY role, purpose, version DESC`),
      this.db.query(`SELECT name, description, channel FROM purposes ORDER BY name`),
    ]);
    this.current = new Map(policies.map((row) => [key(row.role, row.purpose), toPolicy(row)]));
    this.purposes = new Map(purposes.map((p) => [p.name, { name: p.name, description: p.description, channel: p.channel }]));
    this.effectiveCache = new Map();
    this.loadedAt = Date.now();
  }
}

function key(role: string, purpose: string): string {
  return `${role}\u0000${purpose}`;
}

interface RawPolicy {
  role: string;
  purpose: string;
  version: number;
  fields: string[];
  masking: Record<string, string>;
  revoked: boolean;
  changed_by: string;
  reason: string | null;
  changed_at: Date;
}

function toPolicy(row: RawPolicy): AccessPolicy {
  const fields = row.fields.filter(isPolicyField);
  const masking: Partial<Record<PolicyField, Mask>> = {};
  for (const [field, mask] of Object.entries(row.masking ?? {})) if (isPolicyField(field) && isMask(mask)) masking[field] = mask;
  return { role: row.role, purpose: row.purpose, version: row.version, fields, masking, revoked: row.revoked, changedBy: row.changed_by, reason: row.reason, changedAt: row.changed_at };
}

function checkFields(fields: string[]): PolicyField[] {
  const unknown = fields.filter((field) => !isPolicyField(field));
  if (unknown.length) throw new PolicyInputError(`unknown field(s) ${unknown.join(', ')} (one of: ${POLICY_FIELDS.join(', ')})`);
  return [...new Set(fields)] as PolicyField[];
}

function checkMasking(masking: Record<string, unknown>, fields: PolicyField[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [field, mask] of Object.entries(masking)) {
    if (!isPolicyField(field) || !fields.includes(field)) throw new PolicyInputError(`masking names "${field}", which the policy does not allow`);
    if (!MASKABLE_FIELDS.includes(field)) throw new PolicyInputError(`"${field}" cannot be masked (maskable: ${MASKABLE_FIELDS.join(', ')})`);
    if (!isMask(mask)) throw new PolicyInputError(`mask for "${field}" must be one of partial, hash, year`);
    out[field] = mask;
  }
  return out;
}

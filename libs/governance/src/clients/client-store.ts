import { DataSource } from 'typeorm';
import { Role, ROLES, isRole } from '../auth/roles';
import { generateSecret, hashSecret, verifySecret } from '../auth/secret-hash';

/** A machine client as the API and the CLI see it; the secret hash never leaves the store. */
export interface ApiClient {
  id: string;
  name: string;
  roles: Role[];
  disabled: boolean;
  rateLimitPerSecond: number | null;
  createdAt: Date;
  updatedAt: Date;
}

/** Bad client input (unknown role, duplicate name…); the message says what to fix. */
export class ClientInputError extends Error {
  override readonly name = 'ClientInputError';
}

export interface NewClient {
  name: string;
  roles: string[];
  rateLimitPerSecond?: number | null;
}

export interface ClientChange {
  roles?: string[];
  disabled?: boolean;
  rateLimitPerSecond?: number | null;
}

const COLUMNS = `id, name, roles, disabled, rate_limit_per_second, created_at, updated_at`;
const NAME_RE = /^[A-Za-z0-9][A-Za-z0-9 ._-]{0,79}$/;

/** Machine clients in `api_clients`: created with a fresh secret stored only as a scrypt hash. */
export class ClientStore {
  constructor(private readonly db: DataSource) {}

  /** Creates a client; the plain secret is returned once and never stored. */
  async create(input: NewClient): Promise<{ client: ApiClient; clientSecret: string }> {
    const roles = checkRoles(input.roles);
    if (!NAME_RE.test(input.name)) throw new ClientInputError('name must be 1-80 letters, digits, spaces, dots, dashes or underscores');
    const clientSecret = generateSecret();
    const secretHash = await hashSecret(clientSecret);
    try {
      const rows: RawClient[] = await this.db.query(
        `INSERT INTO api_clients (name, roles, secret_hash, rate_limit_per_second) VALUES ($1, $2, $3, $4) RETURNING ${COLUMNS}`,
        [input.name, roles, secretHash, input.rateLimitPerSecond ?? null],
      );
      return { client: toClient(rows[0]), clientSecret };
    } catch (error) {
      if ((error as { code?: string }).code === '23505') throw new ClientInputError(`a client named "${input.name}" already exists`);
      throw error;
    }
  }

  async find(id: string): Promise<ApiClient | undefined> {
    if (!isUuid(id)) return undefined;
    const rows: RawClient[] = await this.db.query(`SELECT ${COLUMNS} FROM api_clients WHERE id = $1`, [id]);
    return rows[0] ? toClient(rows[0]) : undefined;
  }

  async list(): Promise<ApiClient[]> {
    const rows: RawClient[] = await this.db.query(`SELECT ${COLUMNS} FROM api_clients ORDER BY created_at, id`);
    return rows.map(toClient);
  }

  async update(id: string, change: ClientChange): Promise<ApiClient | undefined> {
    if (!isUuid(id)) return undefined;
    const roles = change.roles === undefined ? null : checkRoles(change.roles);
    // TypeORM answers an UPDATE … RETURNING with [rows, affected].
    const [rows]: [RawClient[], number] = await this.db.query(
      `UPDATE api_clients SET
         roles = COALESCE($2, roles),
         disabled = COALESCE($3, disabled),
         rate_limit_per_second = CASE WHEN $4 THEN $5 ELSE rate_limit_per_second END,
         updated_at = now()
       WHERE id = $1 RETURNING ${COLUMNS}`,
      [id, roles, change.disabled ?? null, change.rateLimitPerSecond !== undefined, change.rateLimitPerSecond ?? null],
    );
    return rows[0] ? toClient(rows[0]) : undefined;
  }

  /** Replaces the secret; tokens already issued keep working until they expire. */
  async rotateSecret(id: string): Promise<string | undefined> {
    if (!isUuid(id)) return undefined;
    const clientSecret = generateSecret();
    const [rows]: [unknown[], number] = await this.db.query(`UPDATE api_clients SET secret_hash = $2, updated_at = now() WHERE id = $1 RETURNING id`, [id, await hashSecret(clientSecret)]);
    return rows.length ? clientSecret : undefined;
  }

  /** The client whose id and secret match, enabled or not; undefined otherwise. */
  async authenticate(id: string, secret: string): Promise<ApiClient | undefined> {
    if (!isUuid(id)) return undefined;
    const rows: Array<RawClient & { secret_hash: string }> = await this.db.query(`SELECT ${COLUMNS}, secret_hash FROM api_clients WHERE id = $1`, [id]);
    if (!rows[0]) {
      // Same cost as a real check, so response time does not reveal which client ids exist.
      await verifySecret(secret, DUMMY_HASH);
      return undefined;
    }
    return (await verifySecret(secret, rows[0].secret_hash)) ? toClient(rows[0]) : undefined;
  }
}

const DUMMY_HASH = 'scrypt$32768$8$1$AAAAAAAAAAAAAAAAAAAAAA$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA';

interface RawClient {
  id: string;
  name: string;
  roles: string[];
  disabled: boolean;
  rate_limit_per_second: number | null;
  created_at: Date;
  updated_at: Date;
}

function toClient(row: RawClient): ApiClient {
  return {
    id: row.id,
    name: row.name,
    roles: row.roles.filter(isRole),
    disabled: row.disabled,
    rateLimitPerSecond: row.rate_limit_per_second,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

function checkRoles(roles: string[]): Role[] {
  const unknown = roles.filter((role) => !isRole(role));
  if (unknown.length) throw new ClientInputError(`unknown role(s) ${unknown.join(', ')} (one of: ${ROLES.join(', ')})`);
  if (roles.length === 0) throw new ClientInputError(`at least one role is required (one of: ${ROLES.join(', ')})`);
  return [...new Set(roles)] as Role[];
}

/** True for a canonical uuid string; anything else never reaches a uuid column. */
export function isUuid(value: string): boolean {
  return /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(value);
}

import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The governed API's own tables: machine clients, per-database secrets, purposes, versioned access
 * policies, the audit log of personal-data reads, and the erasure suppression list.
 */
export class Governance1763920000000 implements MigrationInterface {
  name = 'Governance1763920000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE api_clients (
        id                    uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        name                  text        NOT NULL,
        roles                 text[]      NOT NULL,
        secret_hash           text        NOT NULL,
        disabled              boolean     NOT NULL DEFAULT false,
        rate_limit_per_second integer     CHECK (rate_limit_per_second > 0),
        created_at            timestamptz NOT NULL DEFAULT now(),
        updated_at            timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT api_clients_roles_ck CHECK (
          cardinality(roles) > 0 AND roles <@ ARRAY['marketing', 'it-operator', 'data-office', 'admin']::text[]
        )
      )`);
    await queryRunner.query(`CREATE UNIQUE INDEX api_clients_name_uq ON api_clients (name)`);

    // Generated once per database: shared by every replica, survives restarts, never in the code.
    await queryRunner.query(`
      CREATE TABLE governance_secrets (
        name       text PRIMARY KEY,
        secret     bytea       NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now()
      )`);

    await queryRunner.query(`
      CREATE TABLE purposes (
        name        text PRIMARY KEY CHECK (name ~ '^[a-z][a-z0-9-]{0,39}$'),
        description text        NOT NULL,
        channel     text        CHECK (channel IN ('email', 'sms', 'phone', 'postal')),
        created_at  timestamptz NOT NULL DEFAULT now()
      )`);
    await queryRunner.query(`
      INSERT INTO purposes (name, description, channel) VALUES
        ('email-marketing', 'Campaign email to people who consented to it', 'email'),
        ('sms-marketing', 'Campaign text messages to people who consented to them', 'sms'),
        ('personalization', 'Tailoring content (recommendations, greetings) without contacting the person', NULL),
        ('analytics', 'Aggregate analysis; no direct contact', NULL),
        ('customer-service', 'Answering a person who contacted us', NULL)`);

    // One row per version: the table is its own history (who changed what, when and why).
    await queryRunner.query(`
      CREATE TABLE access_policies (
        role       text        NOT NULL,
        purpose    text        NOT NULL REFERENCES purposes (name),
        version    integer     NOT NULL CHECK (version > 0),
        fields     text[]      NOT NULL,
        masking    jsonb       NOT NULL DEFAULT '{}'::jsonb,
        revoked    boolean     NOT NULL DEFAULT false,
        changed_by text        NOT NULL,
        reason     text,
        changed_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (role, purpose, version)
      )`);
    await queryRunner.query(`
      INSERT INTO access_policies (role, purpose, version, fields, masking, changed_by, reason) VALUES
        ('marketing', 'email-marketing', 1, ARRAY['givenName', 'familyName', 'email', 'locale', 'country'], '{}', 'migration', 'initial policy'),
        ('marketing', 'sms-marketing', 1, ARRAY['givenName', 'phone', 'locale', 'country'], '{}', 'migration', 'initial policy'),
        ('marketing', 'personalization', 1, ARRAY['givenName', 'city', 'country', 'locale', 'gender'], '{}', 'migration', 'initial policy'),
        ('marketing', 'analytics', 1, ARRAY['birthDate', 'gender', 'postcode', 'city', 'country'], '{"birthDate": "year", "postcode": "partial"}', 'migration', 'initial policy'),
        ('data-office', 'customer-service', 1,
          ARRAY['givenName', 'familyName', 'fullName', 'birthDate', 'gender', 'street', 'houseNumber', 'postcode', 'city', 'region', 'country', 'locale', 'email', 'phone', 'consent', 'lineage', 'links', 'sourceRecords'],
          '{"phone": "partial"}', 'migration', 'initial policy')`);

    await queryRunner.query(`
      CREATE TABLE audit_log (
        id             bigserial PRIMARY KEY,
        at             timestamptz NOT NULL DEFAULT now(),
        client_id      uuid,
        client_name    text,
        action         text        NOT NULL,
        purpose        text,
        profile_id     uuid,
        profile_ids    uuid[],
        fields         text[]      NOT NULL DEFAULT '{}',
        correlation_id text,
        detail         jsonb
      )`);
    await queryRunner.query(`CREATE INDEX audit_log_profile_idx ON audit_log (profile_id, id) WHERE profile_id IS NOT NULL`);
    await queryRunner.query(`CREATE INDEX audit_log_profiles_idx ON audit_log USING gin (profile_ids) WHERE profile_ids IS NOT NULL`);
    await queryRunner.query(`CREATE INDEX audit_log_client_idx ON audit_log (client_id, id)`);
    await queryRunner.query(`CREATE INDEX audit_log_action_idx ON audit_log (action, id)`);

    // Keyed HMAC of a normalized identifier or source record: no readable personal data is kept,
    // yet a re-ingested record of an erased person is recognised and dropped.
    await queryRunner.query(`
      CREATE TABLE erasure_suppressions (
        key_hash   bytea PRIMARY KEY,
        kind       text        NOT NULL,
        request_id uuid        NOT NULL,
        erased_at  timestamptz NOT NULL DEFAULT now()
      )`);
    await queryRunner.query(`
      CREATE TABLE erasure_requests (
        id           uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        profile_id   uuid        NOT NULL,
        requested_by uuid,
        reason       text,
        report       jsonb       NOT NULL DEFAULT '{}'::jsonb,
        created_at   timestamptz NOT NULL DEFAULT now()
      )`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE erasure_requests`);
    await queryRunner.query(`DROP TABLE erasure_suppressions`);
    await queryRunner.query(`DROP TABLE audit_log`);
    await queryRunner.query(`DROP TABLE access_policies`);
    await queryRunner.query(`DROP TABLE purposes`);
    await queryRunner.query(`DROP TABLE governance_secrets`);
    await queryRunner.query(`DROP TABLE api_clients`);
  }
}

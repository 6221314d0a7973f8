import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * A floor under erasure that holds whichever code writes source records (the resolver, a rebuild, a
 * backfill): a new source record whose key, or whose plainly written email or phone, is on the
 * erasure suppression list is not stored. The keys are the governance lib's `erasureKey`
 * (HMAC-SHA256 with the database's erasure salt over `kind NUL value`). The resolver's own check
 * (`isErased` in @tandem/governance, on fully normalized identifiers) catches what this cannot
 * (provider-specific email forms, national phone formats).
 */
export class ErasureGuard1763920100000 implements MigrationInterface {
  name = 'ErasureGuard1763920100000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`CREATE EXTENSION IF NOT EXISTS pgcrypto`);
    await queryRunner.query(`
      CREATE FUNCTION tandem_erasure_key(salt bytea, kind text, value bytea) RETURNS bytea
      LANGUAGE sql IMMUTABLE STRICT AS $$
        SELECT hmac(convert_to(kind, 'UTF8') || '\\x00'::bytea || value, salt, 'sha256')
      $$`);
    await queryRunner.query(`
      CREATE FUNCTION tandem_drop_erased_source_record() RETURNS trigger
      LANGUAGE plpgsql AS $$
      DECLARE
        salt bytea;
        keys bytea[];
      BEGIN
        -- Nobody erased yet: one index probe and done.
        IF NOT EXISTS (SELECT 1 FROM erasure_suppressions) THEN RETURN NEW; END IF;
        SELECT secret INTO salt FROM governance_secrets WHERE name = 'erasure-salt';
        IF salt IS NULL THEN RETURN NEW; END IF;
        keys := ARRAY[tandem_erasure_key(salt, 'source-record', convert_to(NEW.source, 'UTF8') || '\\x00'::bytea || convert_to(NEW.source_record_id, 'UTF8'))];
        SELECT keys || COALESCE(array_agg(tandem_erasure_key(salt, i->>'type', convert_to(
                 CASE WHEN i->>'type' = 'email' THEN lower(btrim(i->>'value'))
                      ELSE regexp_replace(i->>'value', '[^0-9+]', '', 'g') END, 'UTF8'))), '{}')
          INTO keys
          FROM jsonb_array_elements(CASE WHEN jsonb_typeof(NEW.identifiers) = 'array' THEN NEW.identifiers ELSE '[]'::jsonb END) AS i
         WHERE i->>'type' IN ('email', 'phone') AND i->>'value' IS NOT NULL;
        IF EXISTS (SELECT 1 FROM erasure_suppressions WHERE key_hash = ANY(keys)) THEN
          RETURN NULL;
        END IF;
        RETURN NEW;
      END $$`);
    await queryRunner.query(`
      CREATE TRIGGER source_records_erasure_guard BEFORE INSERT ON source_records
      FOR EACH ROW EXECUTE FUNCTION tandem_drop_erased_source_record()`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TRIGGER source_records_erasure_guard ON source_records`);
    await queryRunner.query(`DROP FUNCTION tandem_drop_erased_source_record()`);
    await queryRunner.query(`DROP FUNCTION tandem_erasure_key(bytea, text, bytea)`);
  }
}

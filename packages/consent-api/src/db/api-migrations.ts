import { type Kysely, type Migration, type MigrationProvider, Migrator, sql } from 'kysely'
import type { DatabaseHandle } from '@custos/vault'
import { type Engine, withSchemaLock } from '@custos/vault/storage'

/** A migration of the API's tables; `engine` for the few types that differ (bytes: bytea / blob). */
interface ApiMigration {
  up(db: Kysely<any>, engine: Engine): Promise<void>
}

/** Code-based, frozen-in-time migrations of the API's tables (kept apart from the vault's). */
const MIGRATIONS: Record<string, ApiMigration> = {
  '0001_oauth': {
    async up(db: Kysely<any>) {
      await db.schema
        .createTable('oauth_clients')
        .addColumn('client_id', 'text', (c) => c.primaryKey())
        .addColumn('secret_hash', 'text')
        .addColumn('auth_method', 'text', (c) => c.notNull())
        .addColumn('redirect_uris', 'text', (c) => c.notNull())
        .addColumn('metadata', 'text', (c) => c.notNull())
        .addColumn('created_at', 'text', (c) => c.notNull())
        .execute()
      await db.schema
        .createTable('oauth_requests')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('client_id', 'text', (c) => c.notNull())
        .addColumn('params', 'text', (c) => c.notNull())
        .addColumn('expires_at', 'text', (c) => c.notNull())
        .addColumn('created_at', 'text', (c) => c.notNull())
        .execute()
      await db.schema
        .createTable('oauth_codes')
        .addColumn('code_hash', 'text', (c) => c.primaryKey())
        .addColumn('client_id', 'text', (c) => c.notNull())
        .addColumn('grant_id', 'text', (c) => c.notNull())
        .addColumn('redirect_uri', 'text', (c) => c.notNull())
        .addColumn('code_challenge', 'text', (c) => c.notNull())
        .addColumn('dpop_jkt', 'text')
        .addColumn('expires_at', 'text', (c) => c.notNull())
        .addColumn('used_at', 'text')
        .addColumn('created_at', 'text', (c) => c.notNull())
        .execute()
      await db.schema
        .createTable('oauth_tokens')
        .addColumn('token_hash', 'text', (c) => c.primaryKey())
        .addColumn('kind', 'text', (c) => c.notNull())
        .addColumn('client_id', 'text', (c) => c.notNull())
        .addColumn('grant_id', 'text', (c) => c.notNull())
        .addColumn('family_id', 'text', (c) => c.notNull())
        .addColumn('dpop_jkt', 'text')
        .addColumn('expires_at', 'text', (c) => c.notNull())
        .addColumn('revoked_at', 'text')
        .addColumn('used_at', 'text')
        .addColumn('created_at', 'text', (c) => c.notNull())
        .execute()
      await db.schema
        .createIndex('oauth_tokens_family')
        .on('oauth_tokens')
        .column('family_id')
        .execute()
      await db.schema
        .createIndex('oauth_tokens_grant')
        .on('oauth_tokens')
        .column('grant_id')
        .execute()
      await db.schema
        .createTable('dpop_jti')
        .addColumn('jti_hash', 'text', (c) => c.primaryKey())
        .addColumn('expires_at', 'text', (c) => c.notNull())
        .execute()
    },
  },
  '0002_owner_sessions': {
    async up(db: Kysely<any>) {
      // Owner sessions (SECURITY.md promise 24): only keyed hashes of the session id and of its
      // CSRF token are stored; idle timeout is enforced on last_seen_at.
      await db.schema
        .createTable('owner_sessions')
        .addColumn('id_hash', 'text', (c) => c.primaryKey())
        .addColumn('csrf_hash', 'text', (c) => c.notNull())
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addColumn('last_seen_at', 'text', (c) => c.notNull())
        .execute()
    },
  },
  '0003_limits_registration': {
    async up(db: Kysely<any>) {
      // Sliding-window rate limits shared by every server on the database (limits/rate-limiter.ts).
      await db.schema
        .createTable('rate_events')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('bucket', 'text', (c) => c.notNull())
        .addColumn('at', 'text', (c) => c.notNull())
        .addColumn('expires_at', 'text', (c) => c.notNull())
        .execute()
      await db.schema
        .createIndex('rate_events_bucket')
        .on('rate_events')
        .columns(['bucket', 'at'])
        .execute()
      await db.schema
        .createIndex('rate_events_expiry')
        .on('rate_events')
        .column('expires_at')
        .execute()
      // The owner's settings of the API (the registration mode, RFC 7591 §3).
      await db.schema
        .createTable('api_settings')
        .addColumn('name', 'text', (c) => c.primaryKey())
        .addColumn('value', 'text', (c) => c.notNull())
        .addColumn('updated_at', 'text', (c) => c.notNull())
        .execute()
      // Initial access tokens (RFC 7591 §3), stored only as keyed hashes.
      await db.schema
        .createTable('registration_tokens')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('token_hash', 'text', (c) => c.notNull().unique())
        .addColumn('label', 'text')
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addColumn('last_used_at', 'text')
        .execute()
    },
  },
  '0004_row_auth': {
    async up(db: Kysely<any>, engine: Engine) {
      // Issue "P1 — Trust": every row that decides access carries a MAC under the unsealed vault's
      // key (db/stored-rows.ts), and what a row tells about the owner's vendors and requests is
      // encrypted in `sealed` (vault.envelopes). Rows stored before this have neither: they are
      // adopted — MAC'd, their plaintext moved into `sealed` — once, at the first unlock after
      // the upgrade (db/adopt-api-rows.ts); until then they are refused. The old plaintext
      // columns stay (SQLite cannot drop a NOT NULL column in place) and are written empty.
      const bytes = sql.raw(engine === 'postgres' ? 'bytea' : 'blob')
      // api_settings: the registration mode (whether anyone may register a client) is the owner's.
      for (const table of [
        'oauth_clients',
        'oauth_requests',
        'oauth_codes',
        'oauth_tokens',
        'owner_sessions',
        'api_settings',
      ]) {
        await db.schema.alterTable(table).addColumn('row_mac', bytes).execute()
      }
      for (const table of ['oauth_clients', 'oauth_requests', 'oauth_codes'])
        await db.schema.alterTable(table).addColumn('sealed', bytes).execute()
      // The caps on pending requests count the unexpired ones, per client and in all.
      await db.schema
        .createIndex('oauth_requests_client')
        .on('oauth_requests')
        .columns(['client_id', 'expires_at'])
        .execute()
      await db.schema
        .createIndex('oauth_requests_expiry')
        .on('oauth_requests')
        .column('expires_at')
        .execute()
      // Expired codes and tokens are purged in bounded batches (db/expired-rows.ts).
      await db.schema
        .createIndex('oauth_codes_expiry')
        .on('oauth_codes')
        .column('expires_at')
        .execute()
      await db.schema
        .createIndex('oauth_tokens_expiry')
        .on('oauth_tokens')
        .column('expires_at')
        .execute()
    },
  },
  '0005_session_recovery': {
    async up(db: Kysely<any>) {
      // Issue 10: a session that proved the recovery key may choose a new passphrase without the
      // old one until this time (owner/session.ts); covered by the row MAC when set.
      await db.schema.alterTable('owner_sessions').addColumn('recovery_until', 'text').execute()
    },
  },
  '0006_myterms': {
    async up(db: Kysely<any>, engine: Engine) {
      // Issue 12, IEEE 7012: the agreement records both parties keep (terms/agreement-store.ts).
      // An answer id is used once: its keyed hash is unique.
      const bytes = sql.raw(engine === 'postgres' ? 'bytea' : 'blob')
      await db.schema
        .createTable('myterms_agreements')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('client_id', 'text', (c) => c.notNull())
        .addColumn('grant_id', 'text')
        .addColumn('answer_key', 'text', (c) => c.notNull().unique())
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addColumn('sealed', bytes)
        .addColumn('row_mac', bytes)
        .execute()
      await db.schema
        .createIndex('myterms_agreements_client')
        .on('myterms_agreements')
        .columns(['client_id', 'created_at'])
        .execute()
    },
  },
  '0007_myterms_vendor_terms': {
    async up(db: Kysely<any>, engine: Engine) {
      // Issue 12, IEEE 7012: the last good copy of each vendor's own MyTerms document, one row per
      // client (terms/vendor-terms-store.ts); the URI and the accepted ids sealed, the row MAC'd.
      const bytes = sql.raw(engine === 'postgres' ? 'bytea' : 'blob')
      await db.schema
        .createTable('myterms_vendor_terms')
        .addColumn('client_id', 'text', (c) => c.primaryKey())
        .addColumn('fetched_at', 'text', (c) => c.notNull())
        .addColumn('sealed', bytes)
        .addColumn('row_mac', bytes)
        .execute()
    },
  },
  '0008_assistant_drafts': {
    async up(db: Kysely<any>, engine: Engine) {
      // Issue 14: intents and messages the owner's assistant proposed, waiting for her to send or
      // discard them (mcp/draft-store.ts); what they say sealed, the row MAC'd.
      const bytes = sql.raw(engine === 'postgres' ? 'bytea' : 'blob')
      await db.schema
        .createTable('assistant_drafts')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('client_id', 'text', (c) => c.notNull())
        .addColumn('kind', 'text', (c) => c.notNull())
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addColumn('sealed', bytes)
        .addColumn('row_mac', bytes)
        .execute()
      await db.schema
        .createIndex('assistant_drafts_client')
        .on('assistant_drafts')
        .columns(['client_id', 'created_at'])
        .execute()
    },
  },
}

class ApiMigrations implements MigrationProvider {
  readonly #engine: Engine
  constructor(engine: Engine) {
    this.#engine = engine
  }

  async getMigrations(): Promise<Record<string, Migration>> {
    return Object.fromEntries(
      Object.entries(MIGRATIONS).map(([name, m]) => [
        name,
        { up: (db: Kysely<any>) => m.up(db, this.#engine) },
      ]),
    )
  }
}

/** Brings the API's tables up to date in the vault's database. */
export async function migrateApi(database: DatabaseHandle): Promise<void> {
  const db = database.db as unknown as Kysely<any>
  const schema =
    database.engine === 'postgres'
      ? (await sql<{ schema: string | null }>`select current_schema() as schema`.execute(db))
          .rows[0]?.schema
      : undefined
  const migrator = new Migrator({
    db,
    provider: new ApiMigrations(database.engine),
    migrationTableName: 'custos_api_migration',
    migrationLockTableName: 'custos_api_migration_lock',
    ...(schema ? { migrationTableSchema: schema } : {}),
  })
  const { error } = await withSchemaLock(db, database.engine, () => migrator.migrateToLatest())
  if (error) throw new Error('consent API migration failed', { cause: error })
}

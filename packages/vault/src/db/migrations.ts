import { type Kysely, type Migration, type MigrationProvider, Migrator, sql } from 'kysely'
import type { Engine } from './schema.js'
import { VaultError } from '../errors.js'
import { withSchemaLock } from './schema-lock.js'

/**
 * Code-based migrations (no filesystem scanning, so the library embeds anywhere). Migrations
 * are frozen in time: they take `Kysely<any>` and never import the current schema types.
 */
function migrations(engine: Engine): Record<string, Migration> {
  const bytes = engine === 'postgres' ? 'bytea' : 'blob'
  return {
    '0001_initial': {
      async up(db: Kysely<any>) {
        await db.schema
          .createTable('vault_meta')
          .addColumn('id', 'integer', (c) => c.primaryKey())
          .addColumn('vault_id', 'text', (c) => c.notNull())
          .addColumn('created_at', 'text', (c) => c.notNull())
          .addColumn('kdf_params', 'text', (c) => c.notNull())
          .addColumn('wrapped_root_passphrase', sql.raw(bytes), (c) => c.notNull())
          .addColumn('wrapped_root_recovery', sql.raw(bytes), (c) => c.notNull())
          .addColumn('current_term', 'integer', (c) => c.notNull())
          .addColumn('failed_unlocks', 'integer', (c) => c.notNull().defaultTo(0))
          .addColumn('unlock_blocked_until', 'text')
          .addColumn('audit_head_seq', 'integer', (c) => c.notNull().defaultTo(0))
          .addColumn('audit_head_hash', sql.raw(bytes))
          .addColumn('audit_head_mac', sql.raw(bytes))
          .addColumn('rotation_target', 'integer')
          .execute()
        await db.schema
          .createTable('keyring')
          .addColumn('term', 'integer', (c) => c.primaryKey())
          .addColumn('wrapped_key', sql.raw(bytes))
          .addColumn('created_at', 'text', (c) => c.notNull())
          .addColumn('retired_at', 'text')
          .execute()
        await db.schema
          .createTable('fields')
          .addColumn('path', 'text', (c) => c.primaryKey())
          .addColumn('value', sql.raw(bytes), (c) => c.notNull())
          .addColumn('term', 'integer', (c) => c.notNull())
          .addColumn('updated_at', 'text', (c) => c.notNull())
          .execute()
        await db.schema
          .createTable('purchases')
          .addColumn('id', 'text', (c) => c.primaryKey())
          .addColumn('order_date', 'text', (c) => c.notNull())
          .addColumn('seller_index', 'text', (c) => c.notNull())
          .addColumn('category_index', 'text')
          .addColumn('provenance', 'text', (c) => c.notNull())
          .addColumn('status', 'text', (c) => c.notNull())
          .addColumn('vendor_id', 'text')
          .addColumn('body', sql.raw(bytes), (c) => c.notNull())
          .addColumn('term', 'integer', (c) => c.notNull())
          .addColumn('created_at', 'text', (c) => c.notNull())
          .execute()
        // The seller listing walks this index newest first and stops after one page.
        await db.schema
          .createIndex('purchases_seller')
          .on('purchases')
          .columns(['status', 'seller_index', 'order_date', 'id'])
          .execute()
        await db.schema
          .createIndex('purchases_date')
          .on('purchases')
          .columns(['status', 'order_date', 'id'])
          .execute()
        await db.schema
          .createIndex('purchases_vendor')
          .on('purchases')
          .columns(['vendor_id', 'status', 'order_date'])
          .execute()
        await db.schema.createIndex('purchases_term').on('purchases').columns(['term']).execute()
        await db.schema
          .createTable('vendors')
          .addColumn('id', 'text', (c) => c.primaryKey())
          .addColumn('body', sql.raw(bytes), (c) => c.notNull())
          .addColumn('blocked', 'integer', (c) => c.notNull().defaultTo(0))
          .addColumn('term', 'integer', (c) => c.notNull())
          .addColumn('created_at', 'text', (c) => c.notNull())
          .execute()
        await db.schema
          .createTable('grants')
          .addColumn('id', 'text', (c) => c.primaryKey())
          .addColumn('vendor_id', 'text', (c) => c.notNull())
          .addColumn('status', 'text', (c) => c.notNull())
          .addColumn('expires_at', 'text', (c) => c.notNull())
          .addColumn('revision', 'integer', (c) => c.notNull())
          .addColumn('body', sql.raw(bytes), (c) => c.notNull())
          .addColumn('term', 'integer', (c) => c.notNull())
          .addColumn('created_at', 'text', (c) => c.notNull())
          .addColumn('updated_at', 'text', (c) => c.notNull())
          .execute()
        await db.schema.createIndex('grants_vendor').on('grants').columns(['vendor_id']).execute()
        await db.schema
          .createTable('audit')
          .addColumn('seq', 'integer', (c) => c.primaryKey())
          .addColumn('at', 'text', (c) => c.notNull())
          .addColumn('entry', 'text', (c) => c.notNull())
          .addColumn('prev_hash', sql.raw(bytes), (c) => c.notNull())
          .addColumn('hash', sql.raw(bytes), (c) => c.notNull())
          .addColumn('mac', sql.raw(bytes))
          .execute()
        await db.schema.createIndex('audit_at').on('audit').columns(['at']).execute()
      },
    },
    '0002_row_authentication': {
      async up(db: Kysely<any>) {
        // Access-deciding rows carry a MAC under a root-derived key (SECURITY.md, "The barrier").
        // Rows already stored get theirs at the first unlock after this upgrade.
        for (const table of ['grants', 'vendors', 'purchases'])
          await db.schema.alterTable(table).addColumn('row_mac', sql.raw(bytes)).execute()
        await db.schema
          .alterTable('vault_meta')
          .addColumn('ledger_epoch', 'integer', (c) => c.notNull().defaultTo(0))
          .execute()
        await db.schema
          .alterTable('vault_meta')
          .addColumn('audit_anchor_seq', 'integer', (c) => c.notNull().defaultTo(0))
          .execute()
        await db.schema
          .alterTable('vault_meta')
          .addColumn('row_auth_version', 'integer', (c) => c.notNull().defaultTo(0))
          .execute()
      },
    },
    '0003_audit_grant_reads': {
      async up(db: Kysely<any>) {
        // Each grant's newest vendor read (audit.lastReadPerGrant) is one backward step in this
        // index, however long the log. It is built from the chained entry text itself, so it needs
        // no column the chain does not cover, and restores and imports keep it right by themselves.
        // The expressions never raise on any text — a damaged entry must not make the log
        // unwritable or this migration fail: SQLite checks json_valid first, PostgreSQL (where a
        // cast to jsonb would raise) matches the canonical text `canonicalEntry` writes. The
        // query in audit/grant-reads.ts repeats them character for character, or the planner
        // would not use the index.
        if (engine === 'postgres') {
          await sql`create index audit_grant_read on audit ((substring(entry from '"grantId":"([A-Za-z0-9_-]{1,64})"')), seq) where entry like '%"action":"grant.read"%'`.execute(
            db,
          )
        } else {
          await sql`create index audit_grant_read on audit (json_extract(entry, '$.grantId'), seq) where json_valid(entry) and json_extract(entry, '$.action') = 'grant.read'`.execute(
            db,
          )
        }
      },
    },
    '0004_signal_outbox': {
      // Signals to vendors (issue 12), written in the transaction of the change they announce.
      async up(db: Kysely<any>) {
        await db.schema
          .createTable('signal_outbox')
          .addColumn('id', 'text', (c) => c.primaryKey())
          .addColumn('vendor_id', 'text', (c) => c.notNull())
          .addColumn('grant_id', 'text')
          .addColumn('kind', 'text', (c) => c.notNull())
          .addColumn('paths', 'text')
          .addColumn('created_at', 'text', (c) => c.notNull())
          .addColumn('due_at', 'text', (c) => c.notNull())
          .addColumn('row_mac', sql.raw(bytes), (c) => c.notNull())
          .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
          .addColumn('next_attempt_at', 'text')
          .addColumn('last_error', 'text')
          .execute()
        await db.schema
          .createIndex('signal_outbox_due')
          .on('signal_outbox')
          .columns(['due_at'])
          .execute()
        await db.schema
          .createIndex('signal_outbox_vendor')
          .on('signal_outbox')
          .columns(['vendor_id', 'due_at'])
          .execute()
      },
    },
    '0005_consent_events': {
      // Each grant's consent events, so a receipt exists for every one (issue 12, part 3).
      async up(db: Kysely<any>) {
        await db.schema
          .createTable('consent_events')
          .addColumn('id', 'text', (c) => c.primaryKey())
          .addColumn('vendor_id', 'text', (c) => c.notNull())
          .addColumn('grant_id', 'text')
          .addColumn('kind', 'text', (c) => c.notNull())
          .addColumn('revision', 'integer')
          .addColumn('at', 'text', (c) => c.notNull())
          .addColumn('body', sql.raw(bytes), (c) => c.notNull())
          .addColumn('term', 'integer', (c) => c.notNull())
          .addColumn('row_mac', sql.raw(bytes), (c) => c.notNull())
          .execute()
        await db.schema
          .createIndex('consent_events_vendor')
          .on('consent_events')
          .columns(['vendor_id', 'at', 'id'])
          .execute()
        await db.schema
          .createIndex('consent_events_grant')
          .on('consent_events')
          .columns(['grant_id'])
          .execute()
        await db.schema
          .createIndex('consent_events_term')
          .on('consent_events')
          .columns(['term'])
          .execute()
      },
    },
    '0006_conversations': {
      // Conversation threads between the owner and one vendor, and their messages (issue 13).
      async up(db: Kysely<any>) {
        await db.schema
          .createTable('conversation_threads')
          .addColumn('id', 'text', (c) => c.primaryKey())
          .addColumn('vendor_id', 'text', (c) => c.notNull())
          .addColumn('opened_by', 'text', (c) => c.notNull())
          .addColumn('grant_id', 'text')
          .addColumn('purchase_id', 'text')
          .addColumn('state', 'text', (c) => c.notNull())
          .addColumn('last_seq', 'integer', (c) => c.notNull())
          .addColumn('head_hash', sql.raw(bytes), (c) => c.notNull())
          .addColumn('created_at', 'text', (c) => c.notNull())
          .addColumn('body', sql.raw(bytes), (c) => c.notNull())
          .addColumn('term', 'integer', (c) => c.notNull())
          .addColumn('row_mac', sql.raw(bytes), (c) => c.notNull())
          .addColumn('status', 'text', (c) => c.notNull())
          .addColumn('status_since', 'text', (c) => c.notNull())
          .addColumn('last_at', 'text', (c) => c.notNull())
          .addColumn('owner_read_seq', 'integer', (c) => c.notNull().defaultTo(0))
          .addColumn('vendor_read_seq', 'integer', (c) => c.notNull().defaultTo(0))
          .execute()
        await db.schema
          .createIndex('conversation_threads_vendor')
          .on('conversation_threads')
          .columns(['vendor_id', 'last_at'])
          .execute()
        await db.schema
          .createIndex('conversation_threads_last')
          .on('conversation_threads')
          .columns(['last_at', 'id'])
          .execute()
        await db.schema
          .createIndex('conversation_threads_term')
          .on('conversation_threads')
          .columns(['term'])
          .execute()
        await db.schema
          .createTable('conversation_messages')
          .addColumn('id', 'text', (c) => c.primaryKey())
          .addColumn('thread_id', 'text', (c) => c.notNull())
          .addColumn('seq', 'integer', (c) => c.notNull())
          .addColumn('author', 'text', (c) => c.notNull())
          .addColumn('at', 'text', (c) => c.notNull())
          .addColumn('prev_hash', sql.raw(bytes), (c) => c.notNull())
          .addColumn('hash', sql.raw(bytes), (c) => c.notNull())
          .addColumn('body', sql.raw(bytes), (c) => c.notNull())
          .addColumn('term', 'integer', (c) => c.notNull())
          .addColumn('row_mac', sql.raw(bytes), (c) => c.notNull())
          .execute()
        // One message per place in a thread's chain: two racing posts cannot both take a seq.
        await db.schema
          .createIndex('conversation_messages_seq')
          .on('conversation_messages')
          .columns(['thread_id', 'seq'])
          .unique()
          .execute()
        await db.schema
          .createIndex('conversation_messages_term')
          .on('conversation_messages')
          .columns(['term'])
          .execute()
      },
    },
    '0007_intents': {
      // The owner's requests for proposals and the vendors' offers (issue 13, intents).
      async up(db: Kysely<any>) {
        await db.schema
          .createTable('intents')
          .addColumn('id', 'text', (c) => c.primaryKey())
          .addColumn('state', 'text', (c) => c.notNull())
          .addColumn('audience', 'text', (c) => c.notNull())
          .addColumn('open_until', 'text', (c) => c.notNull())
          .addColumn('created_at', 'text', (c) => c.notNull())
          .addColumn('closed_at', 'text')
          .addColumn('accepted_offer_id', 'text')
          .addColumn('body', sql.raw(bytes), (c) => c.notNull())
          .addColumn('term', 'integer', (c) => c.notNull())
          .addColumn('row_mac', sql.raw(bytes), (c) => c.notNull())
          .execute()
        await db.schema
          .createIndex('intents_state')
          .on('intents')
          .columns(['state', 'open_until'])
          .execute()
        await db.schema
          .createTable('intent_offers')
          .addColumn('id', 'text', (c) => c.primaryKey())
          .addColumn('intent_id', 'text', (c) => c.notNull())
          .addColumn('vendor_id', 'text', (c) => c.notNull())
          .addColumn('state', 'text', (c) => c.notNull())
          .addColumn('created_at', 'text', (c) => c.notNull())
          .addColumn('updated_at', 'text', (c) => c.notNull())
          .addColumn('body', sql.raw(bytes), (c) => c.notNull())
          .addColumn('term', 'integer', (c) => c.notNull())
          .addColumn('row_mac', sql.raw(bytes), (c) => c.notNull())
          .execute()
        await db.schema
          .createIndex('intent_offers_intent')
          .on('intent_offers')
          .columns(['intent_id', 'vendor_id'])
          .execute()
        await db.schema
          .createIndex('intent_offers_term')
          .on('intent_offers')
          .columns(['term'])
          .execute()
      },
    },
  }
}

class CodeMigrationProvider implements MigrationProvider {
  readonly #engine: Engine
  constructor(engine: Engine) {
    this.#engine = engine
  }
  async getMigrations(): Promise<Record<string, Migration>> {
    return migrations(this.#engine)
  }
}

/** Brings the schema up to date. Safe to run on every open: applied migrations are skipped. */
export async function migrateToLatest(db: Kysely<any>, engine: Engine): Promise<void> {
  // Kysely looks for its migration tables in *every* schema unless told which one: a second
  // vault (or any custos_migration table) elsewhere in the same PostgreSQL database would make
  // it skip creating them here and fail. Pin them to the schema the vault's tables go to.
  const schema =
    engine === 'postgres'
      ? (await sql<{ schema: string | null }>`select current_schema() as schema`.execute(db))
          .rows[0]?.schema
      : undefined
  const migrator = new Migrator({
    db,
    provider: new CodeMigrationProvider(engine),
    migrationTableName: 'custos_migration',
    migrationLockTableName: 'custos_migration_lock',
    ...(schema ? { migrationTableSchema: schema } : {}),
  })
  const { error, results } = await withSchemaLock(db, engine, () => migrator.migrateToLatest())
  if (error) {
    const failed = results?.find((r) => r.status === 'Error')?.migrationName ?? 'unknown'
    throw new VaultError('ERR_UNSUPPORTED_FORMAT', `Database migration ${failed} failed`, {
      cause: error,
    })
  }
}

import { AuditLog } from './audit/audit-log.js'
import { AuditReader } from './audit/audit-reader.js'
import { RefusalBurst } from './audit/refusal-burst.js'
import { createBackup } from './backup/backup.js'
import { exportVault, importVault } from './backup/portable.js'
import { applyBackup, collectBytes, verifyBackup } from './backup/restore.js'
import { scheduleExpirySignals } from './signals/signal-outbox.js'
import type { VaultContext } from './context.js'
import { ExternalValues } from './crypto/external-values.js'
import type { KdfPreset } from './crypto/kdf.js'
import { keyedHashHex } from './crypto/keyed-hash.js'
import { loadSodium } from './crypto/sodium.js'
import { migrateToLatest } from './db/migrations.js'
import type { DatabaseHandle } from './db/open-database.js'
import { VaultLockedError } from './errors.js'
import type { VaultEvent, VaultEventListener } from './events.js'
import { FieldStore } from './fields/field-store.js'
import { AccessPolicy } from './grants/access-policy.js'
import { GrantReadCache } from './grants/grant-read-cache.js'
import { GrantStore } from './grants/grant-store.js'
import { Inbox } from './grants/inbox.js'
import { type ReadThroughGrantOptions, readThroughGrant } from './grants/read-through-grant.js'
import { VendorStore } from './grants/vendor-store.js'
import { ExternalRows } from './integrity/external-rows.js'
import { RowAuth } from './integrity/row-auth.js'
import { KeyCustody } from './keys/key-custody.js'
import { KdfPresetSchema, requireMeta } from './keys/lifecycle.js'
import { originOf, ownerKeyActions } from './keys/owner-key-actions.js'
import { rotateKeys } from './keys/rotation.js'
import { blockedUntil } from './keys/throttle.js'
import { retryOnUnknownTerm } from './keys/write-term.js'
import { PurchaseStore } from './purchases/purchase-store.js'
import { SignalOutbox } from './signals/signal-outbox.js'
import { Conversations } from './conversations/conversation-store.js'
import { IntentStore } from './intents/intent-store.js'
import type { Vault } from './vault.js'

/** Options of {@link createVault}. */
export interface CreateVaultOptions {
  /** The database, from `openSqlite(file)` or `openPostgres(...)`. */
  readonly database: DatabaseHandle
  /** Argon2id cost for passphrases set from now on (default `moderate`; `interactive` is the floor). */
  readonly kdf?: KdfPreset
  /** The clock (tests pass a fake one). */
  readonly now?: () => Date
  /** Receives typed events: ids and counts, never values or keys. */
  readonly onEvent?: VaultEventListener
  /**
   * Reuse a grant's decrypted slice while SQLite's change token proves nothing was written since
   * (default true; PostgreSQL never caches). Set false to make every read select and decrypt —
   * the benchmark does, to report both figures.
   */
  readonly grantReadCache?: boolean
}

/** A vault with the parts tests look inside: its keys in custody and its grant read cache. */
export interface WiredVault {
  readonly vault: Vault
  readonly custody: KeyCustody
  readonly grantReads: GrantReadCache
}

/**
 * Opens the vault on a database, creating its schema if needed. The vault starts sealed (or
 * uninitialized on an empty database); nothing but `status`, `initialize`, `unlock`, `recover`
 * and `restore` works until it is unsealed.
 *
 * @example
 * import { createVault, openSqlite } from '@custos/vault'
 * const vault = await createVault({ database: openSqlite('./data/custos.db') })
 * if ((await vault.status()).state === 'uninitialized') {
 *   const { recoveryKey } = await vault.initialize('correct horse battery staple')
 *   console.log('Write this down:', recoveryKey)
 * } else {
 *   await vault.unlock('correct horse battery staple')
 * }
 * await vault.fields.set('email', 'ada@example.org')
 */
export async function createVault(options: CreateVaultOptions): Promise<Vault> {
  return (await wireVault(options)).vault
}

/**
 * Builds a vault from its parts, by hand: the key custody, the context every part shares, the
 * stores, and the owner's key actions. {@link createVault} is the public door; this one also
 * hands back the parts, for tests.
 */
export async function wireVault(options: CreateVaultOptions): Promise<WiredVault> {
  const sodium = await loadSodium()
  const preset = KdfPresetSchema.parse(options.kdf ?? 'moderate')
  const { database } = options
  const now = options.now ?? (() => new Date())
  const listener = options.onEvent
  const emit = (event: VaultEvent) => {
    try {
      listener?.(event)
    } catch {
      // A listener's failure must never break or undo a vault operation.
    }
  }
  await migrateToLatest(database.db, database.engine)

  // Decrypted grant bodies and slices go with the keys they were opened with (SECURITY.md promise 6).
  const grantReads = new GrantReadCache(database)
  const custody = new KeyCustody({ now, onSeal: () => grantReads.clear() })
  const requireKeys = () => custody.require()
  const keysIfUnsealed = () => custody.ifUnsealed()
  const audit = new AuditLog({
    db: database.db,
    engine: database.engine,
    handle: database,
    sodium,
    now,
    keysIfUnsealed,
    onFlush: (n) => emit({ type: 'audit.flushed', entries: n }),
  })
  // Vendor refusals, aggregated per burst (audit/refusal-burst.ts); pending counts are written at lock and close.
  const refusals = new RefusalBurst({ append: (input) => audit.appendDurable(input), now })
  const ctx: VaultContext = {
    handle: database,
    db: database.db,
    engine: database.engine,
    sodium,
    now,
    emit,
    keys: requireKeys,
    keysIfUnsealed,
    audit,
    refusals,
    rows: new RowAuth(requireKeys),
    grantReadCache: options.grantReadCache ?? true,
    grantReads,
  }
  const externalRows = new ExternalRows(requireKeys)
  const stores = {
    fields: retryOnUnknownTerm(ctx, new FieldStore(ctx)),
    purchases: retryOnUnknownTerm(ctx, new PurchaseStore(ctx)),
    vendors: retryOnUnknownTerm(ctx, new VendorStore(ctx)),
    grants: retryOnUnknownTerm(ctx, new GrantStore(ctx)),
    inbox: retryOnUnknownTerm(ctx, new Inbox(ctx)),
    audit: new AuditReader(ctx),
    access: retryOnUnknownTerm(ctx, new AccessPolicy(ctx)),
    signals: new SignalOutbox(ctx),
    conversations: retryOnUnknownTerm(ctx, new Conversations(ctx), ['asVendor']),
    intents: retryOnUnknownTerm(ctx, new IntentStore(ctx), ['asVendor']),
  }
  const reads = retryOnUnknownTerm(ctx, {
    readThroughGrant: (grantId: string, opts?: ReadThroughGrantOptions) =>
      readThroughGrant(ctx, grantId, opts),
    exportJson: () => exportVault(ctx, stores),
  })
  const ownerKeys = ownerKeyActions({ ctx, custody, externalRows, preset })

  const vault: Vault = {
    ...stores,
    ...ownerKeys.actions,
    rows: externalRows,
    envelopes: new ExternalValues(sodium, requireKeys),

    async status() {
      const meta = await ctx.db
        .selectFrom('vault_meta')
        .selectAll()
        .where('id', '=', 1)
        .executeTakeFirst()
      if (!meta) return { state: 'uninitialized' }
      if (!custody.isUnsealed) {
        return {
          state: 'sealed',
          vaultId: meta.vault_id,
          createdAt: meta.created_at,
          failedUnlocks: meta.failed_unlocks,
          ...blockedUntil(meta.unlock_blocked_until, now()),
        }
      }
      return {
        state: 'unsealed',
        vaultId: meta.vault_id,
        createdAt: meta.created_at,
        currentTerm: meta.current_term,
        rotationPending: meta.rotation_target !== null,
      }
    },

    isUnsealed() {
      return custody.isUnsealed
    },

    async lock(opts) {
      const origin = originOf(opts)
      const wasUnsealed = custody.isUnsealed
      await refusals.flush()
      if (wasUnsealed) {
        // Written while the keys can still MAC it. Locking is the safe direction: an entry that
        // cannot be written (a full disk) must not keep the keys in memory, so the lock goes on.
        await audit
          .appendDurable({ action: 'vault.locked', actor: 'owner', origin })
          .catch(() => undefined)
      }
      await audit.drain()
      custody.seal()
      if (wasUnsealed) emit({ type: 'vault.locked' })
    },

    async rotateKeys(opts) {
      // async, so a sealed vault rejects like every other call instead of throwing synchronously.
      return rotateKeys(ctx, requireKeys(), opts)
    },

    readThroughGrant(grantId, opts) {
      return reads.readThroughGrant(grantId, opts)
    },

    exportJson() {
      return reads.exportJson()
    },

    importJson(doc, opts) {
      return importVault(ctx, doc, opts?.mode ?? 'merge')
    },

    backup() {
      let bytes = 0
      // A generator: a sealed vault refuses at the first chunk, as a rejection like every other call.
      return (async function* () {
        for await (const chunk of createBackup(ctx, requireKeys())) {
          bytes += chunk.length
          yield chunk
        }
        await ctx.db
          .transaction()
          .execute((trx) =>
            audit.appendInTransaction(trx, [{ action: 'vault.backed_up', actor: 'owner' }]),
          )
        emit({ type: 'backup.created', bytes })
      })()
    },

    async restore(source, credentials, opts) {
      const origin = originOf(opts)
      const meta = await ctx.db
        .selectFrom('vault_meta')
        .select('id')
        .where('id', '=', 1)
        .executeTakeFirst()
      // Replacing an existing vault needs it unsealed: whoever restores over it must own it.
      if (meta && !custody.isUnsealed) throw new VaultLockedError()
      const verified = await verifyBackup(ctx, await collectBytes(source), credentials)
      // Pending refusal counts belong to the log being replaced: written to it, not to the restored one.
      await refusals.flush()
      await audit.drain()
      try {
        await applyBackup(ctx, verified)
      } catch (err) {
        sodium.memzero(verified.root)
        throw err
      }
      const restoredMeta = await requireMeta(ctx)
      const method =
        typeof credentials === 'object' && 'recoveryKey' in credentials
          ? 'recovery-key'
          : 'passphrase'
      await ownerKeys.unseal(restoredMeta.vault_id, verified.root, restoredMeta.current_term, {
        method,
        action: 'vault.restored',
        origin,
      })
      // The outbox of the vault replaced was emptied; the restored grants' expiries still come.
      await ctx.db.transaction().execute((trx) => scheduleExpirySignals(ctx, trx))
      emit({ type: 'vault.restored' })
    },

    hashSecret(secret) {
      if (typeof secret !== 'string') throw new TypeError('secret must be a string')
      return keyedHashHex(secret, requireKeys().subkey('tokenHash'))
    },

    signingSeed() {
      return new Uint8Array(requireKeys().subkey('signingSeed'))
    },

    async destroy() {
      requireKeys()
      await refusals.flush()
      await audit.drain()
      await ctx.db.transaction().execute(async (trx) => {
        // Crypto-erase first: without the wrapped keys no copy of any ciphertext can be opened.
        await trx.updateTable('keyring').set({ wrapped_key: null }).execute()
        for (const table of [
          'signal_outbox',
          'consent_events',
          'conversation_messages',
          'conversation_threads',
          'intent_offers',
          'intents',
          'audit',
          'purchases',
          'grants',
          'vendors',
          'fields',
          'keyring',
          'vault_meta',
        ] as const)
          await trx.deleteFrom(table).execute()
      })
      await database.scrub()
      custody.seal()
      emit({ type: 'vault.destroyed' })
    },

    async close() {
      await refusals.flush()
      await audit.drain()
      custody.seal()
      await database.close()
    },
  }
  return { vault, custody, grantReads }
}

import { AuditOrigin } from './audit/audit-entry.js'
import { AuditLog } from './audit/audit-log.js'
import { AuditReader } from './audit/audit-reader.js'
import { RefusalBurst } from './audit/refusal-burst.js'
import { createBackup } from './backup/backup.js'
import { type ImportResult, exportVault, importVault } from './backup/portable.js'
import type { VaultExport } from './backup/export-json.js'
import { applyBackup, collectBytes, verifyBackup } from './backup/restore.js'
import type { VaultContext } from './context.js'
import type { KdfPreset } from './crypto/kdf.js'
import { keyedHashHex } from './crypto/keyed-hash.js'
import { loadSodium } from './crypto/sodium.js'
import { migrateToLatest } from './db/migrations.js'
import type { DatabaseHandle } from './db/open-database.js'
import type { VaultMetaTable } from './db/schema.js'
import { VaultError, VaultLockedError } from './errors.js'
import type { VaultEvent, VaultEventListener } from './events.js'
import { FieldStore } from './fields/field-store.js'
import { AccessPolicy } from './grants/access-policy.js'
import { GrantStore } from './grants/grant-store.js'
import { Inbox } from './grants/inbox.js'
import { type GrantedSlice, type ReadThroughGrantOptions, readThroughGrant } from './grants/read-through-grant.js'
import { VendorStore } from './grants/vendor-store.js'
import { type Credentials, KdfPresetSchema, assertNewPassphrase, createKeys, loadKeyring, passphraseWrap, requireMeta, unwrapRoot } from './keys/lifecycle.js'
import { type RotateKeysOptions, type RotationResult, rotateKeys } from './keys/rotation.js'
import { UnsealedKeys } from './keys/unsealed-keys.js'
import { retryOnUnknownTerm } from './keys/write-term.js'
import { adoptLegacyRows } from './integrity/adopt-rows.js'
import { ExternalRows, type RowAuthenticator } from './integrity/external-rows.js'
import { ExternalValues, type ValueSealer } from './crypto/external-values.js'
import { RowAuth } from './integrity/row-auth.js'
import { PurchaseStore } from './purchases/purchase-store.js'

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

/**
 * How long a proof of the recovery key lets {@link Vault.resetPassphrase} set a new passphrase
 * without the old one: long enough to choose one, short enough that a browser left open later
 * cannot take the vault over with it.
 */
export const RECOVERY_WINDOW_SECONDS = 15 * 60

/** Options of the owner's lock, unlock and sign-in: where it came from, for the access log. */
export interface OwnerActionOptions {
  /** `browser`, `cli`, `api` or `library` (the default): recorded in the action's audit entry. */
  readonly origin?: AuditOrigin
}

/** The origin an owner action records; an unknown one is caller misuse (a TypeError). */
function originOf(options: OwnerActionOptions | undefined): AuditOrigin {
  const parsed = AuditOrigin.safeParse(options?.origin ?? 'library')
  if (!parsed.success) throw new TypeError(`origin must be one of ${AuditOrigin.options.join(', ')}`)
  return parsed.data
}

/** Where the vault stands. */
export type VaultStatus =
  | { readonly state: 'uninitialized' }
  | { readonly state: 'sealed'; readonly vaultId: string; readonly createdAt: string; readonly failedUnlocks: number; readonly unlockBlockedUntil?: string }
  | { readonly state: 'unsealed'; readonly vaultId: string; readonly createdAt: string; readonly currentTerm: number; readonly rotationPending: boolean }

/** The vault: what {@link createVault} returns. */
export interface Vault {
  status(): Promise<VaultStatus>
  /** Whether this process holds the keys right now — a synchronous, in-memory check for hot paths (an HTTP guard per request). */
  isUnsealed(): boolean
  /**
   * Creates the vault with a passphrase; returns the recovery key, shown this once. The vault is then unsealed.
   * A passphrase that `checkPassphrase` refuses gives `ERR_WEAK_PASSPHRASE` with the reason, before any Argon2 work.
   */
  initialize(passphrase: string | Uint8Array): Promise<{ recoveryKey: string; vaultId: string }>
  /** Unseals with the passphrase or `{ recoveryKey }`. Throttled after repeated failures. */
  unlock(credentials: Credentials, options?: OwnerActionOptions): Promise<void>
  /**
   * Checks the owner's passphrase or recovery key without changing the vault's state — for an
   * owner session on an already unsealed vault. Throttled and audited exactly like unlock.
   */
  verifyOwner(credentials: Credentials, options?: OwnerActionOptions): Promise<void>
  /**
   * Seals: records `vault.locked` (with where it came from) and the pending refusal counts, waits
   * for pending audit writes, then wipes every key from memory. Locking a sealed vault does nothing.
   */
  lock(options?: OwnerActionOptions): Promise<void>
  /** Changes the passphrase after checking the current one; only the root-key wrap changes. A weak `next` gives `ERR_WEAK_PASSPHRASE` before the current one is tried. */
  changePassphrase(current: string | Uint8Array, next: string | Uint8Array): Promise<void>
  /** Sets a new passphrase with the recovery key (forgotten passphrase); leaves the vault unsealed. A weak one gives `ERR_WEAK_PASSPHRASE` before the key is tried. */
  recover(recoveryKey: string, newPassphrase: string | Uint8Array, options?: OwnerActionOptions): Promise<void>
  /**
   * Sets a new passphrase without the current one, for an owner who forgot it and has just proved
   * the recovery key to this vault object (`unlock` or `verifyOwner` with `{ recoveryKey }`)
   * within the last {@link RECOVERY_WINDOW_SECONDS}. The unsealed vault holds the
   * root key, so re-wrapping it needs no secret; the recent proof is what stands in for the current
   * passphrase (which stops a walk-up attacker in {@link Vault.changePassphrase}). Without a
   * fresh proof: `ERR_RECOVERY_REQUIRED`. A weak `next` gives `ERR_WEAK_PASSPHRASE` first. The
   * proof is spent: a second reset needs the recovery key again.
   *
   * @example
   * await vault.verifyOwner({ recoveryKey }, { origin: 'browser' })
   * await vault.resetPassphrase('a new passphrase of several words')
   */
  resetPassphrase(next: string | Uint8Array, options?: OwnerActionOptions): Promise<void>
  /** Rotates the data key online; resumes an interrupted rotation. */
  rotateKeys(options?: RotateKeysOptions): Promise<RotationResult>
  readonly fields: FieldStore
  readonly purchases: PurchaseStore
  readonly vendors: VendorStore
  readonly grants: GrantStore
  readonly inbox: Inbox
  readonly audit: AuditReader
  /**
   * The refusal policy for vendor attempts that do not read through a grant (grant lookups, checks
   * before an append, token exchanges and refreshes): the same rules and the same access-log
   * entries as {@link readThroughGrant} — see {@link AccessPolicy}.
   */
  readonly access: AccessPolicy
  /**
   * Authenticates access-deciding rows the application stores beside the vault (the consent
   * API's clients, tokens, codes, requests, sessions) under a root-derived key — see
   * {@link RowAuthenticator}. Sealed: ERR_VAULT_LOCKED.
   */
  readonly rows: RowAuthenticator
  /**
   * Encrypts the confidential values the application stores beside the vault (the consent API's
   * client metadata, pending requests, code redirect URIs), bound to their place, under a
   * root-derived key that key rotation leaves alone — see {@link ValueSealer}. Sealed: ERR_VAULT_LOCKED.
   */
  readonly envelopes: ValueSealer
  /** Reads exactly what a grant allows, audited durably before it resolves. */
  readThroughGrant(grantId: string, options?: ReadThroughGrantOptions): Promise<GrantedSlice>
  /** The portable plaintext export (`custos-export` v1). */
  exportJson(): Promise<VaultExport>
  /** Imports a `custos-export` document (validated whole before anything is written). */
  importJson(doc: unknown, options?: { mode?: 'merge' | 'replace' }): Promise<ImportResult>
  /** An encrypted, consistent backup as a stream of chunks. */
  backup(): AsyncIterable<Uint8Array>
  /** Verifies a whole backup, then replaces this vault with it; the vault is unsealed with the backup's keys afterwards. */
  restore(source: Uint8Array | AsyncIterable<Uint8Array>, credentials: Credentials, options?: OwnerActionOptions): Promise<void>
  /**
   * A keyed BLAKE2b-256 (the `tokenHash` subkey) of a bearer secret — an access or refresh token,
   * an authorization code, a client secret — as hex. Callers store this, never the secret
   * (SECURITY.md key hierarchy item 6), and compare hashes in constant time. Sealed: ERR_VAULT_LOCKED.
   *
   * @example
   * const stored = vault.hashSecret(accessToken)
   */
  hashSecret(secret: string): string
  /**
   * The 32-byte Ed25519 seed of the vault's signing key (consent receipts, signed deliveries): the
   * root-derived `signingSeed` subkey, its own KDF context, so no other use of the keys can ever
   * produce or reveal it. Stable across restarts, rotations and passphrase changes. A copy: wipe it
   * after use. Sealed: ERR_VAULT_LOCKED.
   */
  signingSeed(): Uint8Array
  /** Crypto-erases and deletes everything; the database is left empty (uninitialized). */
  destroy(): Promise<void>
  /** Writes pending refusal counts, drains pending audit writes and closes the database. */
  close(): Promise<void>
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

  let keys: UnsealedKeys | undefined
  const requireKeys = (): UnsealedKeys => {
    if (!keys) throw new VaultLockedError()
    return keys
  }
  const audit = new AuditLog({ db: database.db, engine: database.engine, handle: database, sodium, now, keysIfUnsealed: () => keys, onFlush: (n) => emit({ type: 'audit.flushed', entries: n }) })
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
    keysIfUnsealed: () => keys,
    audit,
    refusals,
    rows: new RowAuth(requireKeys),
    grantReadCache: options.grantReadCache ?? true,
  }
  const externalRows = new ExternalRows(requireKeys)
  const envelopes = new ExternalValues(sodium, requireKeys)
  const stores = {
    fields: retryOnUnknownTerm(ctx, new FieldStore(ctx)),
    purchases: retryOnUnknownTerm(ctx, new PurchaseStore(ctx)),
    vendors: retryOnUnknownTerm(ctx, new VendorStore(ctx)),
    grants: retryOnUnknownTerm(ctx, new GrantStore(ctx)),
    inbox: retryOnUnknownTerm(ctx, new Inbox(ctx)),
    audit: new AuditReader(ctx),
    access: retryOnUnknownTerm(ctx, new AccessPolicy(ctx)),
  }
  const reads = retryOnUnknownTerm(ctx, {
    readThroughGrant: (grantId: string, opts?: ReadThroughGrantOptions) => readThroughGrant(ctx, grantId, opts),
    exportJson: () => exportVault(ctx, stores),
  })

  let unlocking: Promise<unknown> = Promise.resolve()
  // When this process last saw the recovery key proved (resetPassphrase): memory only, so a
  // restart or a lock forgets it and the owner proves the key again.
  let recoveryProvedAt: number | undefined
  const seal = () => {
    keys?.wipe()
    keys = undefined
    recoveryProvedAt = undefined
  }

  /** Installs unwrapped keys and records the unlock (and seals the failed-unlock tail) in one transaction. */
  const unseal = async (
    vaultId: string,
    root: Uint8Array,
    currentTerm: number,
    method: 'passphrase' | 'recovery-key',
    action: 'vault.unlocked' | 'vault.recovered' | 'vault.restored' = 'vault.unlocked',
    extra: Partial<Pick<VaultMetaTable, 'kdf_params' | 'wrapped_root_passphrase'>> = {},
    origin: AuditOrigin = 'library',
  ) => {
    const fresh = new UnsealedKeys(sodium, vaultId, root, currentTerm)
    try {
      await loadKeyring(ctx, fresh, currentTerm)
      seal()
      keys = fresh
      await database.db.transaction().execute(async (trx) => {
        await trx.updateTable('vault_meta').set({ failed_unlocks: 0, unlock_blocked_until: null, ...extra }).where('id', '=', 1).execute()
        await audit.sealTail(trx, fresh)
        // A vault from before row authentication has its rows authenticated now (integrity/adopt-rows.ts).
        await adoptLegacyRows(ctx, trx, (t) => externalRows.adopt(t))
        await audit.appendInTransaction(trx, [{ action, actor: 'owner', detail: method, origin }])
      })
    } catch (err) {
      if (keys === fresh) keys = undefined
      fresh.wipe()
      throw err
    }
    emit({ type: 'vault.unlocked', vaultId, method })
  }

  const vault: Vault = {
    ...stores,
    rows: externalRows,
    envelopes,

    async status() {
      const meta = await ctx.db.selectFrom('vault_meta').selectAll().where('id', '=', 1).executeTakeFirst()
      if (!meta) return { state: 'uninitialized' }
      if (!keys) {
        const blocked = meta.unlock_blocked_until && new Date(meta.unlock_blocked_until) > now() ? { unlockBlockedUntil: meta.unlock_blocked_until } : {}
        return { state: 'sealed', vaultId: meta.vault_id, createdAt: meta.created_at, failedUnlocks: meta.failed_unlocks, ...blocked }
      }
      return { state: 'unsealed', vaultId: meta.vault_id, createdAt: meta.created_at, currentTerm: meta.current_term, rotationPending: meta.rotation_target !== null }
    },

    isUnsealed() {
      return keys !== undefined
    },

    async initialize(passphrase) {
      // The first entry commits with the vault itself: a vault whose log is empty is a wiped log.
      let installed: UnsealedKeys | undefined
      let created
      try {
        created = await createKeys(ctx, passphrase, preset, async (trx, fresh) => {
          seal()
          keys = installed = fresh
          await audit.appendInTransaction(trx, [{ action: 'vault.created', actor: 'owner' }])
        })
      } catch (err) {
        if (installed && keys === installed) keys = undefined
        throw err
      }
      emit({ type: 'vault.created', vaultId: created.keys.vaultId })
      return { recoveryKey: created.recoveryKey, vaultId: created.keys.vaultId }
    },

    unlock(credentials, opts) {
      // One unlock at a time per vault, and an unlock that finds the vault already unsealed (a
      // concurrent one won) only proves the secret: installing a second key object would wipe the
      // one that requests and a rotation in flight are using.
      const run = unlocking.then(async () => {
        const origin = originOf(opts)
        const { meta, root, method } = await unwrapRoot(ctx, credentials, origin)
        if (keys !== undefined) {
          sodium.memzero(root)
          if (method === 'recovery-key') recoveryProvedAt = now().getTime()
          return
        }
        await unseal(meta.vault_id, root, meta.current_term, method, 'vault.unlocked', {}, origin)
        if (method === 'recovery-key') recoveryProvedAt = now().getTime()
      })
      unlocking = run.catch(() => undefined)
      return run
    },

    async verifyOwner(credentials, opts) {
      const origin = originOf(opts)
      const { root, method } = await unwrapRoot(ctx, credentials, origin)
      sodium.memzero(root)
      await ctx.db.transaction().execute(async (trx) => {
        await trx.updateTable('vault_meta').set({ failed_unlocks: 0, unlock_blocked_until: null }).where('id', '=', 1).execute()
        await audit.appendInTransaction(trx, [{ action: 'owner.authenticated', actor: 'owner', detail: method, origin }])
      })
      if (method === 'recovery-key') recoveryProvedAt = now().getTime()
    },

    async lock(opts) {
      const origin = originOf(opts)
      const wasUnsealed = keys !== undefined
      await refusals.flush()
      if (wasUnsealed) {
        // Written while the keys can still MAC it. Locking is the safe direction: an entry that
        // cannot be written (a full disk) must not keep the keys in memory, so the lock goes on.
        await audit.appendDurable({ action: 'vault.locked', actor: 'owner', origin }).catch(() => undefined)
      }
      await audit.drain()
      seal()
      if (wasUnsealed) emit({ type: 'vault.locked' })
    },

    async changePassphrase(current, next) {
      const k = requireKeys()
      await assertNewPassphrase(next)
      // Proving the current passphrase keeps a walk-up attacker at an unlocked session from taking over.
      const { root } = await unwrapRoot(ctx, typeof current === 'string' || current instanceof Uint8Array ? { passphrase: current } : current)
      sodium.memzero(root)
      const columns = await passphraseWrap(ctx, k, next, preset)
      await ctx.db.transaction().execute(async (trx) => {
        await trx.updateTable('vault_meta').set(columns).where('id', '=', 1).execute()
        await audit.appendInTransaction(trx, [{ action: 'vault.passphrase_changed', actor: 'owner' }])
      })
      emit({ type: 'vault.passphrase_changed' })
    },

    async recover(recoveryKey, newPassphrase, opts) {
      const origin = originOf(opts)
      await assertNewPassphrase(newPassphrase)
      const { meta, root } = await unwrapRoot(ctx, { recoveryKey }, origin)
      const temp = new UnsealedKeys(sodium, meta.vault_id, new Uint8Array(root), meta.current_term)
      let columns
      try {
        columns = await passphraseWrap(ctx, temp, newPassphrase, preset)
      } catch (err) {
        temp.wipe()
        sodium.memzero(root)
        throw err
      }
      temp.wipe()
      await unseal(meta.vault_id, root, meta.current_term, 'recovery-key', 'vault.recovered', { kdf_params: columns.kdf_params, wrapped_root_passphrase: columns.wrapped_root_passphrase }, origin)
      emit({ type: 'vault.passphrase_changed' })
    },

    async resetPassphrase(next, opts) {
      const origin = originOf(opts)
      const k = requireKeys()
      await assertNewPassphrase(next)
      const provedAt = recoveryProvedAt
      if (provedAt === undefined || now().getTime() - provedAt > RECOVERY_WINDOW_SECONDS * 1000) throw new VaultError('ERR_RECOVERY_REQUIRED', 'Prove the recovery key again first')
      // Spent before the slow KDF: two resets racing on one proof, only the first goes on.
      recoveryProvedAt = undefined
      const columns = await passphraseWrap(ctx, k, next, preset)
      await ctx.db.transaction().execute(async (trx) => {
        await trx.updateTable('vault_meta').set(columns).where('id', '=', 1).execute()
        await audit.appendInTransaction(trx, [{ action: 'vault.passphrase_changed', actor: 'owner', detail: 'recovery-key', origin }])
      })
      emit({ type: 'vault.passphrase_changed' })
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
        await ctx.db.transaction().execute((trx) => audit.appendInTransaction(trx, [{ action: 'vault.backed_up', actor: 'owner' }]))
        emit({ type: 'backup.created', bytes })
      })()
    },

    async restore(source, credentials, opts) {
      const origin = originOf(opts)
      const meta = await ctx.db.selectFrom('vault_meta').select('id').where('id', '=', 1).executeTakeFirst()
      // Replacing an existing vault needs it unsealed: whoever restores over it must own it.
      if (meta && !keys) throw new VaultLockedError()
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
      const method = typeof credentials === 'object' && 'recoveryKey' in credentials ? 'recovery-key' : 'passphrase'
      await unseal(restoredMeta.vault_id, verified.root, restoredMeta.current_term, method, 'vault.restored', {}, origin)
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
        for (const table of ['audit', 'purchases', 'grants', 'vendors', 'fields', 'keyring', 'vault_meta'] as const) await trx.deleteFrom(table).execute()
      })
      await database.scrub()
      seal()
      emit({ type: 'vault.destroyed' })
    },

    async close() {
      await refusals.flush()
      await audit.drain()
      seal()
      await database.close()
    },
  }
  return vault
}


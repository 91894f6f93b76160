import type { Transaction } from 'kysely'
import { z } from 'zod'
import type { AuditOrigin } from '../audit/audit-entry.js'
import type { VaultContext } from '../context.js'
import { passphraseBytes, toBytes } from '../crypto/bytes.js'
import { open, seal } from '../crypto/envelope.js'
import {
  type KdfParams,
  type KdfPreset,
  KdfParams as KdfParamsSchema,
  deriveKek,
  kdfParamsAad,
  newKdfParams,
} from '../crypto/kdf.js'
import { formatRecoveryKey, parseRecoveryKey } from '../crypto/recovery-key.js'
import type { VaultDatabase, VaultMetaTable } from '../db/schema.js'
import { IntegrityError, UnlockFailedError, UnlockThrottledError, VaultError } from '../errors.js'
import { assertPassphraseAllowed } from './passphrase-policy.js'
import { blockedUntilAfter } from './throttle.js'
import { ROOT_WRAP_TERM, UnsealedKeys, wrapTermKey } from './unsealed-keys.js'

/** How the owner proves who they are: the passphrase, or the recovery key shown at creation. */
export type Credentials =
  | string
  | Uint8Array
  | { passphrase: string | Uint8Array }
  | { recoveryKey: string }

/** Refuses a new passphrase the policy does not accept (passphrase-policy.ts), then hands back its bytes. */
async function checkNewPassphrase(passphrase: string | Uint8Array): Promise<Uint8Array> {
  await assertPassphraseAllowed(passphrase)
  return passphraseBytes(passphrase)
}

/**
 * Refuses a weak new passphrase up front, so a change or recovery that would be refused anyway
 * proves the current secret for nothing: no unlock attempt is reserved (and left counted as a
 * failure, promise 8) and no Argon2 runs.
 */
export async function assertNewPassphrase(passphrase: string | Uint8Array): Promise<void> {
  await assertPassphraseAllowed(passphrase)
}

function passphrasePlace(vaultId: string, params: KdfParams) {
  return {
    table: 'vault_meta',
    column: 'wrapped_root_passphrase',
    recordId: kdfParamsAad(params),
    vaultId,
  }
}
function recoveryPlace(vaultId: string) {
  return { table: 'vault_meta', column: 'wrapped_root_recovery', recordId: 'recovery', vaultId }
}

async function readMeta(
  ctx: VaultContext,
  trx?: Transaction<VaultDatabase>,
): Promise<VaultMetaTable | undefined> {
  return (trx ?? ctx.db)
    .selectFrom('vault_meta')
    .selectAll()
    .where('id', '=', 1)
    .$if(trx !== undefined && ctx.engine === 'postgres', (q) => q.forUpdate())
    .executeTakeFirst()
}

export async function requireMeta(ctx: VaultContext): Promise<VaultMetaTable> {
  const meta = await readMeta(ctx)
  if (!meta) throw new VaultError('ERR_VAULT_UNINITIALIZED', 'The vault has not been created yet')
  return meta
}

/** Creates the key hierarchy: root key, first data key, passphrase and recovery wraps. Returns the keys and the recovery key text. */
export async function createKeys(
  ctx: VaultContext,
  passphrase: string | Uint8Array,
  preset: KdfPreset,
  inTransaction: (
    trx: Transaction<VaultDatabase>,
    keys: UnsealedKeys,
  ) => Promise<void> = async () => undefined,
): Promise<{ keys: UnsealedKeys; recoveryKey: string }> {
  const { sodium } = ctx
  const pass = await checkNewPassphrase(passphrase)
  if (await readMeta(ctx))
    throw new VaultError('ERR_VAULT_EXISTS', 'A vault already exists in this database')
  const vaultId = `vault_${sodium.to_base64(sodium.randombytes_buf(16), sodium.base64_variants.URLSAFE_NO_PADDING)}`
  const params = newKdfParams(sodium, preset)
  const kek = await deriveKek(sodium, pass, params)
  sodium.memzero(pass)
  const root = sodium.crypto_aead_xchacha20poly1305_ietf_keygen()
  const recovery = sodium.randombytes_buf(32)
  const termKey = sodium.crypto_aead_xchacha20poly1305_ietf_keygen()
  const now = ctx.now().toISOString()
  const wrappedPass = seal(sodium, kek, ROOT_WRAP_TERM, passphrasePlace(vaultId, params), root)
  const wrappedRecovery = seal(sodium, recovery, ROOT_WRAP_TERM, recoveryPlace(vaultId), root)
  sodium.memzero(kek)
  const keys = new UnsealedKeys(sodium, vaultId, root, 1)
  keys.setCurrentTerm(1, termKey)
  try {
    await ctx.db.transaction().execute(async (trx) => {
      if (await readMeta(ctx, trx))
        throw new VaultError('ERR_VAULT_EXISTS', 'A vault already exists in this database')
      await trx
        .insertInto('vault_meta')
        .values({
          id: 1,
          vault_id: vaultId,
          created_at: now,
          kdf_params: JSON.stringify(params),
          wrapped_root_passphrase: wrappedPass,
          wrapped_root_recovery: wrappedRecovery,
          current_term: 1,
          failed_unlocks: 0,
          unlock_blocked_until: null,
          audit_head_seq: 0,
          audit_head_hash: null,
          audit_head_mac: null,
          rotation_target: null,
          ledger_epoch: 0,
          audit_anchor_seq: 0,
          // Created authenticated: every row is MAC'd from the start, the log's genesis is bound to this vault.
          row_auth_version: 2,
        })
        .execute()
      await trx
        .insertInto('keyring')
        .values({
          term: 1,
          wrapped_key: wrapTermKey(sodium, root, vaultId, 1, termKey),
          created_at: now,
          retired_at: null,
        })
        .execute()
      await inTransaction(trx, keys)
    })
  } catch (err) {
    keys.wipe()
    throw err
  }
  const recoveryKey = formatRecoveryKey(sodium, recovery)
  sodium.memzero(recovery)
  return { keys, recoveryKey }
}

/** Loads every live data key of the keyring into `keys`. */
export async function loadKeyring(
  ctx: VaultContext,
  keys: UnsealedKeys,
  currentTerm: number,
): Promise<void> {
  const rows = await ctx.db
    .selectFrom('keyring')
    .select(['term', 'wrapped_key'])
    .where('wrapped_key', 'is not', null)
    .execute()
  for (const row of rows) {
    if (row.wrapped_key && !keys.hasTerm(row.term))
      keys.addWrappedTerm(row.term, toBytes(row.wrapped_key))
  }
  keys.setCurrentTerm(currentTerm)
}

type UnwrapResult = { root: Uint8Array; method: 'passphrase' | 'recovery-key' }

/**
 * Checks credentials against the stored wraps, throttled. A wrong secret and a damaged wrap
 * both end in the same UnlockFailedError (promise 7): there is no password hash to compare
 * with, only the AEAD tag of the wrapped root key.
 */
export async function unwrapRoot(
  ctx: VaultContext,
  credentials: Credentials,
  origin?: AuditOrigin,
): Promise<{ meta: VaultMetaTable } & UnwrapResult> {
  const { sodium } = ctx
  const recoveryText =
    typeof credentials === 'object' && 'recoveryKey' in credentials
      ? credentials.recoveryKey
      : undefined
  // Parse before counting: a typo in a recovery key reveals nothing and should not burn an attempt.
  const recovery = recoveryText === undefined ? undefined : parseRecoveryKey(sodium, recoveryText)
  const pass =
    recovery === undefined
      ? passphraseBytes(
          typeof credentials === 'object' &&
            !(credentials instanceof Uint8Array) &&
            'passphrase' in credentials
            ? credentials.passphrase
            : (credentials as string | Uint8Array),
        )
      : undefined

  // Reserve the attempt first (see throttle.ts).
  const meta = await ctx.db
    .transaction()
    .execute(async (trx) => {
      const m = await readMeta(ctx, trx)
      if (!m) throw new VaultError('ERR_VAULT_UNINITIALIZED', 'The vault has not been created yet')
      const now = ctx.now()
      if (m.unlock_blocked_until && new Date(m.unlock_blocked_until) > now)
        throw new UnlockThrottledError(new Date(m.unlock_blocked_until))
      const attempt = m.failed_unlocks + 1
      await trx
        .updateTable('vault_meta')
        .set({
          failed_unlocks: attempt,
          unlock_blocked_until: blockedUntilAfter(attempt, now)?.toISOString() ?? null,
        })
        .where('id', '=', 1)
        .execute()
      return m
    })
    .catch((err: unknown) => {
      if (pass) sodium.memzero(pass)
      if (recovery) sodium.memzero(recovery)
      if (err instanceof UnlockThrottledError)
        ctx.emit({ type: 'vault.unlock_failed', throttled: true })
      throw err
    })

  let root: Uint8Array | undefined
  try {
    if (recovery) {
      root = open(
        sodium,
        recovery,
        recoveryPlace(meta.vault_id),
        toBytes(meta.wrapped_root_recovery),
      )
    } else if (pass) {
      const parsed = KdfParamsSchema.safeParse(JSON.parse(meta.kdf_params))
      if (!parsed.success) throw new IntegrityError()
      const kek = await deriveKek(sodium, pass, parsed.data)
      try {
        root = open(
          sodium,
          kek,
          passphrasePlace(meta.vault_id, parsed.data),
          toBytes(meta.wrapped_root_passphrase),
        )
      } finally {
        sodium.memzero(kek)
      }
    }
    if (root?.length !== 32) throw new IntegrityError()
  } catch (err) {
    if (err instanceof VaultError && err.code === 'ERR_CRYPTO_UNAVAILABLE') throw err
    await ctx.db.transaction().execute((trx) =>
      ctx.audit.appendInTransaction(trx, [
        {
          action: 'vault.unlock_failed',
          actor: 'owner',
          outcome: 'refused',
          detail: recovery ? 'recovery-key' : 'passphrase',
          ...(origin ? { origin } : {}),
        },
      ]),
    )
    ctx.emit({ type: 'vault.unlock_failed', throttled: false })
    throw new UnlockFailedError()
  } finally {
    if (pass) sodium.memzero(pass)
    if (recovery) sodium.memzero(recovery)
  }
  return { meta, root, method: recovery ? 'recovery-key' : 'passphrase' }
}

/**
 * Wraps the root key under a new passphrase and returns the `vault_meta` columns to store.
 * Only the wrap changes: no record is touched (promise 9). Argon2 runs here, before any
 * transaction opens, so the database is never held for the length of a key derivation.
 */
export async function passphraseWrap(
  ctx: VaultContext,
  keys: UnsealedKeys,
  newPassphrase: string | Uint8Array,
  preset: KdfPreset,
): Promise<
  Pick<
    VaultMetaTable,
    'kdf_params' | 'wrapped_root_passphrase' | 'failed_unlocks' | 'unlock_blocked_until'
  >
> {
  const { sodium } = ctx
  const pass = await checkNewPassphrase(newPassphrase)
  const params = newKdfParams(sodium, preset)
  const kek = await deriveKek(sodium, pass, params)
  sodium.memzero(pass)
  const wrapped = seal(
    sodium,
    kek,
    ROOT_WRAP_TERM,
    passphrasePlace(keys.vaultId, params),
    keys.root,
  )
  sodium.memzero(kek)
  return {
    kdf_params: JSON.stringify(params),
    wrapped_root_passphrase: wrapped,
    failed_unlocks: 0,
    unlock_blocked_until: null,
  }
}

export const KdfPresetSchema = z.enum(['interactive', 'moderate', 'sensitive'])

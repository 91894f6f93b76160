import { AuditOrigin } from '../audit/audit-entry.js'
import type { VaultContext } from '../context.js'
import type { KdfPreset } from '../crypto/kdf.js'
import type { VaultMetaTable } from '../db/schema.js'
import { VaultError } from '../errors.js'
import type { ExternalRows } from '../integrity/external-rows.js'
import { adoptLegacyRows } from '../integrity/adopt-rows.js'
import type { OwnerActionOptions, Vault } from '../vault.js'
import type { KeyCustody } from './key-custody.js'
import {
  assertNewPassphrase,
  createKeys,
  loadKeyring,
  passphraseWrap,
  unwrapRoot,
} from './lifecycle.js'
import { UnsealedKeys } from './unsealed-keys.js'

/** The origin an owner action records; an unknown one is caller misuse (a TypeError). */
export function originOf(options: OwnerActionOptions | undefined): AuditOrigin {
  const parsed = AuditOrigin.safeParse(options?.origin ?? 'library')
  if (!parsed.success)
    throw new TypeError(`origin must be one of ${AuditOrigin.options.join(', ')}`)
  return parsed.data
}

/** How an unseal is recorded: which entry, by which secret, from where, and which `vault_meta` columns change with it. */
export interface UnsealRecord {
  readonly method: 'passphrase' | 'recovery-key'
  readonly action?: 'vault.unlocked' | 'vault.recovered' | 'vault.restored'
  readonly origin?: AuditOrigin
  readonly meta?: Partial<Pick<VaultMetaTable, 'kdf_params' | 'wrapped_root_passphrase'>>
}

export interface OwnerKeyDependencies {
  readonly ctx: VaultContext
  readonly custody: KeyCustody
  /** The application's rows, adopted with the vault's own at the first unlock after the upgrade to row authentication. */
  readonly externalRows: ExternalRows
  /** Argon2id cost of passphrases set from now on. */
  readonly preset: KdfPreset
}

/** The owner's key operations of the {@link Vault}, and the unseal a restore ends with. */
export interface OwnerKeyActions {
  readonly actions: Pick<
    Vault,
    'initialize' | 'unlock' | 'verifyOwner' | 'changePassphrase' | 'recover' | 'resetPassphrase'
  >
  /** Unseals with a root key already unwrapped (and takes it over: it is wiped with the keys). */
  unseal(
    vaultId: string,
    root: Uint8Array,
    currentTerm: number,
    record: UnsealRecord,
  ): Promise<void>
}

/**
 * The owner's operations on the keys — create, unlock, prove, change, recover, reset — over the
 * key hierarchy (keys/lifecycle.ts) and the keys in custody (keys/key-custody.ts). Every secret
 * is checked by unwrapping the root key, throttled before Argon2 runs (SECURITY.md promises 7–9).
 */
export function ownerKeyActions({
  ctx,
  custody,
  externalRows,
  preset,
}: OwnerKeyDependencies): OwnerKeyActions {
  const { sodium, audit, emit } = ctx

  /** Installs the unwrapped keys and records the unlock (and seals the failed-unlock tail) in one transaction. */
  const unseal = async (
    vaultId: string,
    root: Uint8Array,
    currentTerm: number,
    record: UnsealRecord,
  ): Promise<void> => {
    const { method, action = 'vault.unlocked', origin = 'library', meta = {} } = record
    const fresh = new UnsealedKeys(sodium, vaultId, root, currentTerm)
    try {
      await loadKeyring(ctx, fresh, currentTerm)
    } catch (err) {
      fresh.wipe()
      throw err
    }
    await custody.unseal(fresh, () =>
      ctx.db.transaction().execute(async (trx) => {
        await trx
          .updateTable('vault_meta')
          .set({ failed_unlocks: 0, unlock_blocked_until: null, ...meta })
          .where('id', '=', 1)
          .execute()
        await audit.sealTail(trx, fresh)
        // A vault from before row authentication has its rows authenticated now (integrity/adopt-rows.ts).
        await adoptLegacyRows(ctx, trx, (t) => externalRows.adopt(t))
        await audit.appendInTransaction(trx, [{ action, actor: 'owner', detail: method, origin }])
      }),
    )
    emit({ type: 'vault.unlocked', vaultId, method })
  }

  const actions: OwnerKeyActions['actions'] = {
    async initialize(passphrase) {
      // The first entry commits with the vault itself: a vault whose log is empty is a wiped log.
      let installed: UnsealedKeys | undefined
      let created: Awaited<ReturnType<typeof createKeys>>
      try {
        created = await createKeys(ctx, passphrase, preset, async (trx, fresh) => {
          installed = fresh
          await custody.unseal(fresh, async () => {
            await audit.appendInTransaction(trx, [{ action: 'vault.created', actor: 'owner' }])
          })
        })
      } catch (err) {
        if (installed) custody.abandon(installed)
        throw err
      }
      emit({ type: 'vault.created', vaultId: created.keys.vaultId })
      return { recoveryKey: created.recoveryKey, vaultId: created.keys.vaultId }
    },

    unlock(credentials, opts) {
      return custody.oneUnlockAtATime(async () => {
        const origin = originOf(opts)
        const { meta, root, method } = await unwrapRoot(ctx, credentials, origin)
        const found = custody.isUnsealed
        if (found) {
          sodium.memzero(root)
          // The secret was right: release the attempt unwrapRoot reserved, as a successful unseal
          // does, or racing unlocks would count against the owner (SECURITY.md 8).
          await ctx.db
            .updateTable('vault_meta')
            .set({ failed_unlocks: 0, unlock_blocked_until: null })
            .where('id', '=', 1)
            .execute()
        } else await unseal(meta.vault_id, root, meta.current_term, { method, origin })
        if (method === 'recovery-key') custody.recoveryProved()
        return found ? 'already-unsealed' : 'unlocked'
      })
    },

    async verifyOwner(credentials, opts) {
      const origin = originOf(opts)
      const { root, method } = await unwrapRoot(ctx, credentials, origin)
      sodium.memzero(root)
      await ctx.db.transaction().execute(async (trx) => {
        await trx
          .updateTable('vault_meta')
          .set({ failed_unlocks: 0, unlock_blocked_until: null })
          .where('id', '=', 1)
          .execute()
        await audit.appendInTransaction(trx, [
          { action: 'owner.authenticated', actor: 'owner', detail: method, origin },
        ])
      })
      if (method === 'recovery-key') custody.recoveryProved()
    },

    async changePassphrase(current, next) {
      const k = custody.require()
      await assertNewPassphrase(next)
      // Proving the current passphrase keeps a walk-up attacker at an unlocked session from taking over.
      const { root } = await unwrapRoot(
        ctx,
        typeof current === 'string' || current instanceof Uint8Array
          ? { passphrase: current }
          : current,
      )
      sodium.memzero(root)
      const columns = await passphraseWrap(ctx, k, next, preset)
      await ctx.db.transaction().execute(async (trx) => {
        await trx.updateTable('vault_meta').set(columns).where('id', '=', 1).execute()
        await audit.appendInTransaction(trx, [
          { action: 'vault.passphrase_changed', actor: 'owner' },
        ])
      })
      emit({ type: 'vault.passphrase_changed' })
    },

    async recover(recoveryKey, newPassphrase, opts) {
      const origin = originOf(opts)
      await assertNewPassphrase(newPassphrase)
      const { meta, root } = await unwrapRoot(ctx, { recoveryKey }, origin)
      const temp = new UnsealedKeys(sodium, meta.vault_id, new Uint8Array(root), meta.current_term)
      let columns: Awaited<ReturnType<typeof passphraseWrap>>
      try {
        columns = await passphraseWrap(ctx, temp, newPassphrase, preset)
      } catch (err) {
        temp.wipe()
        sodium.memzero(root)
        throw err
      }
      temp.wipe()
      const changed = {
        kdf_params: columns.kdf_params,
        wrapped_root_passphrase: columns.wrapped_root_passphrase,
      }
      await unseal(meta.vault_id, root, meta.current_term, {
        method: 'recovery-key',
        action: 'vault.recovered',
        origin,
        meta: changed,
      })
      emit({ type: 'vault.passphrase_changed' })
    },

    async resetPassphrase(next, opts) {
      const origin = originOf(opts)
      const k = custody.require()
      await assertNewPassphrase(next)
      if (!custody.spendRecoveryProof())
        throw new VaultError('ERR_RECOVERY_REQUIRED', 'Prove the recovery key again first')
      const columns = await passphraseWrap(ctx, k, next, preset)
      await ctx.db.transaction().execute(async (trx) => {
        await trx.updateTable('vault_meta').set(columns).where('id', '=', 1).execute()
        await audit.appendInTransaction(trx, [
          { action: 'vault.passphrase_changed', actor: 'owner', detail: 'recovery-key', origin },
        ])
      })
      emit({ type: 'vault.passphrase_changed' })
    },
  }

  return { actions, unseal }
}

import type { Kysely, Transaction } from 'kysely'
import type { VaultContext } from '../context.js'
import type { VaultDatabase } from '../db/schema.js'
import { toBytes } from '../crypto/bytes.js'
import { type Place, envelopeTerm, open, seal } from '../crypto/envelope.js'
import { fieldPlace } from '../fields/field-store.js'
import { checkGrantRow, grantPlace } from '../grants/grant-store.js'
import { checkVendorRow, vendorPlace } from '../grants/vendor-store.js'
import { consentEventPlace } from '../grants/consent-history.js'
import { messagePlace, threadPlace } from '../conversations/thread-rows.js'
import { intentPlace, offerPlace } from '../intents/intent-rows.js'
import { authenticated } from '../integrity/row-auth.js'
import { writeTerm } from './write-term.js'
import { purchasePlace } from '../purchases/purchase-query.js'
import { VaultError } from '../errors.js'
import type { UnsealedKeys } from './unsealed-keys.js'
import { wrapTermKey } from './unsealed-keys.js'

/** Progress of a key rotation, reported after every batch. */
export interface RotationProgress {
  readonly term: number
  readonly done: number
  readonly total: number
}

export interface RotateKeysOptions {
  readonly onProgress?: (progress: RotationProgress) => void
  /** Records re-encrypted per transaction (default 500). */
  readonly batchSize?: number
}

export interface RotationResult {
  readonly term: number
  readonly reencrypted: number
  readonly retiredTerms: number[]
}

/** Every encrypted column, with how to find its rows and rebuild each row's place. */
const ENCRYPTED = [
  { table: 'fields', key: 'path', column: 'value', place: fieldPlace },
  { table: 'purchases', key: 'id', column: 'body', place: purchasePlace },
  { table: 'vendors', key: 'id', column: 'body', place: vendorPlace },
  { table: 'grants', key: 'id', column: 'body', place: grantPlace },
  { table: 'consent_events', key: 'id', column: 'body', place: consentEventPlace },
  { table: 'conversation_threads', key: 'id', column: 'body', place: threadPlace },
  { table: 'conversation_messages', key: 'id', column: 'body', place: messagePlace },
  { table: 'intents', key: 'id', column: 'body', place: intentPlace },
  { table: 'intent_offers', key: 'id', column: 'body', place: offerPlace },
] as const satisfies readonly {
  table: string
  key: string
  column: string
  place: (vaultId: string, id: string) => Place
}[]

async function countOlder(
  db: Kysely<VaultDatabase> | Transaction<VaultDatabase>,
  term: number,
): Promise<number> {
  let total = 0
  for (const t of ENCRYPTED) {
    const row = await db
      .selectFrom(t.table)
      .select((eb) => eb.fn.countAll<number | string>().as('n'))
      .where('term', '<', term)
      .executeTakeFirstOrThrow()
    total += Number(row.n)
  }
  return total
}

/**
 * The new MAC of a grant or vendor row whose body is re-encrypted, after checking the stored row:
 * a rotation must never vouch for a row someone edited. Undefined when the row changed since the
 * batch was read (the guarded update then skips it, and the next pass picks it up).
 */
async function remac(
  ctx: VaultContext,
  trx: Transaction<VaultDatabase>,
  table: 'grants' | 'vendors',
  id: string,
  term: number,
  body: Uint8Array,
  target: number,
  epoch: number,
): Promise<Uint8Array | undefined> {
  if (table === 'grants') {
    const stored = await trx
      .selectFrom('grants')
      .selectAll()
      .where('id', '=', id)
      .where('term', '=', term)
      .executeTakeFirst()
    if (!stored) return undefined
    checkGrantRow(ctx, stored, epoch)
    return ctx.rows.mac('grants', authenticated.grants({ ...stored, body, term: target }, epoch))
  }
  const stored = await trx
    .selectFrom('vendors')
    .selectAll()
    .where('id', '=', id)
    .where('term', '=', term)
    .executeTakeFirst()
  if (!stored) return undefined
  checkVendorRow(ctx, stored, epoch)
  return ctx.rows.mac('vendors', authenticated.vendors({ ...stored, body, term: target }, epoch))
}

/**
 * Key rotation (SECURITY.md promise 10): adds a data key ("term"), makes it current so new writes
 * use it at once, re-encrypts every older record in batches — each batch its own transaction,
 * each update guarded by the old term so a concurrent write is never overwritten — and retires
 * (crypto-erases) old terms only when no record uses them any more.
 *
 * Online and resumable: the target term is stored before any record moves, so a crash at any
 * point leaves every record readable under a term still in the keyring, and calling this again
 * continues the same rotation instead of starting another.
 */
export async function rotateKeys(
  ctx: VaultContext,
  keys: UnsealedKeys,
  options: RotateKeysOptions = {},
): Promise<RotationResult> {
  const { sodium } = ctx
  const batchSize = options.batchSize ?? 500
  if (!Number.isInteger(batchSize) || batchSize < 1 || batchSize > 10_000)
    throw new TypeError('batchSize must be an integer from 1 to 10000')

  const target = await ctx.db.transaction().execute(async (trx) => {
    const meta = await trx
      .selectFrom('vault_meta')
      .select(['rotation_target'])
      .where('id', '=', 1)
      .$if(ctx.engine === 'postgres', (q) => q.forUpdate())
      .executeTakeFirstOrThrow()
    if (meta.rotation_target !== null) return meta.rotation_target
    const max = await trx
      .selectFrom('keyring')
      .select((eb) => eb.fn.max<number>('term').as('term'))
      .executeTakeFirstOrThrow()
    const term = Number(max.term) + 1
    const key = sodium.crypto_aead_xchacha20poly1305_ietf_keygen()
    const now = ctx.now().toISOString()
    await trx
      .insertInto('keyring')
      .values({
        term,
        wrapped_key: wrapTermKey(sodium, keys.root, keys.vaultId, term, key),
        created_at: now,
        retired_at: null,
      })
      .execute()
    await trx
      .updateTable('vault_meta')
      .set({ current_term: term, rotation_target: term })
      .where('id', '=', 1)
      .execute()
    await ctx.audit.appendInTransaction(trx, [
      { action: 'keys.rotation_started', actor: 'owner', detail: `term-${term}` },
    ])
    sodium.memzero(key)
    return term
  })
  // Load the new term from the keyring, whether this call or a crashed earlier one created it.
  const wrapped = await ctx.db
    .selectFrom('keyring')
    .select('wrapped_key')
    .where('term', '=', target)
    .executeTakeFirstOrThrow()
  if (!wrapped.wrapped_key)
    throw new VaultError('ERR_INTEGRITY', 'Stored data failed its integrity check')
  if (!keys.hasTerm(target)) keys.addWrappedTerm(target, toBytes(wrapped.wrapped_key))
  keys.setCurrentTerm(target)
  const newKey = keys.termKey(target)

  const total = await countOlder(ctx.db, target)
  let done = 0
  options.onProgress?.({ term: target, done, total })
  for (const t of ENCRYPTED) {
    for (;;) {
      const rows = (await ctx.db
        .selectFrom(t.table)
        .select([`${t.key} as id`, `${t.column} as blob`, 'term'] as never)
        .where('term', '<', target)
        .orderBy(t.key as never)
        .limit(batchSize)
        .execute()) as unknown as { id: string; blob: Uint8Array; term: number }[]
      if (rows.length === 0) break
      await ctx.db.transaction().execute(async (trx) => {
        // Grant and vendor rows are MAC'd over their ciphertext under the ledger epoch: read it
        // under the lock that keeps an epoch advance out until this batch commits.
        const { epoch } = await writeTerm(ctx, trx)
        for (const row of rows) {
          const envelope = toBytes(row.blob)
          const place = t.place(keys.vaultId, row.id)
          const plain = open(sodium, keys.termKey(envelopeTerm(envelope)), place, envelope)
          const fresh = seal(sodium, newKey, target, place, plain)
          sodium.memzero(plain)
          const rowMac =
            t.table === 'grants' || t.table === 'vendors'
              ? await remac(ctx, trx, t.table, row.id, row.term, fresh, target, epoch)
              : undefined
          await trx
            .updateTable(t.table)
            .set({
              [t.column]: fresh,
              term: target,
              ...(rowMac ? { row_mac: rowMac } : {}),
            } as never)
            .where(t.key as never, '=', row.id as never)
            .where('term', '=', row.term as never)
            .execute()
        }
      })
      done += rows.length
      options.onProgress?.({ term: target, done, total: Math.max(total, done) })
      ctx.emit({ type: 'keys.rotation_progress', term: target, done, total: Math.max(total, done) })
    }
  }

  const retired = await ctx.db.transaction().execute(async (trx) => {
    const left = await countOlder(trx, target)
    if (left > 0)
      throw new VaultError(
        'ERR_CONFLICT',
        'Records were written under an old key during rotation; run the rotation again',
      )
    const old = await trx
      .selectFrom('keyring')
      .select('term')
      .where('term', '<', target)
      .where('retired_at', 'is', null)
      .execute()
    const now = ctx.now().toISOString()
    await trx
      .updateTable('keyring')
      .set({ wrapped_key: null, retired_at: now })
      .where('term', '<', target)
      .where('retired_at', 'is', null)
      .execute()
    await trx.updateTable('vault_meta').set({ rotation_target: null }).where('id', '=', 1).execute()
    await ctx.audit.appendInTransaction(trx, [
      { action: 'keys.rotated', actor: 'owner', detail: `term-${target}` },
    ])
    return old.map((r) => r.term)
  })
  for (const term of retired) keys.dropTerm(term)
  ctx.emit({ type: 'keys.rotated', term: target, retiredTerms: retired })
  return { term: target, reencrypted: done, retiredTerms: retired }
}

import type { VaultContext } from '../context.js'
import { sealJson } from '../crypto/envelope.js'
import { VaultError } from '../errors.js'
import { fieldPlace, validateField } from '../fields/field-store.js'
import { assertSelectors } from '../fields/selectors.js'
import { grantPlace } from '../grants/grant-store.js'
import { vendorPlace } from '../grants/vendor-store.js'
import { dropExpirySignal, scheduleExpirySignals } from '../signals/signal-outbox.js'
import type { GrantsTable } from '../db/schema.js'
import { purchaseRow } from '../purchases/purchase-store.js'
import { authenticated } from '../integrity/row-auth.js'
import { writeTerm } from '../keys/write-term.js'
import type { AuditReader } from '../audit/audit-reader.js'
import type { Conversations } from '../conversations/conversation-store.js'
import type { FieldStore } from '../fields/field-store.js'
import type { GrantStore } from '../grants/grant-store.js'
import type { IntentStore } from '../intents/intent-store.js'
import type { VendorStore } from '../grants/vendor-store.js'
import type { Purchase } from '../purchases/order.js'
import type { AuditEntry } from '../audit/audit-entry.js'
import { type VaultExport, VaultExport as VaultExportSchema } from './export-json.js'
import { issuesFromZod } from '../errors.js'
import { PURCHASE_COLUMNS, decryptPurchase } from '../purchases/purchase-query.js'

interface Stores {
  readonly conversations: Conversations
  readonly fields: FieldStore
  readonly vendors: VendorStore
  readonly grants: GrantStore
  readonly audit: AuditReader
  readonly intents: IntentStore
}

/** Every thread with its messages, each verified on the way out (a thread that does not verify fails the export). */
async function exportThreads(conversations: Conversations): Promise<VaultExport['conversations']> {
  const out: NonNullable<VaultExport['conversations']> = []
  for (const summary of await conversations.list({ limit: 100_000 })) {
    const t = await conversations.read(summary.id, { markRead: false })
    out.push({
      id: t.id,
      vendorId: t.vendorId,
      openedBy: t.openedBy,
      topic: t.topic,
      subject: t.subject,
      ...(t.purchaseId !== undefined ? { purchaseId: t.purchaseId } : {}),
      ...(t.grantId !== undefined ? { grantId: t.grantId } : {}),
      state: t.state,
      status: t.status,
      createdAt: t.createdAt,
      messages: t.items.map((m) => ({
        seq: m.seq,
        author: m.author,
        at: m.at,
        text: m.text,
        entry: m.entry,
        hash: m.hash,
        jws: m.jws,
      })),
    })
  }
  return out
}

/** Builds the portable export: every value decrypted, nothing left out. */
export async function exportVault(ctx: VaultContext, stores: Stores): Promise<VaultExport> {
  const keys = ctx.keys()
  const fields = Object.fromEntries((await stores.fields.list()).map((f) => [f.path, f.value]))
  const purchaseRows = await ctx.db
    .selectFrom('purchases')
    .select(PURCHASE_COLUMNS)
    .orderBy('order_date', 'desc')
    .orderBy('id', 'desc')
    .execute()
  const purchases: Purchase[] = purchaseRows.map((row) => decryptPurchase(ctx, row))
  const audit: AuditEntry[] = []
  for (let before: number | undefined; ; ) {
    const page = await stores.audit.list({ limit: 1000, ...(before ? { before } : {}) })
    audit.push(...page)
    if (page.length < 1000) break
    before = page[page.length - 1]?.seq
  }
  audit.reverse()
  const doc: VaultExport = {
    format: 'custos-export',
    version: 1,
    exportedAt: ctx.now().toISOString(),
    vaultId: keys.vaultId,
    fields,
    purchases: purchases.map((p) => ({ ...p })),
    vendors: await stores.vendors.list(),
    grants: (await stores.grants.list()).map((g) => ({ ...g })),
    audit,
    conversations: await exportThreads(stores.conversations),
    intents: await exportIntents(stores.intents),
  }
  await ctx.db
    .transaction()
    .execute((trx) =>
      ctx.audit.appendInTransaction(trx, [{ action: 'vault.exported', actor: 'owner' }]),
    )
  return doc
}

async function exportIntents(store: IntentStore): Promise<VaultExport['intents']> {
  const out: VaultExport['intents'] = []
  for (const { openOffers: _n, ...intent } of await store.list()) {
    const offers = (await store.offers(intent.id)).map(({ intentId: _i, ...o }) => o)
    out.push({ ...intent, offers })
  }
  return out
}

/** What an import did. */
export interface ImportResult {
  readonly fields: number
  readonly purchases: number
  readonly vendors: number
  readonly grants: number
}

/**
 * Imports a `custos-export` document: the whole document is validated (every field against the
 * vocabulary, every purchase, vendor and grant) before one transaction writes it, so a bad
 * document changes nothing. Records keep their ids; `replace` first empties fields, purchases,
 * vendors and grants, `merge` (the default) overwrites records with the same id or path.
 * The audit entries of the exported vault are not replayed: this vault's chain cannot vouch
 * for another's. The import itself is audited.
 */
export async function importVault(
  ctx: VaultContext,
  doc: unknown,
  mode: 'merge' | 'replace',
): Promise<ImportResult> {
  const keys = ctx.keys()
  const parsed = VaultExportSchema.safeParse(doc)
  if (!parsed.success) {
    throw new VaultError('ERR_IMPORT_INVALID', 'Not a valid custos-export document', {
      issues: issuesFromZod(parsed.error.issues.slice(0, 50)),
    })
  }
  const data = parsed.data
  const invalid = (path: string, message: string) =>
    new VaultError('ERR_IMPORT_INVALID', 'Not a valid custos-export document', {
      issues: [{ path, message }],
    })
  const { sodium } = ctx
  const now = ctx.now().toISOString()
  // Validate everything first; encrypt inside the transaction, under the term it reads.
  const fields = Object.entries(data.fields).map(([path, value]) => {
    try {
      return [path, validateField(path, value)] as const
    } catch (err) {
      throw new VaultError('ERR_IMPORT_INVALID', 'Not a valid custos-export document', {
        issues: err instanceof VaultError ? err.issues : [],
        cause: err,
      })
    }
  })
  const vendorIds = new Set(data.vendors.map((v) => v.id))
  data.purchases.forEach((p, i) => {
    if (p.vendorId !== undefined && !vendorIds.has(p.vendorId))
      throw invalid(`purchases.${i}.vendorId`, 'unknown vendor')
  })
  data.grants.forEach((g, i) => {
    if (!vendorIds.has(g.vendorId)) throw invalid(`grants.${i}.vendorId`, 'unknown vendor')
    try {
      assertSelectors(g.fields)
    } catch {
      throw invalid(`grants.${i}.fields`, 'unknown field path or subtree')
    }
  })
  const rowsUnder = ({ term, key, epoch }: { term: number; key: Uint8Array; epoch: number }) => ({
    fieldRows: fields.map(([path, value]) => ({
      path,
      value: sealJson(sodium, key, term, fieldPlace(keys.vaultId, path), value),
      term,
      updated_at: now,
    })),
    vendorRows: data.vendors.map((v) => {
      const { id, blocked, createdAt, ...body } = v
      const row = {
        id,
        body: sealJson(sodium, key, term, vendorPlace(keys.vaultId, id), body),
        blocked: blocked ? 1 : 0,
        term,
        created_at: createdAt,
      }
      return { ...row, row_mac: ctx.rows.mac('vendors', authenticated.vendors(row, epoch)) }
    }),
    purchaseRows: data.purchases.map((p) => {
      const { id, provenance, status, vendorId, createdAt, importSource, ...order } = p
      return purchaseRow(
        ctx,
        id,
        order,
        { provenance, status, vendorId, createdAt, importSource },
        { term, key },
      )
    }),
    grantRows: data.grants.map((g): GrantsTable => {
      const body = {
        fields: g.fields,
        ...(g.purchases ? { purchases: g.purchases } : {}),
        actions: g.actions,
        purpose: g.purpose,
        purposes: g.purposes,
        acceptedTerms: g.acceptedTerms,
        accessMode: g.accessMode,
      }
      const row = {
        id: g.id,
        vendor_id: g.vendorId,
        status: g.status === 'revoked' || g.status === 'consumed' ? g.status : ('active' as const),
        expires_at: new Date(g.expiresAt).toISOString(),
        revision: g.revision,
        body: sealJson(sodium, key, term, grantPlace(keys.vaultId, g.id), body),
        term,
        created_at: g.createdAt,
        updated_at: g.updatedAt,
      }
      return { ...row, row_mac: ctx.rows.mac('grants', authenticated.grants(row, epoch)) }
    }),
  })
  const { fieldRows, purchaseRows, vendorRows, grantRows } = await ctx.db
    .transaction()
    .execute(async (trx) => {
      const rows = rowsUnder(await writeTerm(ctx, trx))
      const { fieldRows, vendorRows, purchaseRows, grantRows } = rows
      if (mode === 'replace') {
        for (const table of ['purchases', 'grants', 'vendors', 'fields'] as const)
          await trx.deleteFrom(table).execute()
      }
      // Delete-then-insert rather than ON CONFLICT: one portable statement pair per record, both engines.
      for (const row of vendorRows) {
        await trx.deleteFrom('vendors').where('id', '=', row.id).execute()
        await trx.insertInto('vendors').values(row).execute()
      }
      for (const row of grantRows) {
        await trx.deleteFrom('grants').where('id', '=', row.id).execute()
        await trx.insertInto('grants').values(row).execute()
      }
      for (const row of fieldRows) {
        await trx.deleteFrom('fields').where('path', '=', row.path).execute()
        await trx.insertInto('fields').values(row).execute()
      }
      for (const row of purchaseRows) {
        await trx.deleteFrom('purchases').where('id', '=', row.id).execute()
        await trx.insertInto('purchases').values(row).execute()
      }
      // An imported grant's vendor hears of its expiry like any other's.
      for (const row of grantRows) await dropExpirySignal(trx, row.id)
      for (let i = 0; i < grantRows.length; i += 500)
        await scheduleExpirySignals(
          ctx,
          trx,
          grantRows.slice(i, i + 500).map((g) => g.id),
        )
      await ctx.audit.appendInTransaction(trx, [
        { action: 'vault.imported', actor: 'owner', detail: mode },
      ])
      return rows
    })
  ctx.emit({ type: 'vault.imported', fields: fieldRows.length, purchases: purchaseRows.length })
  return {
    fields: fieldRows.length,
    purchases: purchaseRows.length,
    vendors: vendorRows.length,
    grants: grantRows.length,
  }
}

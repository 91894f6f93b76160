import type { Transaction } from 'kysely'
import { z } from 'zod'
import { type VaultContext, newId } from '../context.js'
import { toBytes } from '../crypto/bytes.js'
import { type Place, envelopeTerm, openJson, sealJson } from '../crypto/envelope.js'
import type { ConsentEventsTable, VaultDatabase } from '../db/schema.js'
import { ValidationError, issuesFromZod } from '../errors.js'
import { authenticated } from '../integrity/row-auth.js'
import { enqueueSignals } from '../signals/signal-outbox.js'
import { type Grant, GrantAction, GrantBody, PurchaseSlice } from './grant.js'
import { assertVendorId } from './vendor-attempt.js'

/**
 * A grant's consent history (issue 12, part 3: "a receipt for every grant, narrowing, expiry,
 * revocation and denial", which "the vendor can fetch, all of its own"). A grant row holds only
 * its current state — a narrowing overwrites what was granted before — so each consent event is
 * also kept here, written in the transaction of the change itself: what the grant said right
 * after it was given, narrowed or withdrawn, and each request the owner (or her standing rules)
 * refused. Receipts of any event can then be signed at any time from the same facts (the consent
 * API's receipts/), identically each time.
 *
 * Expiry writes nothing — it happens at `expiresAt` — so it is read off the grant as it stands,
 * as is a single-use grant's one read (its row's status and time say when it was used).
 * Grants made before this history existed have no stored event: their current state stands in.
 *
 * Barrier (SECURITY.md): the row MAC covers what the event says in plaintext (which grant, which
 * kind, which revision, when); the snapshot is sealed and bound to its row by its envelope. Someone
 * who can write the database can delete an event (the hash-chained log still records it) but not
 * forge, edit or move one.
 */
export const ConsentEventKind = z.enum([
  'given',
  'narrowed',
  'withdrawn',
  'expired',
  /** A single-use grant ended by its one read (grants/grant-consumption.ts). */
  'consumed',
  'refused',
])
export type ConsentEventKind = z.infer<typeof ConsentEventKind>

/** Why a request was refused: the owner said no, or one of her standing rules did. */
export const RefusalReason = z.enum([
  'ERR_OWNER_DENIED',
  'ERR_PURPOSE_REFUSED',
  'ERR_TERMS_REQUIRED',
  'ERR_TERMS_NOT_COVERED',
])
export type RefusalReason = z.infer<typeof RefusalReason>

/** What a refused request asked for (the consent API's stored request, reduced to its access). */
export const RefusedRequest = z
  .object({
    fields: z.array(z.string().min(1).max(200)).max(200).default([]),
    purchases: PurchaseSlice.optional(),
    actions: z.array(GrantAction).max(8).default([]),
    purpose: z.string().max(500),
    purposes: z.array(z.string().min(1).max(200)).max(20).default([]),
    durationSeconds: z.number().int().positive().optional(),
  })
  .strip()
export type RefusedRequest = z.output<typeof RefusedRequest>

/** A refusal to record (`vault.grants.deny`, and the access policy's request refusals). */
export const ConsentRefusalInput = z
  .object({
    vendorId: z.string().min(1).max(64),
    request: RefusedRequest,
    reason: RefusalReason,
    /** The requested purposes a standing rule caught (empty when the owner said no). */
    refused: z.array(z.string().max(200)).max(10).default([]),
  })
  .strict()
export type ConsentRefusalInput = z.input<typeof ConsentRefusalInput>

/** What a grant said right after one of its events. */
export const GrantSnapshot = GrantBody.extend({
  expiresAt: z.string(),
  createdAt: z.string(),
})
export type GrantSnapshot = z.output<typeof GrantSnapshot>

const SealedEvent = z.union([
  z.object({ grant: GrantSnapshot }).strict(),
  z
    .object({
      refusal: z
        .object({ request: RefusedRequest, reason: RefusalReason, refused: z.array(z.string()) })
        .strict(),
    })
    .strict(),
])
type SealedEvent = z.output<typeof SealedEvent>

/** One consent event, as the owner and the vendor's receipts see it. */
export interface ConsentEvent {
  /** The receipt id: `<grant>.<revision>`, `….revoked` or `….expired` for a grant, or a refusal's own id. */
  readonly id: string
  readonly vendorId: string
  readonly grantId?: string
  readonly kind: ConsentEventKind
  readonly revision?: number
  /** When it happened (an expiry: the grant's `expiresAt`). */
  readonly at: string
  /** What the grant said right after the event (every kind but `refused`). */
  readonly grant?: GrantSnapshot
  /** What was asked and why it was refused (`refused`). */
  readonly refusal?: {
    readonly request: RefusedRequest
    readonly reason: RefusalReason
    readonly refused: readonly string[]
  }
}

/** Refusals kept per vendor: a vendor repeating a refused request cannot grow the history without bound. */
export const MAX_REFUSALS_PER_VENDOR = 100

export const HistoryFilter = z
  .object({
    vendorId: z.string().min(1).max(64).optional(),
    grantId: z.string().min(1).max(64).optional(),
    /** The `next` of the previous page. */
    after: z.string().max(300).optional(),
    limit: z.number().int().min(1).max(200).default(50),
  })
  .strict()
export type HistoryFilter = z.input<typeof HistoryFilter>

export interface ConsentHistoryPage {
  /** Oldest first. */
  readonly events: readonly ConsentEvent[]
  /** Pass as `after` for the next page; absent on the last. */
  readonly next?: string
}

export function consentEventPlace(vaultId: string, id: string): Place {
  return { table: 'consent_events', column: 'body', recordId: id, vaultId }
}

/** The receipt id of a grant's event (the Kantara receipt's and the 27560 record's). */
export function grantEventId(grantId: string, revision: number, kind: ConsentEventKind): string {
  const suffix =
    kind === 'withdrawn'
      ? '.revoked'
      : kind === 'expired'
        ? '.expired'
        : kind === 'consumed'
          ? '.used'
          : ''
  return `${grantId}.${revision}${suffix}`
}

export function snapshotOf(grant: Grant): GrantSnapshot {
  return {
    fields: grant.fields,
    ...(grant.purchases ? { purchases: grant.purchases } : {}),
    actions: grant.actions,
    purpose: grant.purpose,
    purposes: grant.purposes,
    acceptedTerms: grant.acceptedTerms,
    accessMode: grant.accessMode,
    expiresAt: grant.expiresAt,
    createdAt: grant.createdAt,
  }
}

interface WriteKey {
  readonly key: Uint8Array
  readonly term: number
}

async function insertEvent(
  ctx: VaultContext,
  trx: Transaction<VaultDatabase>,
  write: WriteKey,
  row: Pick<ConsentEventsTable, 'id' | 'vendor_id' | 'grant_id' | 'kind' | 'revision' | 'at'>,
  sealed: SealedEvent,
): Promise<void> {
  const body = sealJson(
    ctx.sodium,
    write.key,
    write.term,
    consentEventPlace(ctx.keys().vaultId, row.id),
    sealed,
  )
  await trx
    .insertInto('consent_events')
    .values({
      ...row,
      body,
      term: write.term,
      row_mac: ctx.rows.mac('consent_events', authenticated.consent_events(row)),
    })
    .execute()
  // The vendor receives each receipt (issue 12, parts 3 and 4): a signal naming it.
  await enqueueSignals(ctx, trx, [
    {
      vendorId: row.vendor_id,
      ...(row.grant_id ? { grantId: row.grant_id } : {}),
      kind: 'receipt.issued',
      paths: [row.id],
    },
  ])
}

/** Records a grant's event inside the caller's transaction (the change it records commits with it). */
export function recordGrantEvent(
  ctx: VaultContext,
  trx: Transaction<VaultDatabase>,
  write: WriteKey,
  grant: Grant,
  kind: 'given' | 'narrowed' | 'withdrawn',
): Promise<void> {
  return insertEvent(
    ctx,
    trx,
    write,
    {
      id: grantEventId(grant.id, grant.revision, kind),
      vendor_id: grant.vendorId,
      grant_id: grant.id,
      kind,
      revision: grant.revision,
      at: grant.updatedAt,
    },
    { grant: snapshotOf(grant) },
  )
}

/** Records a refused request inside the caller's transaction; the vendor's oldest refusals beyond the bound go. */
export async function recordRefusal(
  ctx: VaultContext,
  trx: Transaction<VaultDatabase>,
  write: WriteKey,
  input: ConsentRefusalInput,
): Promise<string> {
  const parsed = ConsentRefusalInput.safeParse(input)
  if (!parsed.success)
    throw new ValidationError(issuesFromZod(parsed.error.issues), 'Invalid refusal')
  const r = parsed.data
  assertVendorId(r.vendorId)
  const id = newId(ctx.sodium, 'cns')
  await insertEvent(
    ctx,
    trx,
    write,
    {
      id,
      vendor_id: r.vendorId,
      grant_id: null,
      kind: 'refused',
      revision: null,
      at: ctx.now().toISOString(),
    },
    { refusal: { request: r.request, reason: r.reason, refused: r.refused } },
  )
  const kept = await trx
    .selectFrom('consent_events')
    .select(['at', 'id'])
    .where('vendor_id', '=', r.vendorId)
    .where('kind', '=', 'refused')
    .orderBy('at', 'desc')
    .orderBy('id', 'desc')
    .offset(MAX_REFUSALS_PER_VENDOR - 1)
    .limit(1)
    .executeTakeFirst()
  if (kept)
    await trx
      .deleteFrom('consent_events')
      .where('vendor_id', '=', r.vendorId)
      .where('kind', '=', 'refused')
      .where((eb) =>
        eb.or([eb('at', '<', kept.at), eb.and([eb('at', '=', kept.at), eb('id', '<', kept.id)])]),
      )
      .execute()
  return id
}

/** A stored event, checked against its MAC and opened (ERR_INTEGRITY when edited). */
export function openConsentEvent(ctx: VaultContext, row: ConsentEventsTable): ConsentEvent {
  ctx.rows.check('consent_events', authenticated.consent_events(row), row.row_mac)
  const keys = ctx.keys()
  const envelope = toBytes(row.body)
  const sealed = SealedEvent.parse(
    openJson(
      ctx.sodium,
      keys.termKey(envelopeTerm(envelope)),
      consentEventPlace(keys.vaultId, row.id),
      envelope,
    ),
  )
  return {
    id: row.id,
    vendorId: row.vendor_id,
    ...(row.grant_id !== null ? { grantId: row.grant_id } : {}),
    kind: ConsentEventKind.parse(row.kind),
    ...(row.revision !== null ? { revision: Number(row.revision) } : {}),
    at: row.at,
    ...sealed,
  }
}

/**
 * The events that stand in for what storage lacks: a grant's expiry (it writes nothing), and the
 * current state of a grant from before this history.
 */
export function derivedEvents(grant: Grant, recorded: boolean): ConsentEvent[] {
  const base = { vendorId: grant.vendorId, grantId: grant.id, revision: grant.revision }
  const events: ConsentEvent[] = []
  if (!recorded) {
    const kind =
      grant.status === 'revoked' ? 'withdrawn' : grant.revision > 1 ? 'narrowed' : 'given'
    events.push({
      ...base,
      id: grantEventId(grant.id, grant.revision, kind),
      kind,
      at: grant.updatedAt,
      grant: snapshotOf(grant),
    })
  }
  if (grant.status === 'consumed')
    events.push({
      ...base,
      id: grantEventId(grant.id, grant.revision, 'consumed'),
      kind: 'consumed',
      at: grant.updatedAt,
      grant: snapshotOf(grant),
    })
  if (grant.status === 'expired')
    events.push({
      ...base,
      id: grantEventId(grant.id, grant.revision, 'expired'),
      kind: 'expired',
      at: grant.expiresAt,
      grant: snapshotOf(grant),
    })
  return events
}

/** Orders events by time, then id, and cuts one page after the cursor. */
export function pageOf(
  events: readonly ConsentEvent[],
  after: string | undefined,
  limit: number,
): ConsentHistoryPage {
  const sorted = [...events].sort((a, b) =>
    a.at === b.at ? (a.id < b.id ? -1 : a.id > b.id ? 1 : 0) : a.at < b.at ? -1 : 1,
  )
  let start = 0
  if (after !== undefined) {
    const cursor = decodeCursor(after)
    start = sorted.findIndex((e) => e.at > cursor.at || (e.at === cursor.at && e.id > cursor.id))
    if (start === -1) start = sorted.length
  }
  const page = sorted.slice(start, start + limit)
  const last = page.at(-1)
  return {
    events: page,
    ...(start + limit < sorted.length && last ? { next: encodeCursor(last) } : {}),
  }
}

function encodeCursor(event: Pick<ConsentEvent, 'at' | 'id'>): string {
  return Buffer.from(JSON.stringify([event.at, event.id])).toString('base64url')
}

function decodeCursor(cursor: string): { at: string; id: string } {
  try {
    const value: unknown = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'))
    if (
      Array.isArray(value) &&
      value.length === 2 &&
      typeof value[0] === 'string' &&
      typeof value[1] === 'string'
    )
      return { at: value[0], id: value[1] }
  } catch {}
  throw new ValidationError([{ path: 'after', message: 'not a cursor from this history' }])
}

import type { Kysely, Selectable, Transaction } from 'kysely'
import { z } from 'zod'
import type { VaultContext } from '../context.js'
import type { AuditTable, VaultDatabase } from '../db/schema.js'
import { ValidationError, issuesFromZod } from '../errors.js'
import { equalBytes } from '../crypto/bytes.js'
import {
  type AuditEntry,
  AuditAction,
  chainHash,
  entryFromCanonical,
  entryMac,
  genesisHash,
  headMacOf,
} from './audit-entry.js'
import { HEAD_COLUMNS, headAnchored, headState } from './audit-log.js'
import { lastReadPerGrant } from './grant-reads.js'

export const AuditFilter = z
  .object({
    action: z.union([AuditAction, z.array(AuditAction)]).optional(),
    grantId: z.string().max(64).optional(),
    vendorId: z.string().max(64).optional(),
    since: z.iso.datetime().optional(),
    until: z.iso.datetime().optional(),
    /** Entries with seq below this (for paging newest first). */
    before: z.number().int().positive().optional(),
    limit: z.number().int().min(1).max(1000).default(100),
  })
  .strict()
export type AuditFilter = z.input<typeof AuditFilter>

/** The result of checking the chain: `ok`, or the first entry that is wrong and why. */
export type AuditVerification =
  | {
      ok: true
      entries: number
      headSeq: number
      /** The newest break the owner acknowledged, if any: the log is verified from that entry on. */
      acknowledged?: { seq: number; firstBadSeq: number; reason: string }
    }
  | {
      ok: false
      entries: number
      firstBadSeq: number
      reason: 'missing' | 'reordered' | 'altered' | 'unauthenticated' | 'truncated'
    }

const PAGE = 2000

/**
 * Read side of the audit log: filtered listing (newest first) and full-chain verification.
 * Both need the vault unsealed: listing because the owner's log is personal, verifying because
 * the MAC key is.
 */
export class AuditReader {
  readonly #ctx: VaultContext
  constructor(ctx: VaultContext) {
    this.#ctx = ctx
  }

  /**
   * Lists entries newest first. Filters combine with AND.
   *
   * @example
   * const reads = await vault.audit.list({ action: 'grant.read', grantId, limit: 20 })
   */
  async list(filter: AuditFilter = {}): Promise<AuditEntry[]> {
    this.#ctx.keys()
    const parsed = AuditFilter.safeParse(filter)
    if (!parsed.success) throw new ValidationError(issuesFromZod(parsed.error.issues))
    const f = parsed.data
    const actions =
      f.action === undefined ? undefined : Array.isArray(f.action) ? f.action : [f.action]
    const out: AuditEntry[] = []
    let before = f.before
    // Filters on entry contents run after parsing, so scan in pages until the limit is met.
    for (;;) {
      const rows = await this.#ctx.db
        .selectFrom('audit')
        .select(['seq', 'entry'])
        .$if(before !== undefined, (q) => q.where('seq', '<', before as number))
        .$if(f.since !== undefined, (q) =>
          q.where('at', '>=', new Date(f.since as string).toISOString()),
        )
        .$if(f.until !== undefined, (q) =>
          q.where('at', '<', new Date(f.until as string).toISOString()),
        )
        .orderBy('seq', 'desc')
        .limit(PAGE)
        .execute()
      for (const row of rows) {
        const entry = entryFromCanonical(row.entry)
        if (actions && !actions.includes(entry.action)) continue
        if (f.grantId !== undefined && entry.grantId !== f.grantId) continue
        if (f.vendorId !== undefined && entry.vendorId !== f.vendorId) continue
        out.push(entry)
        if (out.length >= f.limit) return out
      }
      if (rows.length < PAGE) return out
      before = rows[rows.length - 1]?.seq
    }
  }

  /**
   * Each grant's newest vendor read (`grant.read` entry), by grant id; grants never read are
   * absent. One indexed lookup per grant, however long the log — for "last read" beside each
   * grant or vendor, instead of scanning the log newest first. A vendor's last read is the newest
   * of its grants'.
   *
   * @example
   * const reads = await vault.audit.lastReadPerGrant(grants.map((g) => g.id))
   * const when = reads.get(grant.id)?.at ?? 'never'
   */
  async lastReadPerGrant(grantIds: readonly string[]): Promise<Map<string, AuditEntry>> {
    return lastReadPerGrant(this.#ctx, grantIds)
  }

  /**
   * Walks the whole chain and names the first bad entry: a gap in sequence numbers (deletion),
   * a broken link (reordering), a hash that does not match its contents (edit), a missing or
   * wrong MAC (forgery), or a head that does not match the last entry (the newest were cut off).
   *
   * @example
   * const result = await vault.audit.verify()
   * if (!result.ok) alert(`Audit log damaged at entry ${result.firstBadSeq} (${result.reason})`)
   */
  async verify(): Promise<AuditVerification> {
    const result = await this.#walkChain()
    // Found broken and not acknowledged: stop vendor access until the owner has looked (fail closed).
    if (!result.ok) await this.#ctx.audit.markBroken()
    return result
  }

  /**
   * Whether the chain's head is vouched for right now — one row, one MAC: cheap enough for every
   * page of the owner's app to show a banner while the log is broken. A full check is {@link verify}.
   */
  async trusted(): Promise<boolean> {
    const auditKey = this.#ctx.keys().subkey('auditMac')
    const head = await this.#ctx.db
      .selectFrom('vault_meta')
      .select(HEAD_COLUMNS)
      .where('id', '=', 1)
      .executeTakeFirst()
    return (
      head !== undefined &&
      head.audit_head_seq > 0 &&
      headAnchored(this.#ctx.sodium, auditKey, head)
    )
  }

  /**
   * The owner acknowledges a broken log: an `audit.break_acknowledged` entry naming the first bad
   * entry and why is appended, and the chain is re-anchored on it, so vendor reads work again and
   * {@link verify} checks everything from that entry on. The acknowledgement is itself an anchored
   * entry: the break stays on record. Resolves with the verification that was acknowledged, or the
   * clean one when there was nothing to acknowledge.
   *
   * @example
   * const found = await vault.audit.verify()
   * if (!found.ok && confirm(`Entry ${found.firstBadSeq} was ${found.reason}. Acknowledge?`)) await vault.audit.acknowledgeBreak()
   */
  async acknowledgeBreak(): Promise<AuditVerification> {
    const found = await this.#walkChain()
    if (found.ok) return found
    await this.#ctx.audit.drain()
    await this.#ctx.db.transaction().execute((trx) =>
      this.#ctx.audit.appendInTransaction(
        trx,
        [
          {
            action: 'audit.break_acknowledged',
            actor: 'owner',
            outcome: 'ok',
            detail: `${found.reason}@${found.firstBadSeq}`,
          },
        ],
        { reanchor: true },
      ),
    )
    this.#ctx.emit({ type: 'audit.break_acknowledged', firstBadSeq: found.firstBadSeq })
    return found
  }

  async #walkChain(): Promise<AuditVerification> {
    const { sodium, db, engine } = this.#ctx
    const auditKey = this.#ctx.keys().subkey('auditMac')
    const meta = await db
      .selectFrom('vault_meta')
      .select(['vault_id', 'row_auth_version', 'audit_anchor_seq'])
      .where('id', '=', 1)
      .executeTakeFirstOrThrow()
    const anchorSeq = Number(meta.audit_anchor_seq)
    let expectedSeq = 1
    let prev: Uint8Array = genesisHash(meta.vault_id, Number(meta.row_auth_version))
    let count = 0
    let acknowledged: { seq: number; firstBadSeq: number; reason: string } | undefined
    type Bad = Extract<AuditVerification, { ok: false }>
    /** Checks a page of rows against the chain so far; the first bad one ends the walk. */
    const walk = (rows: readonly Selectable<AuditTable>[]): Bad | undefined => {
      for (const row of rows) {
        count++
        if (row.seq !== expectedSeq)
          return { ok: false, entries: count, firstBadSeq: expectedSeq, reason: 'missing' }
        const hash = chainHash(sodium, prev, row.entry)
        let seqInEntry: unknown
        try {
          seqInEntry = (JSON.parse(row.entry) as { seq?: unknown }).seq
        } catch {
          return { ok: false, entries: count, firstBadSeq: row.seq, reason: 'altered' }
        }
        if (!equalBytes(sodium, new Uint8Array(row.prev_hash), prev)) {
          return { ok: false, entries: count, firstBadSeq: row.seq, reason: 'reordered' }
        }
        if (seqInEntry !== row.seq)
          return { ok: false, entries: count, firstBadSeq: row.seq, reason: 'reordered' }
        if (!equalBytes(sodium, hash, new Uint8Array(row.hash)))
          return { ok: false, entries: count, firstBadSeq: row.seq, reason: 'altered' }
        if (
          !row.mac ||
          !equalBytes(sodium, entryMac(sodium, auditKey, hash), new Uint8Array(row.mac))
        ) {
          return { ok: false, entries: count, firstBadSeq: row.seq, reason: 'unauthenticated' }
        }
        prev = hash
        expectedSeq++
      }
      return undefined
    }
    /**
     * A break before the acknowledged anchor is on record: the walk resumes at the acknowledging
     * entry, which vouches for itself (its MAC covers its hash, its hash its link and contents).
     */
    const resumeAtAnchor = async (
      q: Kysely<VaultDatabase> | Transaction<VaultDatabase>,
      bad: Bad,
    ): Promise<boolean> => {
      if (acknowledged || anchorSeq <= bad.firstBadSeq) return false
      const row = await q
        .selectFrom('audit')
        .selectAll()
        .where('seq', '=', anchorSeq)
        .executeTakeFirst()
      if (!row) return false
      const hash = chainHash(sodium, new Uint8Array(row.prev_hash), row.entry)
      let entry: AuditEntry
      try {
        entry = entryFromCanonical(row.entry)
      } catch {
        return false
      }
      if (
        entry.action !== 'audit.break_acknowledged' ||
        entry.seq !== anchorSeq ||
        !equalBytes(sodium, hash, new Uint8Array(row.hash))
      )
        return false
      if (
        !row.mac ||
        !equalBytes(sodium, entryMac(sodium, auditKey, hash), new Uint8Array(row.mac))
      )
        return false
      acknowledged = { seq: anchorSeq, firstBadSeq: bad.firstBadSeq, reason: bad.reason }
      prev = hash
      expectedSeq = anchorSeq + 1
      count = anchorSeq
      return true
    }
    /** Walks every page from the next expected entry to the last one `q` can see. */
    const walkRest = async (
      q: Kysely<VaultDatabase> | Transaction<VaultDatabase>,
    ): Promise<Bad | undefined> => {
      for (;;) {
        const rows = await q
          .selectFrom('audit')
          .selectAll()
          .where('seq', '>=', expectedSeq)
          .orderBy('seq')
          .limit(PAGE)
          .execute()
        const bad = walk(rows)
        if (bad && (await resumeAtAnchor(q, bad))) continue
        if (bad || rows.length < PAGE) return bad
      }
    }

    // Entries never change once written, so the bulk of the chain is walked outside any
    // transaction (a long one would hold SQLite's only connection). Entries keep arriving while
    // it runs, though, so the last pages and the head are read in one snapshot — otherwise an
    // append committed between the two reads looks exactly like cut-off entries (PostgreSQL's
    // default READ COMMITTED gives each statement its own snapshot, hence REPEATABLE READ).
    const early = await walkRest(db)
    if (early) return early
    const snapshot =
      engine === 'postgres'
        ? db.transaction().setIsolationLevel('repeatable read')
        : db.transaction()
    return snapshot.execute(async (trx): Promise<AuditVerification> => {
      const bad = await walkRest(trx)
      if (bad) return bad
      const head = await trx
        .selectFrom('vault_meta')
        .select(HEAD_COLUMNS)
        .where('id', '=', 1)
        .executeTakeFirstOrThrow()
      const lastSeq = expectedSeq - 1
      // A vault's log is never empty (its first entry is vault.created), and the head must be the
      // last entry, vouched for by the head MAC — which also covers the ledger epoch and anchor.
      if (lastSeq === 0) return { ok: false, entries: count, firstBadSeq: 1, reason: 'missing' }
      const headOk =
        head.audit_head_seq === lastSeq &&
        head.audit_head_hash !== null &&
        head.audit_head_mac !== null &&
        equalBytes(sodium, new Uint8Array(head.audit_head_hash), prev) &&
        equalBytes(
          sodium,
          headMacOf(sodium, auditKey, headState(head, lastSeq, prev)),
          new Uint8Array(head.audit_head_mac),
        )
      if (!headOk)
        return {
          ok: false,
          entries: count,
          firstBadSeq: Math.min(head.audit_head_seq, lastSeq) + 1,
          reason: 'truncated',
        }
      return {
        ok: true,
        entries: count,
        headSeq: lastSeq,
        ...(acknowledged ? { acknowledged } : {}),
      }
    })
  }
}

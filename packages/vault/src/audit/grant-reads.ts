import { sql } from 'kysely'
import { z } from 'zod'
import type { VaultContext } from '../context.js'
import { ValidationError, issuesFromZod } from '../errors.js'
import { type AuditEntry, entryFromCanonical } from './audit-entry.js'

/** The grants asked about: ids as the vault makes them; at most as many as one page could show. */
export const GrantIds = z.array(z.string().max(64)).max(10_000)

/**
 * The newest seq of a vendor read per grant, one lookup each in the `audit_grant_read` index
 * (db/migrations.ts, 0003). The grant ids come in as one parameter — a JSON array on SQLite, an
 * array on PostgreSQL — so the statement is the same for any number of grants. Both engines turn
 * `max(seq)` over an index on (grant, seq) into a single backward step.
 *
 * The expressions are the index's own, character for character: the planner matches them by
 * text, and audit-grant-reads.test.ts asks both engines for the plan.
 */
export const NEWEST_READS = {
  sqlite: (ids: readonly string[]) => sql<{ seq: number; entry: string }>`
    select seq, entry from audit where seq in (
      select (
        select max(seq) from audit
        where json_valid(entry) and json_extract(entry, '$.action') = 'grant.read' and json_extract(entry, '$.grantId') = wanted.value
      ) from json_each(${JSON.stringify(ids)}) as wanted
    )`,
  postgres: (ids: readonly string[]) => sql<{ seq: number; entry: string }>`
    select seq, entry from audit where seq in (
      select (
        select max(seq) from audit
        where entry like '%"action":"grant.read"%' and substring(entry from '"grantId":"([A-Za-z0-9_-]{1,64})"') = wanted.id
      ) from unnest(cast(${[...ids]} as text[])) as wanted(id)
    )`,
} as const

/**
 * Each grant's newest `grant.read` entry, by grant id; a grant never read (or unknown) is absent.
 * The rows the index finds are parsed like every listed entry and checked again — a read of the
 * grant it is filed under — so the index only narrows, the chained entry decides.
 */
export async function lastReadPerGrant(
  ctx: VaultContext,
  grantIds: readonly string[],
): Promise<Map<string, AuditEntry>> {
  ctx.keys()
  const parsed = GrantIds.safeParse(grantIds)
  if (!parsed.success) throw new ValidationError(issuesFromZod(parsed.error.issues))
  const wanted = new Set(parsed.data)
  const found = new Map<string, AuditEntry>()
  if (wanted.size === 0) return found
  const { rows } = await NEWEST_READS[ctx.engine]([...wanted]).execute(ctx.db)
  for (const row of rows) {
    const entry = entryFromCanonical(row.entry)
    if (entry.action !== 'grant.read' || entry.grantId === undefined || !wanted.has(entry.grantId))
      continue
    const known = found.get(entry.grantId)
    if (!known || known.seq < entry.seq) found.set(entry.grantId, entry)
  }
  return found
}

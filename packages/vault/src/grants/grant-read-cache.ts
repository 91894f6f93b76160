import { sql } from 'kysely'
import { HotQuery } from '../db/hot-query.js'
import type { DatabaseHandle } from '../db/open-database.js'
import type { GrantsTable } from '../db/schema.js'
import type { UnsealedKeys } from '../keys/unsealed-keys.js'
import type { Grant, GrantBody } from './grant.js'
import { ledgerEpoch } from './grant-store.js'

/** A grant row joined with its vendor's row and the ledger epoch, as the hot path reads it. */
export type GrantRow = GrantsTable & {
  vendor_body: Uint8Array
  vendor_blocked: number
  vendor_term: number
  vendor_created_at: string
  vendor_row_mac: Uint8Array | null
  ledger_epoch: number | null
}
type FieldRow = { path: string; value: Uint8Array }

/**
 * The granted fields of a grant as last read, valid while the database's change token is the
 * same (SQLite: `PRAGMA data_version` plus this connection's own writes — see DatabaseHandle).
 * An equal token proves no row changed, so the grant row and the decrypted slice are exactly
 * what a fresh read would return; any write anywhere, by this process or another, invalidates it.
 * Expiry is still evaluated against the clock on every read, and every read is still audited
 * durably. Values are frozen so a caller cannot change what the next caller gets.
 */
export interface CachedSlice {
  readonly token: string
  readonly row: GrantRow
  /** The grant as seen when cached (frozen); reused while its status under the clock is the same. */
  readonly grant: Grant
  readonly fields: Readonly<Record<string, unknown>>
}

/** A decrypted grant body, reused while the stored row is the same (same revision, the very same ciphertext bytes). */
interface CachedBody {
  readonly revision: number
  readonly envelope: Uint8Array
  readonly body: GrantBody
}

const MAX_CACHED_SLICES = 1_000
const MAX_CACHED_BODIES = 10_000

/**
 * What the grant read path keeps between reads, owned by one vault (built in create-vault.ts,
 * reached through the context): the hot-path queries, compiled once, and the decrypted grant
 * bodies and slices of the current unseal.
 *
 * Decrypted values must not outlive the keys that opened them (SECURITY.md promise 6, "lock
 * wipes keys"): {@link clear} runs whenever keys leave custody, and the caches serve and accept
 * entries only for the key object they were filled under — a read that began before a lock and
 * ends after it cannot put anything back. Status, expiry and vendor blocking are never cached:
 * they come from the row read on every request, so revocation takes effect at once.
 */
export class GrantReadCache {
  /** The grant row with its vendor's row and the ledger epoch: one statement, one snapshot. */
  readonly grantQuery: HotQuery<GrantRow>
  readonly #handle: DatabaseHandle
  readonly #fieldQueries = new Map<string, HotQuery<FieldRow>>()
  readonly #bodies = new Map<string, CachedBody>()
  readonly #slices = new Map<string, CachedSlice>()
  /** The key object the entries were decrypted under. */
  #keys: UnsealedKeys | undefined

  constructor(handle: DatabaseHandle) {
    this.#handle = handle
    this.grantQuery = new HotQuery(
      handle,
      handle.db
        .selectFrom('grants')
        .innerJoin('vendors', 'vendors.id', 'grants.vendor_id')
        .selectAll('grants')
        .select([
          'vendors.body as vendor_body',
          'vendors.blocked as vendor_blocked',
          'vendors.term as vendor_term',
          'vendors.created_at as vendor_created_at',
          'vendors.row_mac as vendor_row_mac',
        ])
        // The epoch in the same statement: one snapshot with the rows it authenticates.
        .select(ledgerEpoch)
        .where('grants.id', '=', ''),
    )
  }

  /**
   * The query for the rows of the granted paths only — exact paths by equality, subtrees by a
   * LIKE on their escaped prefix — so the work grows with the grant, not with the whole profile.
   * Compiled once per shape of grant (how many exact paths, how many subtrees). The caller still
   * re-checks every path in JavaScript; SQL only narrows.
   */
  fieldQuery(selectors: readonly string[]): { query: HotQuery<FieldRow>; parameters: string[] } {
    const exact = selectors.filter((s) => !s.endsWith('.*'))
    const prefixes = selectors
      .filter((s) => s.endsWith('.*'))
      .map((s) => `${s.slice(0, -1).replace(/[\\%_]/g, (c) => `\\${c}`)}%`)
    const shape = `${exact.length}:${prefixes.length}`
    let query = this.#fieldQueries.get(shape)
    if (!query) {
      query = new HotQuery(
        this.#handle,
        this.#handle.db
          .selectFrom('fields')
          .select(['path', 'value'])
          .where((eb) =>
            eb.or([
              ...(exact.length > 0
                ? [
                    eb(
                      'path',
                      'in',
                      exact.map(() => ''),
                    ),
                  ]
                : []),
              ...prefixes.map(() => eb(sql`path`, 'like', sql`${''} escape '\\'`)),
            ]),
          ),
      )
      this.#fieldQueries.set(shape, query)
    }
    return { query, parameters: [...exact, ...prefixes] }
  }

  /** The body of `row` decrypted before under these keys, if the stored row is still the same. */
  body(keys: UnsealedKeys, row: GrantsTable, envelope: Uint8Array): GrantBody | undefined {
    if (!this.#holds(keys)) return undefined
    const hit = this.#bodies.get(row.id)
    return hit && hit.revision === row.revision && Buffer.compare(hit.envelope, envelope) === 0
      ? hit.body
      : undefined
  }

  /** Keeps a body decrypted under `keys`, unless those keys are no longer the ones in custody. */
  keepBody(keys: UnsealedKeys, row: GrantsTable, envelope: Uint8Array, body: GrantBody): void {
    if (!this.#accepts(keys)) return
    if (this.#bodies.size >= MAX_CACHED_BODIES) this.#bodies.clear()
    this.#bodies.set(row.id, { revision: row.revision, envelope, body })
  }

  /** The slice cached for `grantId` under these keys, whatever its token (the caller compares). */
  slice(keys: UnsealedKeys, grantId: string): CachedSlice | undefined {
    return this.#holds(keys) ? this.#slices.get(grantId) : undefined
  }

  /** Keeps a slice read under `keys`, unless those keys are no longer the ones in custody. */
  keepSlice(keys: UnsealedKeys, grantId: string, slice: CachedSlice): void {
    if (!this.#accepts(keys)) return
    if (this.#slices.size >= MAX_CACHED_SLICES) this.#slices.clear()
    this.#slices.set(grantId, slice)
  }

  /** How many decrypted bodies and slices are held (tests check a lock leaves none). */
  get size(): number {
    return this.#bodies.size + this.#slices.size
  }

  /** Drops every decrypted body and slice; the compiled queries hold no data and stay. */
  clear(): void {
    this.#bodies.clear()
    this.#slices.clear()
    this.#keys = undefined
  }

  #holds(keys: UnsealedKeys): boolean {
    return this.#keys === keys && !keys.wiped
  }

  /** Entries are accepted from live keys only; the first ones after a new unseal start the cache afresh. */
  #accepts(keys: UnsealedKeys): boolean {
    if (keys.wiped) return false
    if (this.#keys !== keys) {
      this.clear()
      this.#keys = keys
    }
    return true
  }
}

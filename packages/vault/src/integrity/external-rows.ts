import type { Transaction } from 'kysely'
import type { UnsealedKeys } from '../keys/unsealed-keys.js'
import { RowAuth, type RowValue } from './row-auth.js'

/**
 * Adopts rows an application stored before they were authenticated: called once, inside the
 * transaction of the first unlock after the upgrade (see {@link ExternalRows.onUpgrade}).
 */
// biome-ignore lint/suspicious/noExplicitAny: the application's own schema, which the vault does not know
export type RowAdopter = (trx: Transaction<any>, rows: RowAuthenticator) => Promise<void>

/**
 * Row authentication for the access-deciding rows an application keeps beside the vault in the
 * same database — the consent API's clients, tokens, codes, pushed requests and sessions. Same
 * construction and key as the vault's own rows (SECURITY.md, "The barrier"), under a label of its
 * own, so these MACs can never vouch for one of the vault's rows.
 *
 * @example
 * const values = [row.token_hash, row.client_id, row.grant_id, row.expires_at, row.revoked_at]
 * await db.insertInto('oauth_tokens').values({ ...row, row_mac: vault.rows.mac('oauth_tokens', values) }).execute()
 * vault.rows.check('oauth_tokens', values, stored.row_mac) // throws ERR_INTEGRITY when edited
 */
export interface RowAuthenticator {
  /** The MAC to store beside a row: the primary key first, then every column that decides access. Sealed: ERR_VAULT_LOCKED. */
  mac(table: string, values: readonly RowValue[]): Uint8Array
  /** Throws ERR_INTEGRITY unless `mac` authenticates exactly these values (constant-time). */
  check(table: string, values: readonly RowValue[], mac: Uint8Array | null | undefined): void
  /** The same check as a boolean. */
  verifies(table: string, values: readonly RowValue[], mac: Uint8Array | null | undefined): boolean
  /**
   * Registers an adopter for rows stored before an upgrade to row authentication. It runs in the
   * transaction of the first unlock that finds the vault's own rows unauthenticated — the one
   * moment the vault vouches for what is stored as it stands (trust on first use after upgrading).
   */
  onUpgrade(adopter: RowAdopter): void
}

export class ExternalRows extends RowAuth implements RowAuthenticator {
  readonly #adopters: RowAdopter[] = []

  constructor(keys: () => UnsealedKeys) {
    super(keys, 'external')
  }

  onUpgrade(adopter: RowAdopter): void {
    if (typeof adopter !== 'function') throw new TypeError('adopter must be a function')
    this.#adopters.push(adopter)
  }

  // biome-ignore lint/suspicious/noExplicitAny: the application's own schema, which the vault does not know
  async adopt(trx: Transaction<any>): Promise<void> {
    for (const adopter of this.#adopters) await adopter(trx, this)
  }
}

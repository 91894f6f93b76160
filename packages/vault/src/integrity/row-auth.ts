import sodiumNative from 'sodium-native'
import { ROW_LABELS, type RowValue, rowMac } from '../crypto/row-mac.js'
import type {
  ConsentEventsTable,
  ConversationMessagesTable,
  ConversationThreadsTable,
  GrantsTable,
  IntentOffersTable,
  IntentsTable,
  PurchasesTable,
  SignalOutboxTable,
  VendorsTable,
} from '../db/schema.js'
import { IntegrityError } from '../errors.js'
import type { UnsealedKeys } from '../keys/unsealed-keys.js'

export type { RowValue } from '../crypto/row-mac.js'

/**
 * The columns each of the vault's access-deciding tables authenticates, primary key first. A
 * grant or vendor row also binds the ledger epoch (`vault_meta.ledger_epoch`): a change that takes
 * access away re-MACs every one of them under the next epoch, so a saved copy of a row from
 * before a revocation or a block no longer verifies. Purchases bind their plaintext state —
 * status (pending receipts are invisible to grants), provenance, vendor link, date and blind
 * indexes (a grant's slice selects on them) — but not their ciphertext, which is already bound to
 * its row by its associated data; a key rotation re-encrypts them without touching this MAC.
 */
export const authenticated = {
  grants: (row: Omit<GrantsTable, 'row_mac'>, epoch: number): RowValue[] => [
    row.id,
    row.vendor_id,
    row.status,
    row.expires_at,
    row.revision,
    row.body,
    row.term,
    row.created_at,
    row.updated_at,
    epoch,
  ],
  vendors: (row: Omit<VendorsTable, 'row_mac'>, epoch: number): RowValue[] => [
    row.id,
    row.body,
    row.blocked,
    row.term,
    row.created_at,
    epoch,
  ],
  purchases: (row: Omit<PurchasesTable, 'row_mac' | 'body' | 'term'>): RowValue[] => [
    row.id,
    row.order_date,
    row.seller_index,
    row.category_index,
    row.provenance,
    row.status,
    row.vendor_id,
    row.created_at,
  ],
  /** What a signal says; not its delivery bookkeeping (db/schema.ts). */
  signal_outbox: (
    row: Pick<
      SignalOutboxTable,
      'id' | 'vendor_id' | 'grant_id' | 'kind' | 'paths' | 'created_at' | 'due_at'
    >,
  ): RowValue[] => [
    row.id,
    row.vendor_id,
    row.grant_id,
    row.kind,
    row.paths,
    row.created_at,
    row.due_at,
  ],
  /**
   * What a consent event says (grants/consent-history.ts). Not its sealed snapshot, which its
   * envelope already binds to this row, so a key rotation re-encrypts it without a new MAC.
   */
  consent_events: (
    row: Pick<ConsentEventsTable, 'id' | 'vendor_id' | 'grant_id' | 'kind' | 'revision' | 'at'>,
  ): RowValue[] => [row.id, row.vendor_id, row.grant_id, row.kind, row.revision, row.at],
  /**
   * Who a thread is with and whether it is open (these decide who may read and post), its links,
   * and the head of its chain: a message cut from the end or added to it no longer matches.
   */
  conversation_threads: (
    row: Pick<
      ConversationThreadsTable,
      | 'id'
      | 'vendor_id'
      | 'opened_by'
      | 'grant_id'
      | 'purchase_id'
      | 'state'
      | 'last_seq'
      | 'head_hash'
      | 'created_at'
    >,
  ): RowValue[] => [
    row.id,
    row.vendor_id,
    row.opened_by,
    row.grant_id,
    row.purchase_id,
    row.state,
    row.last_seq,
    row.head_hash,
    row.created_at,
  ],
  /** A message's place in its thread's chain; its sealed entry is bound to the row by its envelope. */
  conversation_messages: (
    row: Pick<
      ConversationMessagesTable,
      'id' | 'thread_id' | 'seq' | 'author' | 'at' | 'prev_hash' | 'hash'
    >,
  ): RowValue[] => [row.id, row.thread_id, row.seq, row.author, row.at, row.prev_hash, row.hash],
  /**
   * What decides who sees an intent and whether it takes offers (intents/intent-store.ts): its
   * audience, state and dates, and — like grants and vendors — the ledger epoch: closing or
   * fulfilling an intent advances the ledger, so a saved copy of the row from while it was open
   * no longer verifies (it cannot be put back to reopen the intent). The sealed body is bound to
   * the row by its envelope.
   */
  intents: (
    row: Pick<
      IntentsTable,
      'id' | 'state' | 'audience' | 'open_until' | 'created_at' | 'closed_at' | 'accepted_offer_id'
    >,
    epoch: number,
  ): RowValue[] => [
    row.id,
    row.state,
    row.audience,
    row.open_until,
    row.created_at,
    row.closed_at,
    row.accepted_offer_id,
    epoch,
  ],
  /** Whose offer it is, on which intent, and where it stands. */
  intent_offers: (
    row: Pick<
      IntentOffersTable,
      'id' | 'intent_id' | 'vendor_id' | 'state' | 'created_at' | 'updated_at'
    >,
  ): RowValue[] => [
    row.id,
    row.intent_id,
    row.vendor_id,
    row.state,
    row.created_at,
    row.updated_at,
  ],
} as const

export type AuthenticatedTable = keyof typeof authenticated

/**
 * Authenticates rows under the root-derived `rowMac` subkey — the vault's barrier (SECURITY.md):
 * a row that decides access is believed only if a key that only the unsealed vault holds vouches
 * for it, bound to its table, its primary key and this vault. Someone who can write the database
 * but has no key can delete such rows (a denial, never more access) but cannot edit, swap, move
 * or forge one.
 */
export class RowAuth {
  readonly #keys: () => UnsealedKeys
  readonly #label: Buffer

  constructor(keys: () => UnsealedKeys, scope: keyof typeof ROW_LABELS = 'vault') {
    this.#keys = keys
    this.#label = ROW_LABELS[scope]
  }

  /** The MAC to store beside a row. Sealed: ERR_VAULT_LOCKED. */
  mac(table: string, values: readonly RowValue[]): Uint8Array {
    const keys = this.#keys()
    return rowMac(this.#label, keys.subkey('rowMac'), keys.vaultId, table, values)
  }

  /** Throws ERR_INTEGRITY unless `mac` is the MAC of exactly these values (constant-time). */
  check(table: string, values: readonly RowValue[], mac: Uint8Array | null | undefined): void {
    if (!this.verifies(table, values, mac)) throw new IntegrityError()
  }

  verifies(
    table: string,
    values: readonly RowValue[],
    mac: Uint8Array | null | undefined,
  ): boolean {
    if (mac?.length !== 32) return false
    const expected = this.mac(table, values)
    // Constant-time, natively: this runs for every row a vendor read relies on.
    return sodiumNative.sodium_memcmp(
      Buffer.from(expected.buffer),
      Buffer.from(mac.buffer, mac.byteOffset, mac.byteLength),
    )
  }
}

import type { Kysely, Transaction } from 'kysely'
import { equalBytes } from '../crypto/bytes.js'
import type { Sodium } from '../crypto/sodium.js'
import type { DatabaseHandle, SyncStatements } from '../db/open-database.js'
import type { Engine, VaultDatabase } from '../db/schema.js'
import { VaultError, VaultLockedError } from '../errors.js'
import type { UnsealedKeys } from '../keys/unsealed-keys.js'
import {
  type AuditEntry,
  type AuditEntryInput,
  type HeadState,
  canonicalEntry,
  chainHash,
  entryMac,
  genesisHash,
  headMacOf,
} from './audit-entry.js'

type Db = Kysely<VaultDatabase> | Transaction<VaultDatabase>

interface Pending {
  readonly input: AuditEntryInput
  readonly resolve: (entry: AuditEntry) => void
  readonly reject: (err: unknown) => void
}

const INSERT_CHUNK = 500

type AuditRow = {
  seq: number
  at: string
  entry: string
  prev_hash: Uint8Array
  hash: Uint8Array
  mac: Uint8Array | null
}
/** The `vault_meta` columns the chain extends from and the head MAC covers. */
export const HEAD_COLUMNS = [
  'audit_head_seq',
  'audit_head_hash',
  'audit_head_mac',
  'ledger_epoch',
  'audit_anchor_seq',
  'row_auth_version',
  'vault_id',
] as const
export type Head = {
  audit_head_seq: number
  audit_head_hash: Uint8Array | null
  audit_head_mac: Uint8Array | null
  ledger_epoch: number
  audit_anchor_seq: number
  row_auth_version: number
  vault_id: string
}

/** The head as its MAC sees it, optionally at another end of the chain (sealTail's last MAC'd entry). */
export function headState(
  head: Head,
  seq = head.audit_head_seq,
  hash: Uint8Array | null = head.audit_head_hash,
): HeadState {
  return {
    seq,
    hash: hash ? new Uint8Array(hash) : genesisHash(head.vault_id, head.row_auth_version),
    epoch: Number(head.ledger_epoch),
    anchorSeq: Number(head.audit_anchor_seq),
    rowAuthVersion: Number(head.row_auth_version),
  }
}

/**
 * Whether the key holder vouches for this head: its MAC matches. A vault's first entry
 * (`vault.created`) is the only one that may extend an empty, unMAC'd head — so wiping the log
 * and resetting the head to zero is not a fresh start but a broken log.
 */
export function headAnchored(
  sodium: Sodium,
  auditKey: Uint8Array,
  head: Head,
  first?: AuditEntryInput,
): boolean {
  if (head.audit_head_seq === 0)
    return (
      head.audit_head_mac === null &&
      head.audit_head_hash === null &&
      first?.action === 'vault.created'
    )
  return (
    head.audit_head_mac !== null &&
    equalBytes(
      sodium,
      headMacOf(sodium, auditKey, headState(head)),
      new Uint8Array(head.audit_head_mac),
    )
  )
}

/** How an extension treats a head nobody vouches for (see {@link AuditLog.appendInTransaction}). */
interface ExtendMode {
  /** The unsealed tail has been sealed if it could be: an unanchored head now means a broken log. */
  readonly repaired?: boolean
  /** The owner acknowledges a broken log: the head is re-anchored at the first new entry. */
  readonly reanchor?: boolean
}

/** Internal: the head is not anchored; the async path first tries to seal an unsealed tail. */
class UnanchoredHead extends Error {}

/** What extending the chain from a head writes: the new rows and the new head. */
interface Extension {
  readonly entries: AuditEntry[]
  readonly rows: AuditRow[]
  readonly seq: number
  readonly hash: Uint8Array
  readonly headMac: Uint8Array | undefined
  /** Set when the extension re-anchors the log (an acknowledged break). */
  readonly anchorSeq: number | undefined
}

/**
 * A statement compiled once by Kysely with each parameter standing for a named column (its value
 * is the column's name), then bound positionally from a record: the SQL text is exactly what
 * Kysely would send, with no query building per call.
 */
class Template {
  readonly sql: string
  readonly #slots: readonly unknown[]
  constructor(compiled: { readonly sql: string; readonly parameters: readonly unknown[] }) {
    this.sql = compiled.sql
    this.#slots = compiled.parameters
  }
  bind(values: Readonly<Record<string, unknown>>): unknown[] {
    return this.#slots.map((slot) => (typeof slot === 'string' ? values[slot] : slot))
  }
}

export interface AuditLogDeps {
  readonly db: Kysely<VaultDatabase>
  readonly engine: Engine
  /**
   * The database handle, for its SQLite fast path: a group commit runs as one synchronous
   * transaction on prepared statements (`transactionNow`) when it can, else through Kysely.
   */
  readonly handle?: Pick<DatabaseHandle, 'transactionNow'>
  readonly sodium: Sodium
  readonly now: () => Date
  readonly keysIfUnsealed: () => UnsealedKeys | undefined
  readonly onFlush?: (entries: number) => void
}

/**
 * The tamper-evident access log (SECURITY.md promises 19–21).
 *
 * Two ways in: {@link appendInTransaction} writes entries in the caller's transaction, so a
 * grant change and its entry commit together or not at all; {@link appendDurable} is for reads,
 * which write nothing else: entries from concurrent reads are grouped into one commit (group
 * commit), and each caller's promise resolves only after that commit — data never leaves before
 * its entry is durable, and if the commit fails every waiting read fails (fail closed).
 */
export class AuditLog {
  readonly #deps: AuditLogDeps
  #queue: Pending[] = []
  #flushing = false
  readonly #sql: {
    head: Template
    insert: Template
    head_update: Template
    head_update_mac: Template
  }

  constructor(deps: AuditLogDeps) {
    this.#deps = deps
    const names = <T extends string>(...columns: T[]) =>
      Object.fromEntries(columns.map((c) => [c, c])) as unknown as Record<T, never>
    const { db } = deps
    this.#sql = {
      head: new Template(
        db.selectFrom('vault_meta').select(HEAD_COLUMNS).where('id', '=', 1).compile(),
      ),
      insert: new Template(
        db
          .insertInto('audit')
          .values(names('seq', 'at', 'entry', 'prev_hash', 'hash', 'mac'))
          .compile(),
      ),
      head_update: new Template(
        db
          .updateTable('vault_meta')
          .set(names('audit_head_seq', 'audit_head_hash'))
          .where('id', '=', 1)
          .compile(),
      ),
      head_update_mac: new Template(
        db
          .updateTable('vault_meta')
          .set(names('audit_head_seq', 'audit_head_hash', 'audit_head_mac'))
          .where('id', '=', 1)
          .compile(),
      ),
    }
  }

  /**
   * Builds the entries, rows and new head that extend the chain from `head`. Synchronous: the
   * audit key is copied and wiped here, so a lock() cannot wipe it halfway — with the live key, a
   * lock while a transaction awaits would MAC the head with zeros and mark a sound entry as forged.
   */
  #extend(
    head: Head | undefined,
    inputs: readonly AuditEntryInput[],
    mode: ExtendMode = {},
  ): Extension {
    if (!head) throw new VaultError('ERR_VAULT_UNINITIALIZED', 'The vault has not been created')
    const { sodium, now } = this.#deps
    const liveKey = this.#deps.keysIfUnsealed()?.subkey('auditMac')
    const auditKey = liveKey ? new Uint8Array(liveKey) : undefined
    // Extending the chain first checks that the key holder vouches for its head (SECURITY.md,
    // "The barrier"): otherwise cutting the tail and pointing the head at an earlier entry would be
    // sealed by the next append's fresh head MAC. While sealed there is no key to check with: those
    // entries stay unMAC'd until an unlock vouches for them (sealTail).
    let anchorSeq: number | undefined
    // A broken log keeps its wrong head MAC (the owner's entries are still MAC'd one by one), so
    // the break stays visible until she acknowledges it; only that acknowledgement re-anchors.
    let writeHeadMac = auditKey !== undefined
    if (auditKey && !headAnchored(sodium, auditKey, head, inputs[0])) {
      if (mode.reanchor) {
        anchorSeq = head.audit_head_seq + 1
      } else if (!mode.repaired) {
        auditKey.fill(0)
        throw new UnanchoredHead()
      } else if (inputs.some((input) => input.actor.startsWith('vendor:'))) {
        // Fail closed: no vendor access is granted while the log cannot be trusted.
        auditKey.fill(0)
        throw new VaultError(
          'ERR_AUDIT_BROKEN',
          'The access log is damaged; the owner must review it',
        )
      } else {
        writeHeadMac = false
      }
    }
    let seq = head.audit_head_seq
    let prev: Uint8Array = head.audit_head_hash
      ? new Uint8Array(head.audit_head_hash)
      : genesisHash(head.vault_id, head.row_auth_version)
    const at = now().toISOString()
    const entries: AuditEntry[] = []
    const rows: AuditRow[] = []
    for (const input of inputs) {
      // Entries are built by the vault itself (typed, never from untrusted input), so the hot
      // path spreads them instead of running the zod schema per entry.
      const entry: AuditEntry = { ...input, outcome: input.outcome ?? 'ok', seq: ++seq, at }
      const canonical = canonicalEntry(entry)
      const hash = chainHash(sodium, prev, canonical)
      rows.push({
        seq,
        at,
        entry: canonical,
        prev_hash: prev,
        hash,
        mac: auditKey ? entryMac(sodium, auditKey, hash) : null,
      })
      entries.push(entry)
      prev = hash
    }
    const headMacValue =
      auditKey && writeHeadMac
        ? headMacOf(
            sodium,
            auditKey,
            headState({ ...head, audit_anchor_seq: anchorSeq ?? head.audit_anchor_seq }, seq, prev),
          )
        : undefined
    auditKey?.fill(0)
    return { entries, rows, seq, hash: prev, headMac: headMacValue, anchorSeq }
  }

  /**
   * SQLite: the whole group commit as one synchronous transaction on prepared statements (see
   * DatabaseHandle.transactionNow). Undefined when that is not available right now.
   */
  #appendNow(inputs: readonly AuditEntryInput[]): AuditEntry[] | undefined {
    const sql = this.#sql
    const done = this.#deps.handle?.transactionNow?.((statements: SyncStatements) => {
      const extension = this.#extend(
        statements.all(sql.head.sql, sql.head.bind({}))[0] as Head | undefined,
        inputs,
      )
      for (const row of extension.rows) statements.run(sql.insert.sql, sql.insert.bind(row))
      const update = extension.headMac ? sql.head_update_mac : sql.head_update
      statements.run(
        update.sql,
        update.bind({
          audit_head_seq: extension.seq,
          audit_head_hash: extension.hash,
          audit_head_mac: extension.headMac,
        }),
      )
      return extension.entries
    })
    return done?.result
  }

  /**
   * Appends entries inside `trx`, extending the chain from the head it locks. A head nobody
   * vouches for is first repaired if it can be — entries appended while sealed, by this or another
   * process, are sealed when the head MAC still vouches for the entry before them — and is
   * otherwise a broken log: vendor entries are refused (ERR_AUDIT_BROKEN, so no data leaves), the
   * owner's are written without re-anchoring the head, until the owner acknowledges it (AuditReader.acknowledgeBreak).
   */
  async appendInTransaction(
    trx: Transaction<VaultDatabase>,
    inputs: readonly AuditEntryInput[],
    mode: Pick<ExtendMode, 'reanchor'> = {},
  ): Promise<AuditEntry[]> {
    if (inputs.length === 0) return []
    const readHead = () =>
      trx
        .selectFrom('vault_meta')
        .select(HEAD_COLUMNS)
        .where('id', '=', 1)
        .$if(this.#deps.engine === 'postgres', (q) => q.forUpdate())
        .executeTakeFirst()
    let extension: Extension
    try {
      extension = this.#extend(await readHead(), inputs, mode)
    } catch (err) {
      if (!(err instanceof UnanchoredHead)) throw err
      const keys = this.#deps.keysIfUnsealed()
      if (keys) await this.sealTail(trx, keys)
      extension = this.#extend(await readHead(), inputs, { ...mode, repaired: true })
    }
    const { entries, rows, seq, hash: prev, headMac: headMacValue, anchorSeq } = extension
    try {
      for (let i = 0; i < rows.length; i += INSERT_CHUNK) {
        await trx
          .insertInto('audit')
          .values(rows.slice(i, i + INSERT_CHUNK))
          .execute()
      }
      await trx
        .updateTable('vault_meta')
        .set({
          audit_head_seq: seq,
          audit_head_hash: prev,
          // While sealed there is no key: the head MAC stays as it was and unlock re-seals the tail.
          ...(headMacValue ? { audit_head_mac: headMacValue } : {}),
          ...(anchorSeq !== undefined ? { audit_anchor_seq: anchorSeq } : {}),
        })
        .where('id', '=', 1)
        .execute()
    } catch (cause) {
      // A typed, opaque error instead of the driver's (which may quote SQL); the caller's
      // transaction still rolls back, so the change this entry records never commits either.
      throw new VaultError('ERR_AUDIT_WRITE', 'The audit log could not be written', { cause })
    }
    return entries
  }

  /**
   * Appends one entry in the next group commit and resolves once it is durable.
   * Rejects with ERR_AUDIT_WRITE if the commit fails; the caller must then not release data.
   */
  appendDurable(input: AuditEntryInput): Promise<AuditEntry> {
    return new Promise((resolve, reject) => {
      this.#queue.push({ input, resolve, reject })
      if (!this.#flushing) {
        this.#flushing = true
        // setImmediate lets every read already in flight join this commit.
        setImmediate(() => void this.#flush())
      }
    })
  }

  async #flush(): Promise<void> {
    while (this.#queue.length > 0) {
      const batch = this.#queue
      this.#queue = []
      try {
        const inputs = batch.map((p) => p.input)
        let fast: AuditEntry[] | undefined
        try {
          fast = this.#appendNow(inputs)
        } catch (err) {
          // The synchronous path cannot repair a head (that needs queries): take the other one.
          if (!(err instanceof UnanchoredHead)) throw err
        }
        const entries =
          fast ??
          (await this.#deps.db
            .transaction()
            .execute((trx) => this.appendInTransaction(trx, inputs)))
        for (const [i, p] of batch.entries()) p.resolve(entries[i] as AuditEntry)
        this.#deps.onFlush?.(entries.length)
      } catch (cause) {
        const err =
          cause instanceof VaultError &&
          (cause.code === 'ERR_VAULT_UNINITIALIZED' || cause.code === 'ERR_AUDIT_BROKEN')
            ? cause
            : new VaultError('ERR_AUDIT_WRITE', 'The audit log could not be written', { cause })
        for (const p of batch) p.reject(err)
      }
    }
    this.#flushing = false
  }

  /**
   * Moves the ledger epoch (integrity/ledger.ts) inside `trx`, carrying the head MAC over to it:
   * the head MAC covers the epoch, so this is the only way to change it without breaking the log.
   * A head nobody vouches for stays that way — the epoch still moves (a revocation must always
   * take effect), but the break stays visible.
   */
  async setLedgerEpoch(trx: Transaction<VaultDatabase>, epoch: number): Promise<void> {
    const { sodium } = this.#deps
    const head = await trx
      .selectFrom('vault_meta')
      .select(HEAD_COLUMNS)
      .where('id', '=', 1)
      .$if(this.#deps.engine === 'postgres', (q) => q.forUpdate())
      .executeTakeFirstOrThrow()
    const liveKey = this.#deps.keysIfUnsealed()?.subkey('auditMac')
    if (!liveKey) throw new VaultLockedError()
    const auditKey = new Uint8Array(liveKey)
    const anchored = head.audit_head_seq > 0 && headAnchored(sodium, auditKey, head)
    const mac = anchored
      ? headMacOf(sodium, auditKey, headState({ ...head, ledger_epoch: epoch }))
      : undefined
    auditKey.fill(0)
    await trx
      .updateTable('vault_meta')
      .set({ ledger_epoch: epoch, ...(mac ? { audit_head_mac: mac } : {}) })
      .where('id', '=', 1)
      .execute()
  }

  /**
   * Marks the log broken (the head MAC cleared) when a verification finds a break nobody has
   * acknowledged: from then on every vendor read fails closed, in every process on this database,
   * until the owner acknowledges the break (SECURITY.md, "The barrier").
   */
  async markBroken(): Promise<void> {
    await this.#deps.db
      .updateTable('vault_meta')
      .set({ audit_head_mac: null })
      .where('id', '=', 1)
      .execute()
  }

  /** Waits until every queued entry is committed (or failed): used before lock and close. */
  async drain(): Promise<void> {
    while (this.#flushing || this.#queue.length > 0) await new Promise((r) => setImmediate(r))
  }

  /**
   * Adds MACs to entries written while sealed (failed unlocks) and re-MACs the head, after
   * checking that something authenticated vouches for them. Runs at unlock.
   *
   * An unsealed entry followed by a MAC'd one is vouched for by that entry's chain. The newest
   * run of unsealed entries is vouched for only if the head MAC still matches the last MAC'd
   * entry before it — that is the state the vault was in when it was sealed. Without this check,
   * anyone who can write to the database could cut off the newest entries, append a forged
   * "written while sealed" entry, and have the next unlock authenticate the shortened log.
   */
  async sealTail(trx: Db, keys: UnsealedKeys): Promise<void> {
    const { sodium } = this.#deps
    const auditKey = new Uint8Array(keys.subkey('auditMac')) // a copy, for the same reason as above
    const tail = await trx
      .selectFrom('audit')
      .select(['seq', 'entry', 'prev_hash', 'hash'])
      .where('mac', 'is', null)
      .orderBy('seq')
      .execute()
    if (tail.length === 0) return
    const lastSealed = await trx
      .selectFrom('audit')
      .select(['seq', 'hash'])
      .where('mac', 'is not', null)
      .orderBy('seq', 'desc')
      .limit(1)
      .executeTakeFirst()
    const head = await trx
      .selectFrom('vault_meta')
      .select(HEAD_COLUMNS)
      .where('id', '=', 1)
      .executeTakeFirstOrThrow()
    const anchored =
      lastSealed !== undefined &&
      head.audit_head_mac !== null &&
      equalBytes(
        sodium,
        headMacOf(sodium, auditKey, headState(head, lastSealed.seq, lastSealed.hash)),
        new Uint8Array(head.audit_head_mac),
      )
    for (const row of tail) {
      // Past the last MAC'd entry and not anchored by the head: leave it unsealed for verify() to name.
      if (!anchored && row.seq > (lastSealed?.seq ?? 0)) break
      const hash = chainHash(sodium, new Uint8Array(row.prev_hash), row.entry)
      // A tail entry that does not hash correctly is left unsealed: verify() will name it.
      if (equalBytes(sodium, hash, new Uint8Array(row.hash))) {
        await trx
          .updateTable('audit')
          .set({ mac: entryMac(sodium, auditKey, hash) })
          .where('seq', '=', row.seq)
          .execute()
      }
    }
    if (!anchored) return
    if (head.audit_head_hash) {
      await trx
        .updateTable('vault_meta')
        .set({ audit_head_mac: headMacOf(sodium, auditKey, headState(head)) })
        .where('id', '=', 1)
        .execute()
    }
  }
}

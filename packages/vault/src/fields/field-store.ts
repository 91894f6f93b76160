import type { VaultContext } from '../context.js'
import { toBytes } from '../crypto/bytes.js'
import { type Place, envelopeTerm, openJson, sealJson } from '../crypto/envelope.js'
import { NotFoundError, ValidationError, VaultError, issuesFromZod } from '../errors.js'
import { signalFieldChanges } from '../signals/signal-outbox.js'
import { writeTerm } from '../keys/write-term.js'
import { selectorMatches } from './selectors.js'
import { type FieldPath, MAX_VALUE_BYTES, isFieldPath, schemaFor } from './vocabulary.js'

export function fieldPlace(vaultId: string, path: string): Place {
  return { table: 'fields', column: 'value', recordId: path, vaultId }
}

/** A stored field value with when it last changed. */
export interface FieldEntry {
  readonly path: FieldPath
  readonly value: unknown
  readonly updatedAt: string
}

function assertPath(path: string): asserts path is FieldPath {
  if (typeof path !== 'string') throw new TypeError('path must be a string')
  if (!isFieldPath(path))
    throw new VaultError('ERR_UNKNOWN_PATH', 'Unknown field path', {
      issues: [{ path: 'path', message: 'not a field of the vocabulary or a custom.* path' }],
    })
}

/** Validates a value for `path` against its schema and size limit; returns the normalized value. */
export function validateField(path: string, value: unknown): unknown {
  assertPath(path)
  const schema = schemaFor(path)
  const parsed = schema?.safeParse(value)
  if (!parsed?.success)
    throw new ValidationError(
      issuesFromZod(parsed?.error.issues ?? [], path),
      'Invalid field value',
    )
  if (new TextEncoder().encode(JSON.stringify(parsed.data)).length > MAX_VALUE_BYTES) {
    throw new VaultError(
      'ERR_VALUE_TOO_LARGE',
      `A field value is larger than ${MAX_VALUE_BYTES} bytes`,
      { issues: [{ path, message: 'too large' }] },
    )
  }
  return parsed.data
}

/**
 * Profile and preference fields: one encrypted row per path, bound to its path by the
 * envelope's associated data. The owner's own reads are not audited (they are the owner's);
 * vendor reads go through grants and are.
 */
export class FieldStore {
  readonly #ctx: VaultContext
  constructor(ctx: VaultContext) {
    this.#ctx = ctx
  }

  /**
   * Validates and stores a value; the write is committed before the promise resolves.
   *
   * @example
   * await vault.fields.set('email', 'ada@example.org')
   * await vault.fields.set('prefs.sizes.shoe', 'EU 39')
   * await vault.fields.set('custom.loyalty.airline', 'FF 1234')
   */
  async set(path: FieldPath, value: unknown): Promise<void> {
    const keys = this.#ctx.keys()
    const clean = validateField(path, value)
    const updatedAt = this.#ctx.now().toISOString()
    await this.#ctx.db.transaction().execute(async (trx) => {
      const { term, key } = await writeTerm(this.#ctx, trx)
      const envelope = sealJson(this.#ctx.sodium, key, term, fieldPlace(keys.vaultId, path), clean)
      await trx
        .insertInto('fields')
        .values({ path, value: envelope, term, updated_at: updatedAt })
        .onConflict((oc) =>
          oc.column('path').doUpdateSet({ value: envelope, term, updated_at: updatedAt }),
        )
        .execute()
      // Every vendor whose grant covers the field hears that it changed, with the change.
      await signalFieldChanges(this.#ctx, trx, [path])
    })
    this.#ctx.emit({ type: 'field.set', path })
  }

  /** Stores several fields in one transaction: all or none. */
  async setMany(values: Readonly<Record<string, unknown>>): Promise<void> {
    const keys = this.#ctx.keys()
    const now = this.#ctx.now().toISOString()
    const clean = Object.entries(values).map(
      ([path, value]) => [path, validateField(path, value)] as const,
    )
    const rows = await this.#ctx.db.transaction().execute(async (trx) => {
      const { term, key } = await writeTerm(this.#ctx, trx)
      const rows = clean.map(([path, value]) => ({
        path,
        value: sealJson(this.#ctx.sodium, key, term, fieldPlace(keys.vaultId, path), value),
        term,
        updated_at: now,
      }))
      for (const row of rows) {
        await trx
          .insertInto('fields')
          .values(row)
          .onConflict((oc) =>
            oc.column('path').doUpdateSet({ value: row.value, term, updated_at: now }),
          )
          .execute()
      }
      await signalFieldChanges(
        this.#ctx,
        trx,
        rows.map((r) => r.path),
      )
      return rows
    })
    for (const row of rows) this.#ctx.emit({ type: 'field.set', path: row.path })
  }

  /**
   * Reads one field; undefined when it has no value.
   *
   * @example
   * const email = await vault.fields.get('email') // 'ada@example.org'
   */
  async get(path: FieldPath): Promise<unknown> {
    this.#ctx.keys() // sealed: ERR_VAULT_LOCKED before any query
    assertPath(path)
    const row = await this.#ctx.db
      .selectFrom('fields')
      .select(['value'])
      .where('path', '=', path)
      .executeTakeFirst()
    if (!row) return undefined
    return this.#decrypt(path, toBytes(row.value))
  }

  /**
   * Lists fields, optionally only those matched by selectors (`['name.*', 'email']`).
   *
   * @example
   * for (const { path, value } of await vault.fields.list(['prefs.*'])) console.log(path, value)
   */
  async list(selectors?: readonly string[]): Promise<FieldEntry[]> {
    this.#ctx.keys()
    const rows = await this.#ctx.db
      .selectFrom('fields')
      .select(['path', 'value', 'updated_at'])
      .orderBy('path')
      .execute()
    return rows
      .filter((row) => !selectors || selectors.some((s) => selectorMatches(s, row.path)))
      .map((row) => ({
        path: row.path as FieldPath,
        value: this.#decrypt(row.path, toBytes(row.value)),
        updatedAt: row.updated_at,
      }))
  }

  /** Deletes a field; ERR_NOT_FOUND when it had no value. */
  async delete(path: FieldPath): Promise<void> {
    this.#ctx.keys()
    assertPath(path)
    await this.#ctx.db.transaction().execute(async (trx) => {
      const result = await trx.deleteFrom('fields').where('path', '=', path).executeTakeFirst()
      if (Number(result.numDeletedRows) === 0) throw new NotFoundError('Field')
      await signalFieldChanges(this.#ctx, trx, [path])
    })
    this.#ctx.emit({ type: 'field.deleted', path })
  }

  #decrypt(path: string, envelope: Uint8Array): unknown {
    const keys = this.#ctx.keys()
    return openJson(
      this.#ctx.sodium,
      keys.termKey(envelopeTerm(envelope)),
      fieldPlace(keys.vaultId, path),
      envelope,
    )
  }
}

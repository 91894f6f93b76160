import { type Compilable, CompiledQuery } from 'kysely'
import type { DatabaseHandle } from './open-database.js'

/**
 * A read query compiled once and run many times with new parameters: no query building per
 * call, and on SQLite no trip through Kysely's connection queue either (`readNow`). Kysely
 * compiles the builder with sample parameters; the SQL text is kept and the parameters are
 * supplied positionally at each run, in the order the builder placed them.
 *
 * @example
 * const byId = new HotQuery(handle, db.selectFrom('oauth_tokens').selectAll().where('token_hash', '=', ''))
 * const [row] = await byId.run([hash])
 */
export class HotQuery<Row> {
  readonly #handle: DatabaseHandle
  readonly #sql: string

  constructor(handle: DatabaseHandle, query: Compilable<Row>) {
    this.#handle = handle
    this.#sql = query.compile().sql
  }

  async run(parameters: readonly unknown[]): Promise<Row[]> {
    const now = this.#handle.readNow?.(this.#sql, parameters)
    if (now) return now as Row[]
    const result = await this.#handle.db.executeQuery<Row>(
      CompiledQuery.raw(this.#sql, [...parameters]),
    )
    return result.rows
  }
}

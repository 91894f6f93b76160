import { z } from 'zod'
import type { AppContext } from '../app-context.js'
import { readSetting, writeSetting } from '../db/api-settings.js'

/** The IANA zones this runtime knows (ECMA-402 `Intl.supportedValuesOf`), plus `UTC`, which it lists as `Etc/…` aliases only. */
const ZONES: ReadonlySet<string> = new Set(['UTC', ...Intl.supportedValuesOf('timeZone')])

/** The zones the owner may choose from, `UTC` first and the rest in alphabetical order. */
export const TIME_ZONES: readonly string[] = Object.freeze([
  'UTC',
  ...[...ZONES].filter((z) => z !== 'UTC').sort(),
])

/** An IANA time zone name the runtime can format in (`Europe/Berlin`); the message never repeats the input. */
export const TimeZone = z
  .string()
  .refine((zone) => ZONES.has(zone), 'Choose a time zone from the list, such as Europe/Berlin.')

/**
 * The owner's time zone (issue 10: every time was UTC only): the owner's pages show times in it,
 * with the exact UTC time on hover. UTC until the owner chooses one in Settings.
 *
 * Stored as a row of `api_settings` with the vault's MAC (db/stored-rows.ts), beside the owner's
 * other settings; a row the vault's key does not vouch for, or a zone this runtime no longer
 * knows, reads as UTC — a wrong clock on a page, never a failure. Not a profile field: it is how
 * the owner's own pages read, and no grant can reach it.
 */
export class TimeZoneSetting {
  readonly #app: AppContext
  constructor(app: AppContext) {
    this.#app = app
  }

  /** The zones the owner may choose from. */
  readonly choices: readonly string[] = TIME_ZONES

  /** Whether `zone` is one of them. */
  valid(zone: string): boolean {
    return ZONES.has(zone)
  }

  /** The owner's zone, or `UTC`. */
  async get(): Promise<string> {
    const zone = await readSetting(this.#app, 'owner_time_zone')
    return zone !== undefined && ZONES.has(zone) ? zone : 'UTC'
  }

  /** Stores a zone; a name `TimeZone` refuses is a caller's mistake (the pages check it first). */
  async set(zone: string): Promise<void> {
    await writeSetting(this.#app, 'owner_time_zone', TimeZone.parse(zone))
  }
}

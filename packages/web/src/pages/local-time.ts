import { html } from 'hono/html'
import type { Html } from './layout.js'

/** How much of a time a page shows: minutes (most pages) or seconds (the access log). */
export type TimePrecision = 'minute' | 'second'

/**
 * Formatters are costly to build and a page shows dozens of times in one zone: one per zone and
 * precision, for the process's life (a few hundred zones exist, so this stays small).
 */
const formatters = new Map<string, Intl.DateTimeFormat>()

function formatter(zone: string, precision: TimePrecision): Intl.DateTimeFormat {
  const key = `${zone} ${precision}`
  let f = formatters.get(key)
  if (!f) {
    // en-GB with h23: day-month order and a 24-hour clock whatever the server's locale is; the
    // parts are reassembled as YYYY-MM-DD HH:MM, the order the rest of the app writes dates in.
    const options: Intl.DateTimeFormatOptions = {
      timeZone: zone,
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      hourCycle: 'h23',
      timeZoneName: 'short',
    }
    if (precision === 'second') options.second = '2-digit'
    f = new Intl.DateTimeFormat('en-GB', options)
    formatters.set(key, f)
  }
  return f
}

/** `2026-12-04 19:37 CET` — an instant in `zone` (an IANA name the settings checked), with the zone's short name. */
export function zonedText(iso: string, zone: string, precision: TimePrecision = 'minute'): string {
  const parts = Object.fromEntries(
    formatter(zone, precision)
      .formatToParts(new Date(iso))
      .map((p) => [p.type, p.value]),
  )
  const clock =
    precision === 'second'
      ? `${parts.hour}:${parts.minute}:${parts.second}`
      : `${parts.hour}:${parts.minute}`
  return `${parts.year}-${parts.month}-${parts.day} ${clock} ${parts.timeZoneName}`
}

/** The exact instant in UTC, to the second: what the hover shows whatever the zone. */
export const utcText = (iso: string) => `${iso.slice(0, 10)} ${iso.slice(11, 19)} UTC`

/**
 * An instant as the owner reads it (issue 10: times were UTC only): in the owner's time zone
 * (Settings; UTC until one is chosen), rendered on the server — no script — in a `<time>` element
 * whose `datetime` is the machine-readable instant and whose `title` (shown on hover) is the
 * exact UTC time.
 *
 * @example
 * localTime('2026-12-04T18:37:05.000Z', 'Europe/Berlin')
 * // <time datetime="2026-12-04T18:37:05.000Z" title="2026-12-04 18:37:05 UTC">2026-12-04 19:37 CET</time>
 */
export function localTime(iso: string, zone: string, precision: TimePrecision = 'minute'): Html {
  return html`<time datetime="${iso}" title="${utcText(iso)}">${zonedText(iso, zone, precision)}</time>`
}

/**
 * Vitest global set-up for the stories project: the browser stories drive Debian's Chromium
 * (playwright-core downloads no browser, and no machine here could fetch one). When it is
 * missing and the suite runs as root — as in CI, on a fresh machine — it is installed with
 * apt-get, the same way test/setup/postgres.ts brings PostgreSQL.
 */
import { execFileSync } from 'node:child_process'
import { existsSync } from 'node:fs'

/** Where Debian's `chromium` package puts the browser (test/browser/support/chromium.ts launches it). */
export const CHROMIUM_PATH = '/usr/bin/chromium'

export default function setup(): void {
  if (existsSync(CHROMIUM_PATH)) return
  if (process.getuid?.() !== 0)
    throw new Error(
      'Chromium is not installed; install Debian\'s "chromium" package (the test suite does this itself when run as root)',
    )
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' }
  execFileSync('apt-get', ['update', '-qq'], { stdio: 'inherit', env, timeout: 300_000 })
  execFileSync('apt-get', ['install', '-y', '-qq', 'chromium'], {
    stdio: 'inherit',
    env,
    timeout: 900_000,
  })
  if (!existsSync(CHROMIUM_PATH))
    throw new Error(`apt-get installed chromium but ${CHROMIUM_PATH} is missing`)
}

/**
 * Launches Debian's Chromium (installed by test/setup/chromium.ts) through playwright-core.
 * playwright-core never downloads a browser of its own: the machines here reach only the npm
 * registry and Debian's apt, so the system binary is the browser the stories drive.
 */
import { type Browser, chromium } from 'playwright-core'
import { CHROMIUM_PATH } from '../../setup/chromium.js'

/**
 * Headless, no sandbox (the suite runs as root in CI, where Chromium's sandbox refuses to start),
 * and nothing that phones home, so the only traffic is to the servers the story starts.
 */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM_PATH,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--no-first-run',
      '--disable-dev-shm-usage',
    ],
    timeout: 60_000,
  })
}

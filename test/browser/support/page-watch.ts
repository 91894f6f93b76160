/**
 * What the browser stories watch besides what they click: every console error, uncaught page
 * error and Content-Security-Policy violation (Chromium reports a blocked script, style or form
 * target as a console error — the pages promise a strict CSP with no inline script, SECURITY.md
 * promise 24), and full-page screenshots kept as test artifacts.
 */
import { mkdirSync, rmSync } from 'node:fs'
import { join } from 'node:path'
import type { Page } from 'playwright-core'

export interface PageProblem {
  readonly kind: 'console' | 'pageerror' | 'csp'
  readonly text: string
  /** The page the problem happened on. */
  readonly url: string
}

/**
 * Chromium logs a document answered with an error status ("Failed to load resource: … status of
 * 400") as a console error. The stories cause some such answers on purpose — a form refused with
 * its reasons shown in place is a 400 page — so those, and only those, are expected.
 */
export interface ExpectedRefusal {
  readonly path: string
  readonly status: number
}

export class PageWatch {
  readonly problems: PageProblem[] = []
  readonly #expected: ExpectedRefusal[] = []

  /** Starts watching a page (call before its first navigation). */
  watch(page: Page): void {
    page.on('console', (message) => {
      if (message.type() !== 'error') return
      const text = message.text()
      const url = message.location().url || page.url()
      if (this.#isExpected(text, url)) return
      this.problems.push({
        kind: /Content Security Policy/i.test(text) ? 'csp' : 'console',
        text,
        url,
      })
    })
    page.on('pageerror', (error) =>
      this.problems.push({ kind: 'pageerror', text: error.message, url: page.url() }),
    )
  }

  /** The next answer for `path` is meant to be an error page with this status. */
  expectRefusal(path: string, status: number): void {
    this.#expected.push({ path, status })
  }

  #isExpected(text: string, url: string): boolean {
    const m = /^Failed to load resource: the server responded with a status of (\d{3})/.exec(text)
    if (!m) return false
    const path = url ? new URL(url).pathname : ''
    return this.#expected.some((e) => e.status === Number(m[1]) && e.path === path)
  }
}

export class Screenshots {
  readonly #dir: string
  #count = 0

  constructor(dir: string) {
    this.#dir = dir
    // Only this run's pictures: an artifact from an older run would describe pages that changed.
    rmSync(dir, { recursive: true, force: true })
    mkdirSync(dir, { recursive: true })
  }

  /** A full-page PNG named `NN-name.png`, numbered in story order. Returns its path. */
  async take(page: Page, name: string): Promise<string> {
    this.#count++
    const file = join(this.#dir, `${String(this.#count).padStart(2, '0')}-${name}.png`)
    await page.screenshot({ path: file, fullPage: true })
    return file
  }
}

/**
 * How wide the page is against the window (a phone must not scroll sideways), and the element
 * sticking out furthest, so a failure says where to look. Runs in the page; written as source
 * text because the test project has no DOM type library.
 */
export function horizontalOverflow(
  page: Page,
): Promise<{ scrollWidth: number; innerWidth: number; widest: string }> {
  return page.evaluate(`(() => {
    const innerWidth = window.innerWidth
    let widest = ''
    let right = innerWidth
    for (const el of document.body.querySelectorAll('*')) {
      const r = el.getBoundingClientRect().right
      if (r > right + 0.5) {
        right = r
        const cls = typeof el.className === 'string' && el.className ? '.' + el.className.trim().split(/\\s+/).join('.') : ''
        widest = el.tagName.toLowerCase() + (el.id ? '#' + el.id : '') + cls + ' (right edge ' + Math.round(r) + 'px)'
      }
    }
    return { scrollWidth: document.documentElement.scrollWidth, innerWidth, widest }
  })()`)
}

/** The id (or tag) of the focused element, to follow keyboard focus. */
export function focused(
  page: Page,
): Promise<{ id: string; tag: string; name: string; type: string; text: string }> {
  return page.evaluate(`(() => {
    const el = document.activeElement
    return { id: el?.id ?? '', tag: el?.tagName.toLowerCase() ?? '', name: el?.getAttribute('name') ?? '', type: el?.getAttribute('type') ?? '', text: (el?.textContent ?? '').trim() }
  })()`)
}

/**
 * Basic accessibility every page owes a screen-reader or keyboard user (WCAG 2.2 1.1.1, 1.3.1,
 * 2.4.2, 3.1.1, 4.1.2): a page language and title, a first-level heading, a name for every form
 * control and button, and alt text on every image. Returns what is missing, described.
 */
export function accessibilityProblems(page: Page): Promise<string[]> {
  return page.evaluate(`(() => {
    const problems = []
    if (!document.documentElement.getAttribute('lang')) problems.push('<html> has no lang')
    if (!document.title.trim()) problems.push('the page has no <title>')
    if (!document.querySelector('h1')) problems.push('the page has no <h1>')
    const describe = (el) => el.tagName.toLowerCase() + (el.id ? '#' + el.id : '') + (el.getAttribute('name') ? '[name=' + el.getAttribute('name') + ']' : '')
    for (const el of document.querySelectorAll('input:not([type=hidden]), select, textarea')) {
      const named = (el.labels && el.labels.length > 0 && Array.from(el.labels).some((l) => l.textContent.trim() !== '')) || el.getAttribute('aria-label') || el.getAttribute('aria-labelledby') || el.getAttribute('title')
      if (!named) problems.push(describe(el) + ' has no label')
    }
    for (const el of document.querySelectorAll('button, a[href]')) {
      if (!(el.textContent.trim() || el.getAttribute('aria-label') || el.getAttribute('aria-labelledby') || el.querySelector('img[alt]:not([alt=""])'))) problems.push(describe(el) + ' has no text')
    }
    for (const el of document.querySelectorAll('img:not([alt])')) problems.push('an image (' + el.getAttribute('src') + ') has no alt')
    return problems
  })()`)
}

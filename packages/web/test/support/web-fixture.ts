/**
 * Test support for the owner's pages: the whole web app (`createWebApp`, API + pages) on a fresh
 * test vault, driven in-process through `app.request` by a small cookie-keeping browser that
 * submits forms as `application/x-www-form-urlencoded` (or multipart, for uploads) and does not
 * follow redirects, so tests see every 303 and its Location.
 */
import type { Hono } from 'hono'
import { type Vault, createVault } from '@custos/vault'
import {
  type TestDatabase,
  type TestVault,
  createTestDatabase,
  createTestVault,
  PASSPHRASE,
} from '@custos/vault/testing'
import { createWebApp } from '../../src/web-app.js'

export { PASSPHRASE }
export const ORIGIN = 'http://127.0.0.1'

export class PageClient {
  readonly #app: Hono
  readonly #cookies = new Map<string, string>()

  constructor(app: Hono) {
    this.#app = app
  }

  get hasSession(): boolean {
    return this.#cookies.has('custos_session')
  }

  forgetCookies(): void {
    this.#cookies.clear()
  }

  async get(path: string): Promise<Response> {
    return this.#send(path, { method: 'GET' })
  }

  /** Posts a form; `FormData` goes as multipart (as a browser does for a file upload). */
  async post(
    path: string,
    fields: Record<string, string | string[]> | FormData,
    headers: Record<string, string> = {},
  ): Promise<Response> {
    if (fields instanceof FormData)
      return this.#send(path, { method: 'POST', body: fields, headers })
    const body = new URLSearchParams()
    for (const [k, v] of Object.entries(fields))
      for (const one of Array.isArray(v) ? v : [v]) body.append(k, one)
    return this.#send(path, {
      method: 'POST',
      body: body.toString(),
      headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
    })
  }

  /** GETs a signed-in page and returns the CSRF token its forms carry. */
  async csrf(path = '/settings'): Promise<string> {
    const res = await this.get(path)
    const token = /name="csrf_token" value="([^"]+)"/.exec(await res.text())?.[1]
    if (!token) throw new Error(`no CSRF token on ${path} (status ${res.status})`)
    return token
  }

  async #send(
    path: string,
    init: { method: string; body?: string | FormData; headers?: Record<string, string> },
  ): Promise<Response> {
    const headers: Record<string, string> = { accept: 'text/html', ...init.headers }
    if (this.#cookies.size > 0)
      headers.cookie = [...this.#cookies].map(([k, v]) => `${k}=${v}`).join('; ')
    const res = await this.#app.request(`${ORIGIN}${path}`, { ...init, headers })
    for (const line of res.headers.getSetCookie()) {
      const [pair = ''] = line.split(';')
      const eq = pair.indexOf('=')
      const name = pair.slice(0, eq).trim()
      const value = pair.slice(eq + 1).trim()
      if (/max-age=0/i.test(line) || value === '') this.#cookies.delete(name)
      else this.#cookies.set(name, value)
    }
    return res
  }
}

export interface PagesFixture {
  readonly app: Hono
  readonly browser: PageClient
  /** A second browser on the same server (no cookies of its own yet). */
  readonly other: PageClient
  readonly vault: Vault
  /** Set for a fixture made on an initialized vault. */
  readonly testVault?: TestVault
  dispose(): Promise<void>
}

export interface FixtureOptions {
  readonly now?: () => Date
  readonly onUnexpectedError?: (err: unknown) => void
}

/** A web app on a new, uninitialized vault (for the set-up pages). */
export async function uninitializedPages(options: FixtureOptions = {}): Promise<PagesFixture> {
  const db: TestDatabase = await createTestDatabase()
  const handle = db.open()
  const vault = await createVault({
    kdf: 'interactive',
    database: handle,
    ...(options.now ? { now: options.now } : {}),
  })
  const app = await createWebApp({
    vault,
    database: handle,
    config: { issuer: ORIGIN },
    ...(options.now ? { now: options.now } : {}),
    ...(options.onUnexpectedError ? { onUnexpectedError: options.onUnexpectedError } : {}),
  })
  return {
    app,
    browser: new PageClient(app),
    other: new PageClient(app),
    vault,
    async dispose() {
      await vault.close().catch(() => undefined)
      await db.dispose()
    },
  }
}

/** A web app on an initialized, unsealed vault, with `browser` signed in. */
export async function signedInPages(options: FixtureOptions = {}): Promise<PagesFixture> {
  const testVault = await createTestVault(options.now ? { now: options.now } : {})
  const app = await createWebApp({
    vault: testVault.vault,
    database: testVault.handle,
    config: { issuer: ORIGIN },
    ...(options.now ? { now: options.now } : {}),
    ...(options.onUnexpectedError ? { onUnexpectedError: options.onUnexpectedError } : {}),
  })
  const browser = new PageClient(app)
  const res = await browser.post('/signin', { passphrase: PASSPHRASE })
  if (res.status !== 303) throw new Error(`sign-in failed: ${res.status}`)
  return {
    app,
    browser,
    other: new PageClient(app),
    vault: testVault.vault,
    testVault,
    dispose: () => testVault.dispose(),
  }
}

/**
 * Accessibility check for a rendered page: every visible form control has a name a screen reader
 * can read — a `<label for>` matching its id, or a label wrapped around it. Returns the offenders.
 */
export function unlabelledControls(pageHtml: string): string[] {
  const labelled = new Set([...pageHtml.matchAll(/<label\b[^>]*\bfor="([^"]+)"/g)].map((m) => m[1]))
  const wrapped = [...pageHtml.matchAll(/<label\b[^>]*>([\s\S]*?)<\/label>/g)].map(
    (m) => m[1] ?? '',
  )
  const offenders: string[] = []
  for (const m of pageHtml.matchAll(/<(input|select|textarea)\b([^>]*)>/g)) {
    const attrs = m[2] ?? ''
    const type = /\btype="([^"]+)"/.exec(attrs)?.[1] ?? 'text'
    if (m[1] === 'input' && ['hidden', 'submit', 'button'].includes(type)) continue
    const id = /\bid="([^"]+)"/.exec(attrs)?.[1]
    if (id && labelled.has(id)) continue
    if (wrapped.some((w) => w.includes(m[0]))) continue
    offenders.push(m[0])
  }
  return offenders
}

/** The visible text of a page, for assertions on wording (tags dropped, entities decoded). */
export function textOf(pageHtml: string): string {
  return pageHtml
    .replace(/<[^>]+>/g, ' ')
    .replace(/&#39;/g, "'")
    .replace(/&quot;/g, '"')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&amp;/g, '&')
    .replace(/\s+/g, ' ')
}

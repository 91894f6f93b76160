/**
 * Test support for the owner's pages: the web app on a fresh test vault (SQLite), a signed-in
 * owner (POST /owner/session: the session cookie and its CSRF token), and a small browser-like
 * driver — GET a page, POST a form (urlencoded or multipart) with the CSRF field, follow 303s —
 * all in-process through `app.request`.
 */
import type { Hono } from 'hono'
import type { Vault } from '@custos/vault'
import { createWebApp } from '../../src/web-app.js'
import { PASSPHRASE, type TestVault, createTestVault } from '@custos/vault/testing'

export { PASSPHRASE }
export const ISSUER = 'http://127.0.0.1'

let live: TestVault[] = []

export async function disposePageClients(): Promise<void> {
  const all = live
  live = []
  await Promise.all(all.map((tv) => tv.dispose()))
}

export type FormFields = Record<string, string | readonly string[] | File | readonly File[]>

export interface PageResponse {
  readonly status: number
  readonly location: string | null
  readonly html: string
  readonly headers: Headers
}

export async function pageClient(options: { now?: () => Date } = {}) {
  const tv = await createTestVault(options.now ? { now: options.now } : {})
  live.push(tv)
  const app: Hono = await createWebApp({
    vault: tv.vault,
    database: tv.handle,
    config: { issuer: ISSUER },
    ...(options.now ? { now: options.now } : {}),
  })
  const res = await app.request('/owner/session', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ passphrase: PASSPHRASE }),
  })
  if (res.status !== 201) throw new Error(`sign-in failed: ${res.status}`)
  const cookie = (res.headers.get('set-cookie') ?? '').split(';')[0] as string
  const csrf = ((await res.json()) as { csrf_token: string }).csrf_token

  const read = async (r: Response): Promise<PageResponse> => ({
    status: r.status,
    location: r.headers.get('location'),
    html: await r.text(),
    headers: r.headers,
  })

  const client = {
    tv,
    app,
    csrf,
    cookie,
    get vault(): Vault {
      return tv.vault
    },

    /** GET a page as the signed-in owner (or anonymously). */
    async get(path: string, o: { anonymous?: boolean } = {}): Promise<PageResponse> {
      return read(await app.request(path, { headers: o.anonymous ? {} : { cookie } }))
    },

    /**
     * POST a form as the browser would: the CSRF field added unless `csrf` is null (or another
     * value), urlencoded unless `multipart`. Repeated fields are arrays. No redirect is followed.
     */
    async post(
      path: string,
      fields: FormFields = {},
      o: { csrf?: string | null; multipart?: boolean } = {},
    ): Promise<PageResponse> {
      const token = o.csrf === undefined ? csrf : o.csrf
      const all: FormFields = token === null ? fields : { csrf_token: token, ...fields }
      let body: URLSearchParams | FormData
      if (o.multipart) {
        const form = new FormData()
        for (const [k, v] of Object.entries(all)) {
          if (v instanceof File) form.append(k, v)
          else for (const one of typeof v === 'string' ? [v] : v) form.append(k, one)
        }
        body = form
      } else {
        const params = new URLSearchParams()
        for (const [k, v] of Object.entries(all)) {
          for (const one of typeof v === 'string' ? [v] : v instanceof File ? [v] : v) {
            if (one instanceof File) throw new TypeError('files need multipart')
            params.append(k, one)
          }
        }
        body = params
      }
      return read(
        await app.request(path, { method: 'POST', headers: { cookie, origin: ISSUER }, body }),
      )
    },

    /** POST, expect a 303, and GET where it points (as a browser does after a form). */
    async submit(
      path: string,
      fields: FormFields = {},
      o: { multipart?: boolean } = {},
    ): Promise<PageResponse> {
      const res = await client.post(path, fields, o)
      if (res.status !== 303 || !res.location)
        throw new Error(`POST ${path}: expected 303, got ${res.status}: ${res.html.slice(0, 500)}`)
      return client.get(res.location.replace(/#.*$/, ''))
    },
  }
  return client
}

export type PageClient = Awaited<ReturnType<typeof pageClient>>

/** The text content of an HTML fragment, tags dropped and whitespace collapsed (entities kept). */
export function text(html: string): string {
  return html
    .replace(/<[^>]*>/g, ' ')
    .replace(/\s+/g, ' ')
    .trim()
}

/** The rows (`<tr>`) of the first table whose opening tag matches `tableClass`, as texts. */
export function tableRows(html: string, tableClass: string): string[] {
  const table = html.match(new RegExp(`<table class="${tableClass}"[\\s\\S]*?</table>`))?.[0] ?? ''
  const body = table.match(/<tbody>([\s\S]*?)<\/tbody>/)?.[1] ?? ''
  return [...body.matchAll(/<tr[\s\S]*?<\/tr>/g)].map((m) => text(m[0]))
}

/** The value of `href` of the first link whose text is `label`. */
export function linkHref(html: string, label: string): string | undefined {
  for (const m of html.matchAll(/<a\s[^>]*href="([^"]*)"[^>]*>([\s\S]*?)<\/a>/g))
    if (text(m[2] as string) === label) return (m[1] as string).replace(/&amp;/g, '&')
  return undefined
}

export const REDIRECT = 'https://fjord.example/cb'

/**
 * A vendor that went through the real front and back channel on this app: registered (RFC 7591),
 * sent the owner to the consent page, got approved for everything asked, exchanged the code
 * (PKCE, RFC 7636) — returns its access token and the grant the approval created.
 */
export async function connectedVendor(
  p: PageClient,
  scope = 'read:email read:prefs.sizes.*',
  metadata: Record<string, unknown> = {},
  untick: readonly string[] = [],
) {
  const { createHash, randomBytes } = await import('node:crypto')
  const reg = await p.app.request('/oauth/register', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      client_name: 'Fjord Outdoor',
      client_uri: 'https://fjord.example',
      redirect_uris: [REDIRECT],
      ...metadata,
    }),
  })
  if (reg.status !== 201) throw new Error(`registration: ${reg.status}`)
  const client = (await reg.json()) as { client_id: string; client_secret: string }
  const verifier = randomBytes(32).toString('base64url')
  const challenge = createHash('sha256').update(verifier).digest('base64url')
  const query = new URLSearchParams({
    client_id: client.client_id,
    response_type: 'code',
    redirect_uri: REDIRECT,
    scope,
    code_challenge: challenge,
    code_challenge_method: 'S256',
    state: 's1',
  })
  const consent = await p.get(`/oauth/authorize?${query}`)
  if (consent.status !== 200) throw new Error(`consent page: ${consent.status}`)
  const pending = consent.html.match(/name="request_id" value="([^"]+)"/)?.[1] as string
  const ticked = [
    ...consent.html.matchAll(/<input type="checkbox" name="([^"]+)" value="([^"]+)" checked>/g),
  ]
    .map((m): [string, string] => [m[1] as string, m[2] as string])
    .filter(([, value]) => !untick.includes(value))
  const decision = await p.app.request('/oauth/authorize/decision', {
    method: 'POST',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      cookie: p.cookie,
      origin: ISSUER,
    },
    body: new URLSearchParams([
      ['request_id', pending],
      ['csrf_token', p.csrf],
      ...ticked,
      ['decision', 'approve'],
    ]).toString(),
  })
  const code = new URL(decision.headers.get('location') ?? 'x:').searchParams.get('code')
  if (!code) throw new Error(`decision: ${decision.status}`)
  const basic = `Basic ${Buffer.from(`${encodeURIComponent(client.client_id)}:${encodeURIComponent(client.client_secret)}`).toString('base64')}`
  const backChannel = (path: string, fields: Record<string, string>) =>
    p.app.request(path, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: basic },
      body: new URLSearchParams(fields).toString(),
    })
  const token = await backChannel('/oauth/token', {
    grant_type: 'authorization_code',
    code,
    redirect_uri: REDIRECT,
    code_verifier: verifier,
  })
  if (token.status !== 200) throw new Error(`token: ${token.status}`)
  const { access_token: accessToken, refresh_token: refreshToken } = (await token.json()) as {
    access_token: string
    refresh_token: string
  }
  const [grant] = await p.vault.grants.list({ status: 'active' })
  if (!grant) throw new Error('no grant')
  return {
    clientId: client.client_id,
    grant,
    accessToken,
    refreshToken,
    /** GET /v1/profile with the bearer token: status and the fields it got. */
    async readProfile(): Promise<{ status: number; fields?: Record<string, unknown> }> {
      const res = await p.app.request('/v1/profile', {
        headers: { authorization: `Bearer ${accessToken}` },
      })
      return res.status === 200
        ? {
            status: 200,
            fields: ((await res.json()) as { fields: Record<string, unknown> }).fields,
          }
        : { status: res.status }
    },
    /** RFC 7662 introspection of a token, as the vendor. */
    async introspect(token: string): Promise<{ active: boolean }> {
      return (await (await backChannel('/oauth/introspect', { token })).json()) as {
        active: boolean
      }
    },
  }
}

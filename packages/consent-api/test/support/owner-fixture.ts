/**
 * Test support for the owner API: a vault on a fake clock shared with the app, the owner's
 * sign-in (POST /owner/session) and one `call` that sends JSON, the session cookie and the CSRF
 * token the way the web app does — all in-process through `app.request`.
 */
import type { Kysely } from 'kysely'
import type { Vault } from '@custos/vault'
import { type AppContext, createAppContext } from '../../src/app-context.js'
import { parseConfig } from '../../src/config.js'
import type { ApiTables } from '../../src/db/api-schema.js'
import { createApp } from '../../src/index.js'
import { PASSPHRASE, type TestVault, createTestVault } from '@custos/vault/testing'

export { PASSPHRASE }
export const ISSUER = 'https://vault.example'

export interface Owner {
  readonly cookie: string
  readonly csrf: string
  /** The raw Set-Cookie header of the sign-in. */
  readonly setCookie: string
}

export interface CallOptions {
  /** A JSON body (sent as application/json). */
  readonly json?: unknown
  /** A raw body with its content type. */
  readonly body?: RequestInit['body']
  readonly type?: string
  readonly headers?: Record<string, string>
  /** Overrides the session's CSRF token; null sends none. */
  readonly csrf?: string | null
}

let live: TestVault[] = []

export async function disposeOwnerFixtures(): Promise<void> {
  const all = live
  live = []
  await Promise.all(all.map((tv) => tv.dispose()))
}

export async function ownerFixture(options: { vault?: (v: Vault) => Vault } = {}) {
  let t = Date.now()
  const now = () => new Date(t)
  const tv = await createTestVault({ now })
  live.push(tv)
  const app = await createApp({
    vault: options.vault ? options.vault(tv.vault) : tv.vault,
    database: tv.handle,
    config: { issuer: ISSUER },
    now,
  })
  // A context like the one createApp builds (its own stores), for the stores in tests.
  const base = {
    vault: tv.vault,
    db: tv.handle.db as unknown as Kysely<ApiTables>,
    config: parseConfig({ issuer: ISSUER }),
    now,
  }
  const ctx: AppContext = createAppContext(base)

  const f = {
    tv,
    app,
    ctx,
    now,
    advance(seconds: number) {
      t += seconds * 1000
    },

    async signIn(passphrase: string = PASSPHRASE): Promise<Owner> {
      const res = await app.request('/owner/session', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ passphrase }),
      })
      if (res.status !== 201) throw new Error(`sign-in failed: ${res.status}`)
      const setCookie = res.headers.get('set-cookie') ?? ''
      return {
        cookie: setCookie.split(';')[0] as string,
        csrf: ((await res.json()) as { csrf_token: string }).csrf_token,
        setCookie,
      }
    },

    /** A request as the web app makes it: session cookie, CSRF token on unsafe methods, JSON. */
    async call(
      owner: Owner | undefined,
      method: string,
      path: string,
      o: CallOptions = {},
    ): Promise<Response> {
      const headers: Record<string, string> = {}
      if (owner) headers.cookie = owner.cookie
      const csrf = o.csrf === undefined ? owner?.csrf : o.csrf
      if (csrf !== null && csrf !== undefined && method !== 'GET') headers['x-csrf-token'] = csrf
      let body: RequestInit['body'] | undefined = o.body
      if (o.json !== undefined) {
        headers['content-type'] = 'application/json'
        body = JSON.stringify(o.json)
      }
      if (o.type !== undefined) headers['content-type'] = o.type
      return app.request(path, {
        method,
        headers: { ...headers, ...o.headers },
        ...(body !== undefined ? { body } : {}),
      })
    },

    /** Calls and parses the JSON answer, failing loudly on an unexpected status. */
    async json<T = Record<string, unknown>>(
      owner: Owner | undefined,
      method: string,
      path: string,
      o: CallOptions = {},
      status = 200,
    ): Promise<T> {
      const res = await f.call(owner, method, path, o)
      if (res.status !== status)
        throw new Error(
          `${method} ${path}: expected ${status}, got ${res.status} ${await res.text()}`,
        )
      return (await res.json()) as T
    },
  }
  return f
}

export type OwnerFixture = Awaited<ReturnType<typeof ownerFixture>>

export const ORDER = {
  seller: 'Fjord Outdoor',
  orderDate: '2026-03-14',
  currency: 'EUR',
  total: 129.9,
  category: 'outdoor',
  items: [{ name: 'Rain jacket', quantity: 1, price: 129.9 }],
}

/**
 * Every guarded owner route, with a body that would pass validation where one is needed, so a
 * refusal can only come from the guard. `:id` placeholders are filled by the caller.
 */
export const GUARDED_ROUTES: readonly { method: string; path: string; json?: unknown }[] = [
  { method: 'POST', path: '/owner/lock' },
  { method: 'GET', path: '/owner/fields' },
  { method: 'PUT', path: '/owner/fields/email', json: { value: 'grace@example.org' } },
  { method: 'DELETE', path: '/owner/fields/email' },
  { method: 'GET', path: '/owner/vocabulary' },
  { method: 'GET', path: '/owner/purchases' },
  { method: 'POST', path: '/owner/purchases', json: ORDER },
  { method: 'GET', path: '/owner/purchases/:purchase' },
  { method: 'PUT', path: '/owner/purchases/:purchase', json: ORDER },
  { method: 'DELETE', path: '/owner/purchases/:purchase' },
  { method: 'POST', path: '/owner/purchases/import', json: [ORDER] },
  { method: 'GET', path: '/owner/vendors' },
  { method: 'POST', path: '/owner/vendors/:vendor/block', json: { blocked: true } },
  { method: 'POST', path: '/owner/vendors/:vendor/erasure' },
  { method: 'GET', path: '/owner/grants' },
  { method: 'GET', path: '/owner/grants/:grant' },
  { method: 'POST', path: '/owner/grants/:grant/narrow', json: { fields: ['email'] } },
  { method: 'POST', path: '/owner/grants/:grant/revoke' },
  { method: 'GET', path: '/owner/grants/:grant/receipt' },
  { method: 'GET', path: '/owner/grants/:grant/consent-record' },
  { method: 'GET', path: '/owner/receipts' },
  { method: 'GET', path: '/owner/receipts/export' },
  { method: 'GET', path: '/owner/agreements' },
  { method: 'GET', path: '/owner/agreements/export' },
  { method: 'GET', path: '/owner/terms' },
  { method: 'PUT', path: '/owner/terms', json: { proffered: ['SD-BASE'] } },
  { method: 'GET', path: '/owner/inbox' },
  { method: 'POST', path: '/owner/inbox/:pending/accept' },
  { method: 'POST', path: '/owner/inbox/:pending/reject' },
  { method: 'GET', path: '/owner/audit' },
  { method: 'GET', path: '/owner/audit/verify' },
  { method: 'POST', path: '/owner/audit/acknowledge' },
  {
    method: 'POST',
    path: '/owner/passphrase',
    json: { current: PASSPHRASE, next: 'a brand new long passphrase' },
  },
  { method: 'POST', path: '/owner/keys/rotate' },
  { method: 'GET', path: '/owner/keys/rotation' },
  { method: 'GET', path: '/owner/export' },
  { method: 'POST', path: '/owner/import?mode=merge', json: { format: 'custos-export' } },
  { method: 'GET', path: '/owner/backup' },
  { method: 'POST', path: '/owner/restore' },
  { method: 'GET', path: '/owner/registration' },
  { method: 'PUT', path: '/owner/registration', json: { mode: 'token' } },
  { method: 'POST', path: '/owner/registration/tokens', json: { label: 'Fjord Outdoor' } },
  { method: 'DELETE', path: '/owner/registration/tokens/:token' },
  { method: 'GET', path: '/owner/receipt-settings' },
  { method: 'PUT', path: '/owner/receipt-settings', json: { jurisdiction: 'DE' } },
  { method: 'GET', path: '/owner/purpose-policy' },
  { method: 'PUT', path: '/owner/purpose-policy', json: { neverFor: ['dpv:Marketing'] } },
]

/** A vendor with an active read + append grant, and a pending inbox receipt, for the routes' ids. */
export async function seedIds(f: OwnerFixture): Promise<Record<string, string>> {
  const vendor = await f.tv.vault.vendors.register({
    name: 'Fjord Outdoor',
    uri: 'https://fjord.example',
  })
  await f.tv.vault.fields.set('email', 'ada@example.org')
  const grant = await f.tv.vault.grants.create({
    vendorId: vendor.id,
    fields: ['email', 'prefs.sizes.*'],
    actions: ['read', 'append'],
    purpose: 'Sizing',
    durationSeconds: 86400,
  })
  const purchase = await f.tv.vault.purchases.add(ORDER)
  const pending = await f.tv.vault.inbox.append(grant.id, { ...ORDER, orderDate: '2026-04-01' })
  const token = await f.ctx.stores.registration.createToken('Fjord Outdoor')
  return {
    vendor: vendor.id,
    grant: grant.id,
    purchase: purchase.id,
    pending: pending.id,
    token: token.id,
  }
}

export const fill = (path: string, ids: Record<string, string>) =>
  path.replace(/:([a-z]+)/g, (_m, name: string) => ids[name] ?? name)

/**
 * Fjord Outdoor, a small reference vendor for Custos (README "For vendors"): a hono app whose
 * customer record is what each customer's vault grants. Routes only; the OAuth side is
 * custos-connection.ts, the use cases shop-service.ts, the RFC 8935 receiver signal-receiver.ts.
 *
 * @example
 * const shop = createShopApp({ baseUrl: 'http://127.0.0.1:7400', defaultCustos: 'http://127.0.0.1:7300' })
 * serve({ fetch: shop.app.fetch, hostname: '127.0.0.1', port: 7400 })
 */
import { randomBytes } from 'node:crypto'
import { Hono } from 'hono'
import type { Context } from 'hono'
import { getCookie, setCookie } from 'hono/cookie'
import { CustosError } from './custos-connection.js'
import { accountPage, connectPage, problemPage } from './shop-pages.js'
import { FjordShop } from './shop-service.js'
import { ShopStore } from './shop-store.js'
import { signalReceiver } from './signal-receiver.js'

const COOKIE = 'fjord_customer'

export interface ShopOptions {
  /** Where the shop is reached: its callback and events endpoint are under it. */
  readonly baseUrl: string
  /** The Custos address the connect form offers. */
  readonly defaultCustos?: string
  /** How the shop reaches vaults (tests pass the vault app's handler); the global fetch by default. */
  readonly fetch?: typeof fetch
}

export interface Shop {
  readonly app: Hono
  readonly shop: FjordShop
}

/** The customer's id at the shop: a random cookie, set on the first visit. */
function customerId(c: Context): string {
  const known = getCookie(c, COOKIE)
  if (known && /^c_[A-Za-z0-9_-]{22}$/.test(known)) return known
  const id = `c_${randomBytes(16).toString('base64url')}`
  // SameSite=Lax: the browser does not send it on another site's POST, which is the shop's
  // protection against cross-site form posts (the connect form, the receipt button).
  setCookie(c, COOKIE, id, { httpOnly: true, sameSite: 'Lax', path: '/' })
  return id
}

export function createShopApp(options: ShopOptions): Shop {
  const shop = new FjordShop(
    { name: 'Fjord Outdoor', baseUrl: options.baseUrl.replace(/\/+$/, '') },
    new ShopStore(),
    options.fetch ? { fetch: options.fetch } : {},
  )
  const defaultCustos = options.defaultCustos ?? ''
  const app = new Hono()

  app.get('/', (c) => {
    const record = shop.store.customer(customerId(c))
    if (record) return c.redirect('/account', 303)
    return c.html(connectPage(defaultCustos))
  })

  app.post('/connect', async (c) => {
    const id = customerId(c)
    const form = await c.req.parseBody().catch(() => ({}) as Record<string, unknown>)
    const raw = (form as Record<string, unknown>).custos
    let issuer: URL
    try {
      issuer = new URL(typeof raw === 'string' ? raw : '')
    } catch {
      return c.html(
        problemPage(
          'Not a Custos address',
          'Enter your Custos address, e.g. https://vault.example.',
        ),
        400,
      )
    }
    if (issuer.protocol !== 'https:' && issuer.protocol !== 'http:')
      return c.html(
        problemPage('Not a Custos address', 'A Custos address starts with https://.'),
        400,
      )
    try {
      return c.redirect((await shop.beginConnect(id, issuer)).href, 303)
    } catch (err) {
      return c.html(problemPage('Could not reach your Custos', reason(err)), 502)
    }
  })

  app.get('/custos/callback', async (c) => {
    const url = new URL(c.req.url)
    if (url.searchParams.has('error'))
      // RFC 6749 §4.1.2.1: the customer said no (or the vault refused); nothing is kept.
      return c.html(
        connectPage(defaultCustos, 'Not connected: your Custos did not grant access.'),
        400,
      )
    try {
      const record = await shop.completeConnect(customerId(c), url)
      if (!record)
        return c.html(
          problemPage('Unknown callback', 'This answer is not one the shop asked for.'),
          400,
        )
      return c.redirect('/account', 303)
    } catch (err) {
      return c.html(problemPage('Could not connect', reason(err)), 502)
    }
  })

  app.get('/account', (c) => {
    const record = shop.store.customer(customerId(c))
    if (!record) return c.html(connectPage(defaultCustos, 'Fjord Outdoor holds nothing about you.'))
    const notice =
      c.req.query('sent') === '1' ? 'Your receipt is in your vault’s inbox.' : undefined
    return c.html(accountPage(record, notice))
  })

  app.post('/account/receipts', async (c) => {
    const record = shop.store.customer(customerId(c))
    if (record?.status !== 'connected')
      return c.html(problemPage('Not connected', 'Connect your Custos first.'), 409)
    try {
      await shop.sendReceipt(record)
      return c.redirect('/account?sent=1', 303)
    } catch (err) {
      return c.html(problemPage('Receipt not sent', reason(err)), 502)
    }
  })

  // After she accepted an offer: ask for the fields her intent discloses, approved on her consent page.
  app.post('/account/intent-fields', async (c) => {
    const record = shop.store.customer(customerId(c))
    if (record?.status !== 'connected' || record.fieldsToApprove.length === 0)
      return c.html(problemPage('Nothing to approve', 'No accepted offer waits for fields.'), 409)
    try {
      const to = await shop.beginConnect(record.id, new URL(record.issuer), record.fieldsToApprove)
      return c.redirect(to.href, 303)
    } catch (err) {
      return c.html(problemPage('Could not reach your Custos', reason(err)), 502)
    }
  })

  app.route('/custos/events', signalReceiver(shop))
  app.notFound((c) => c.html(problemPage('Not found', 'No such page at Fjord Outdoor.'), 404))
  // Never crash, never leak: anything unexpected is a bare 500.
  app.onError((_err, c) => c.html(problemPage('Something went wrong', 'Please try again.'), 500))
  return { app, shop }
}

/** Words for the customer: the shop's own errors say what happened; anything else stays vague. */
function reason(err: unknown): string {
  return err instanceof CustosError ? err.message : 'Your Custos did not answer as expected.'
}

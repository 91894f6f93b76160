/**
 * Model-based test of consent (issue 15, "Reliability"): any sequence of owner and vendor actions —
 * consent through the real OAuth flow, refresh (rotation, and reuse of a spent refresh token), the
 * vendor revoking its own token (RFC 7009), the owner revoking or narrowing a grant (fields or
 * expiry), time passing — against a small reference model of who may read what. After every step
 * that reads, the vendor reads exactly what the model allows: never more (SECURITY.md 13, 15, 18),
 * and not less. Everything goes through the HTTP API in-process, so token checks are included.
 * Bounded in the default suite; CUSTOS_LONG=1 runs many more sequences.
 */
import fc from 'fast-check'
import { afterEach, describe, expect, it } from 'vitest'
import {
  type Client,
  type OAuthFixture,
  type Owner,
  PROFILE,
  REDIRECT,
  type TokenResponse,
  checkedBoxes,
  disposeFixtures,
  oauthFixture,
  pkce,
} from './support/oauth-fixture.js'

afterEach(disposeFixtures)

const LONG = process.env.CUSTOS_LONG === '1'

/** The scopes a vendor may ask for, and the profile paths each one reads. */
const SELECTORS = {
  email: ['email'],
  'name.given': ['name.given'],
  telephone: ['telephone'],
  'prefs.sizes.*': ['prefs.sizes.shoe', 'prefs.sizes.top'],
} as const satisfies Record<string, (keyof typeof PROFILE)[]>
type Selector = keyof typeof SELECTORS
const ALL = Object.keys(SELECTORS) as Selector[]
const ACCESS_SECONDS = 600

interface ModelGrant {
  readonly vendor: number
  fields: Selector[]
  expiresAt: number
  revoked: boolean
}
interface ModelToken {
  readonly grant: number
  readonly family: number
  readonly kind: 'access' | 'refresh'
  readonly expiresAt: number
  revoked: boolean
  used: boolean
}
interface Model {
  now: number
  readonly grants: ModelGrant[]
  readonly tokens: ModelToken[]
  families: number
}
interface Real {
  readonly f: OAuthFixture
  readonly clients: Client[]
  owner: Owner
  readonly grantIds: string[]
  /** The real token of each model token, at the same index. */
  readonly tokens: string[]
}

const grantAlive = (m: Model, g: ModelGrant) => !g.revoked && m.now < g.expiresAt
const tokenAlive = (m: Model, t: ModelToken) =>
  !t.revoked && !t.used && m.now < t.expiresAt && grantAlive(m, m.grants[t.grant] as ModelGrant)

/** What the model lets the holder of access token `t` read: undefined when nothing (a refusal). */
function allowed(m: Model, t: ModelToken): Record<string, unknown> | undefined {
  if (t.kind !== 'access' || !tokenAlive(m, t)) return undefined
  const grant = m.grants[t.grant] as ModelGrant
  const paths = new Set(grant.fields.flatMap((s) => SELECTORS[s]))
  return Object.fromEntries(Object.entries(PROFILE).filter(([path]) => paths.has(path as never)))
}

/** A new access/refresh pair in the model, as the token store issues it. */
function issue(m: Model, grant: number, family: number, refreshExpiresAt?: number): void {
  const g = m.grants[grant] as ModelGrant
  const access = Math.min(ACCESS_SECONDS * 1000, Math.max(0, g.expiresAt - m.now))
  m.tokens.push({
    grant,
    family,
    kind: 'access',
    expiresAt: m.now + access,
    revoked: false,
    used: false,
  })
  m.tokens.push({
    grant,
    family,
    kind: 'refresh',
    expiresAt: refreshExpiresAt ?? m.now + 30 * 86400_000,
    revoked: false,
    used: false,
  })
}

/** An owner API call; a session that went idle while the clock moved is replaced by a new one. */
async function ownerCall(r: Real, method: string, path: string, body?: unknown): Promise<Response> {
  const call = () =>
    r.f.app.request(path, {
      method,
      headers: {
        cookie: r.owner.cookie,
        'x-csrf-token': r.owner.csrf,
        ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
      },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    })
  const res = await call()
  if (res.status !== 401) return res
  r.owner = await r.f.signIn()
  return call()
}

function pushTokens(r: Real, body: TokenResponse): void {
  r.tokens.push(body.access_token, body.refresh_token)
}

class Consent implements fc.AsyncCommand<Model, Real> {
  constructor(
    readonly vendor: number,
    readonly fields: Selector[],
    readonly seconds: number,
  ) {}
  check = (m: Readonly<Model>) => m.grants.length < 6
  async run(m: Model, r: Real): Promise<void> {
    const client = r.clients[this.vendor] as Client
    const { verifier, challenge } = pkce()
    const query = {
      client_id: client.id,
      response_type: 'code',
      redirect_uri: REDIRECT,
      scope: this.fields.map((s) => `read:${s}`).join(' '),
      code_challenge: challenge,
      code_challenge_method: 'S256',
      state: 'st',
    }
    let back: URL
    try {
      back = await r.f.consent(
        query,
        (html) => [
          ...checkedBoxes(html),
          ['duration_seconds', String(this.seconds)],
          ['decision', 'approve'],
        ],
        r.owner,
      )
    } catch {
      r.owner = await r.f.signIn()
      back = await r.f.consent(
        query,
        (html) => [
          ...checkedBoxes(html),
          ['duration_seconds', String(this.seconds)],
          ['decision', 'approve'],
        ],
        r.owner,
      )
    }
    const code = back.searchParams.get('code')
    expect(code, back.search).toBeTruthy()
    const res = await r.f.exchange(client, code as string, verifier)
    expect(res.status).toBe(200)
    const body = (await res.json()) as TokenResponse & {
      authorization_details: { grant_id?: string; expires_at: string }[]
    }
    const grant: ModelGrant = {
      vendor: this.vendor,
      fields: [...this.fields],
      expiresAt: m.now + this.seconds * 1000,
      revoked: false,
    }
    // The grant ends when the owner said, counted from the decision.
    expect(Date.parse(body.authorization_details[0]?.expires_at as string)).toBe(grant.expiresAt)
    // The new grant's id, as the owner sees it: the one of this vendor not known yet.
    const list = await ownerCall(r, 'GET', `/owner/grants?vendorId=${client.id}`)
    const fresh = ((await list.json()) as { grants: { id: string }[] }).grants.filter(
      (x) => !r.grantIds.includes(x.id),
    )
    expect(fresh).toHaveLength(1)
    const grantId = (fresh[0] as { id: string }).id
    m.grants.push(grant)
    r.grantIds.push(grantId as string)
    issue(m, m.grants.length - 1, m.families++)
    pushTokens(r, body)
  }
  toString = () => `consent(v${this.vendor}, ${this.fields.join(' ')}, ${this.seconds}s)`
}

class Read implements fc.AsyncCommand<Model, Real> {
  constructor(readonly pick: number) {}
  check = (m: Readonly<Model>) => m.tokens.length > 0
  async run(m: Model, r: Real): Promise<void> {
    const i = this.pick % m.tokens.length
    const t = m.tokens[i] as ModelToken
    const res = await r.f.app.request('/v1/profile', {
      headers: { authorization: `Bearer ${r.tokens[i]}` },
    })
    const text = await res.text()
    const expected = allowed(m, t)
    if (expected === undefined) {
      expect(res.status, `token ${i} (${t.kind}) must be refused: ${text}`).toBe(401)
      for (const value of Object.values(PROFILE)) expect(text).not.toContain(value)
    } else {
      expect(res.status, `token ${i} must read: ${text}`).toBe(200)
      expect(JSON.parse(text)).toEqual({ fields: expected })
    }
  }
  toString = () => `read(${this.pick})`
}

class Refresh implements fc.AsyncCommand<Model, Real> {
  constructor(readonly pick: number) {}
  check = (m: Readonly<Model>) => m.tokens.some((t) => t.kind === 'refresh')
  async run(m: Model, r: Real): Promise<void> {
    const refreshes = m.tokens.flatMap((t, i) => (t.kind === 'refresh' ? [i] : []))
    const i = refreshes[this.pick % refreshes.length] as number
    const t = m.tokens[i] as ModelToken
    const g = m.grants[t.grant] as ModelGrant
    const res = await r.f.refresh(r.clients[g.vendor] as Client, r.tokens[i] as string)
    if (tokenAlive(m, t)) {
      expect(res.status).toBe(200)
      t.used = true
      issue(m, t.grant, t.family, t.expiresAt)
      pushTokens(r, (await res.json()) as TokenResponse)
      return
    }
    expect(res.status).toBe(400)
    expect(((await res.json()) as { error: string }).error).toBe('invalid_grant')
    // RFC 9700 §4.14.2: a spent refresh token presented again revokes its whole family.
    if (t.used) for (const other of m.tokens) if (other.family === t.family) other.revoked = true
  }
  toString = () => `refresh(${this.pick})`
}

class VendorRevoke implements fc.AsyncCommand<Model, Real> {
  constructor(readonly pick: number) {}
  check = (m: Readonly<Model>) => m.tokens.length > 0
  async run(m: Model, r: Real): Promise<void> {
    const i = this.pick % m.tokens.length
    const t = m.tokens[i] as ModelToken
    const g = m.grants[t.grant] as ModelGrant
    const res = await r.f.post('/oauth/revoke', r.clients[g.vendor] as Client, {
      token: r.tokens[i] as string,
    })
    expect(res.status).toBe(200)
    // RFC 7009 §2.1: a refresh token takes its family with it; an access token only itself.
    if (t.kind === 'refresh') {
      for (const other of m.tokens) if (other.family === t.family) other.revoked = true
    } else t.revoked = true
  }
  toString = () => `vendorRevoke(${this.pick})`
}

class OwnerRevoke implements fc.AsyncCommand<Model, Real> {
  constructor(readonly pick: number) {}
  check = (m: Readonly<Model>) => m.grants.length > 0
  async run(m: Model, r: Real): Promise<void> {
    const i = this.pick % m.grants.length
    const res = await ownerCall(r, 'POST', `/owner/grants/${r.grantIds[i]}/revoke`)
    const g = m.grants[i] as ModelGrant
    if (!g.revoked) expect(res.status).toBe(200)
    else expect([200, 409]).toContain(res.status)
    g.revoked = true
  }
  toString = () => `ownerRevoke(${this.pick})`
}

class Narrow implements fc.AsyncCommand<Model, Real> {
  constructor(
    readonly pick: number,
    readonly keep: number,
    readonly shortenBy: number,
  ) {}
  check = (m: Readonly<Model>) => m.grants.length > 0
  async run(m: Model, r: Real): Promise<void> {
    const i = this.pick % m.grants.length
    const g = m.grants[i] as ModelGrant
    // A non-empty subset of what the grant has (bits of `keep`), and an earlier end.
    const fields = g.fields.filter((_, k) => (this.keep >> k) & 1)
    const next = fields.length > 0 ? fields : g.fields.slice(0, 1)
    const expiresAt = Math.max(m.now + 1000, g.expiresAt - this.shortenBy * 1000)
    const res = await ownerCall(r, 'POST', `/owner/grants/${r.grantIds[i]}/narrow`, {
      fields: next,
      expiresAt: new Date(expiresAt).toISOString(),
    })
    if (!grantAlive(m, g)) {
      // A revoked or ended grant is not narrowed (and stays dead either way).
      expect(res.status).toBeGreaterThanOrEqual(400)
      expect(res.status).toBeLessThan(500)
      return
    }
    expect(res.status, await res.clone().text()).toBe(200)
    g.fields = next
    g.expiresAt = Math.min(g.expiresAt, expiresAt)
  }
  toString = () => `narrow(${this.pick}, ${this.keep}, -${this.shortenBy}s)`
}

class Advance implements fc.AsyncCommand<Model, Real> {
  constructor(readonly seconds: number) {}
  check = () => true
  async run(m: Model, r: Real): Promise<void> {
    r.f.advance(this.seconds)
    m.now += this.seconds * 1000
  }
  toString = () => `advance(${this.seconds}s)`
}

const commands = [
  fc
    .tuple(
      fc.integer({ min: 0, max: 1 }),
      fc.subarray(ALL, { minLength: 1 }),
      fc.integer({ min: 60, max: 3600 }),
    )
    .map(([v, fields, s]) => new Consent(v, fields, s)),
  fc.nat().map((p) => new Read(p)),
  fc.nat().map((p) => new Read(p)),
  fc.nat().map((p) => new Refresh(p)),
  fc.nat().map((p) => new VendorRevoke(p)),
  fc.nat().map((p) => new OwnerRevoke(p)),
  fc
    .tuple(fc.nat(), fc.integer({ min: 0, max: 15 }), fc.integer({ min: 0, max: 1800 }))
    .map(([p, keep, s]) => new Narrow(p, keep, s)),
  fc.integer({ min: 1, max: 900 }).map((s) => new Advance(s)),
]

describe('consent, against a reference model', () => {
  it(
    'for any sequence of owner and vendor actions, a vendor reads exactly what the model allows',
    async () => {
      // One vault for all runs (its set-up is the slow part); each run has two vendors of its own,
      // so grants and tokens of earlier runs are out of its reach and out of its model.
      // Two vendors per run, many requests: the limits (not under test here) are raised to match.
      const many = { max: 100_000, seconds: 3600 }
      const f = await oauthFixture({
        limits: {
          registrationsPerAddress: many,
          registrations: many,
          authorizationRequests: 1_000_000,
          authorizationRequestsPerClient: 100_000,
        },
      })
      let owner = await f.signIn()
      await fc.assert(
        fc.asyncProperty(
          fc.commands(commands, { maxCommands: LONG ? 60 : 25, size: 'max' }),
          async (cmds) => {
            const real: Real = {
              f,
              clients: [await f.register(), await f.register({ client_name: 'Nordlys Books' })],
              owner,
              grantIds: [],
              tokens: [],
            }
            const model: Model = { now: f.now().getTime(), grants: [], tokens: [], families: 0 }
            await fc.asyncModelRun(() => ({ model, real }), cmds)
            // Finally every token is tried: the end state agrees with the model too.
            for (let i = 0; i < model.tokens.length; i++) await new Read(i).run(model, real)
            owner = real.owner
          },
        ),
        { numRuns: LONG ? 300 : 10 },
      )
    },
    LONG ? 1_800_000 : 60_000,
  )
})

/**
 * Issue 12, part 3: "a receipt for every grant, narrowing, expiry, revocation and denial, in two
 * shapes from the same record … The vendor receives each receipt, and can fetch all of its own."
 * Through HTTP: the vendor fetches its receipts with its client credentials (its token may be
 * dead), each verifies with jose against the published key in both shapes, every 27560 record
 * carries the guide's mandatory fields whatever the event, and each new receipt is announced.
 */
import { type JWTPayload, createLocalJWKSet, decodeJwt, jwtVerify } from 'jose'
import { afterEach, describe, expect, it } from 'vitest'
import { MANDATORY_FIELDS } from '../src/receipts/consent-record.js'
import {
  type Client,
  ISSUER,
  type OAuthFixture,
  REDIRECT,
  type TokenResponse,
  disposeFixtures,
  oauthFixture,
  ownerCall,
  pkce,
} from './support/oauth-fixture.js'

afterEach(disposeFixtures)

const DPV = 'https://w3id.org/dpv#'
type Payload = JWTPayload & Record<string, unknown>

interface Receipt {
  id: string
  event: string
  grant_id: string | null
  revision: number | null
  at: string
  receipt: string
  consent_record: string
}

async function receipts(
  f: OAuthFixture,
  client: Client,
  body: Record<string, unknown> = {},
): Promise<Response> {
  const { headers } = await client.auth()
  return f.app.request('/oauth/receipts', {
    method: 'POST',
    headers: { ...headers, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  })
}

async function allReceipts(f: OAuthFixture, client: Client): Promise<Receipt[]> {
  const res = await receipts(f, client)
  expect(res.status).toBe(200)
  expect(res.headers.get('cache-control')).toBe('no-store')
  return ((await res.json()) as { receipts: Receipt[] }).receipts
}

async function verify(f: OAuthFixture, jws: string, typ: string): Promise<Payload> {
  const jwks = await (await f.app.request('/.well-known/jwks.json')).json()
  const { payload } = await jwtVerify(jws, createLocalJWKSet(jwks as never), {
    issuer: ISSUER,
    typ,
    algorithms: ['EdDSA'],
  })
  return payload as Payload
}

function at(value: unknown, path: readonly (string | number)[]): unknown {
  return path.reduce<unknown>(
    (v, step) =>
      v !== null && typeof v === 'object'
        ? (v as Record<string | number, unknown>)[step]
        : undefined,
    value,
  )
}

/** Both shapes verify, say the same event, and the 27560 one has every mandatory field. */
/** The Kantara receipt's PII categories (its one service's one purpose). */
function piiCategories(kantara: Payload | undefined): unknown {
  return at(kantara, ['services', 0, 'purposes', 0, 'piiCategory'])
}

async function checkBoth(f: OAuthFixture, r: Receipt) {
  const kantara = await verify(f, r.receipt, 'consent-receipt+jwt')
  const record = await verify(f, r.consent_record, 'consent-record+jwt')
  expect(kantara.jti).toBe(r.id)
  expect(record.jti).toBe(r.id)
  expect(kantara.consentReceiptID).toBe(r.id)
  expect(record['dpv:hasIdentifier']).toBe(r.id)
  expect(kantara.iat).toBe(Math.floor(Date.parse(r.at) / 1000))
  expect(record['dct:created']).toBe(r.at)
  const missing = MANDATORY_FIELDS.filter((m) => at(record, m.path) === undefined)
  expect(missing.map((m) => m.field)).toEqual([])
  return {
    kantara: kantara as Payload & { custos: Record<string, unknown> },
    status: at(record, ['dpv:hasRecordOfActivity', 'dpv:hasConsentStatus', 0, '@type']),
    record,
  }
}

const codeRequest = (extra: Record<string, string> = {}) => ({
  response_type: 'code',
  redirect_uri: REDIRECT,
  code_challenge: pkce().challenge,
  code_challenge_method: 'S256',
  state: 'st-r',
  scope: 'read:email',
  ...extra,
})

describe('every consent event has receipts the vendor fetches', () => {
  it('given, narrowed, withdrawn: three receipts in order, each verifying in both shapes, the token long dead', async () => {
    const f = await oauthFixture()
    const client = await f.register({ contacts: ['privacy@fjord.example'] })
    const { code, verifier } = await f.code(client)
    const token = ((await (await f.exchange(client, code, verifier)).json()) as TokenResponse)
      .access_token
    const [grant] = await f.tv.vault.grants.list({ vendorId: client.id })
    const grantId = grant?.id as string
    f.advance(60)
    expect(
      (await ownerCall(f, 'POST', `/owner/grants/${grantId}/narrow`, { fields: ['email'] })).status,
    ).toBe(200)
    f.advance(60)
    expect((await ownerCall(f, 'POST', `/owner/grants/${grantId}/revoke`)).status).toBe(200)
    expect(
      (await f.app.request('/v1/grant', { headers: { authorization: `Bearer ${token}` } })).status,
    ).toBe(401)

    const all = await allReceipts(f, client)
    expect(all.map((r) => [r.id, r.event, r.grant_id, r.revision])).toEqual([
      [`${grantId}.1`, 'given', grantId, 1],
      [`${grantId}.2`, 'narrowed', grantId, 2],
      [`${grantId}.2.revoked`, 'withdrawn', grantId, 2],
    ])
    const [given, narrowed, withdrawn] = await Promise.all(all.map((r) => checkBoth(f, r)))
    // What was consented to at the time: the first receipt still lists both fields.
    expect(piiCategories(given?.kantara)).toEqual(['email', 'prefs.sizes.*'])
    expect(piiCategories(narrowed?.kantara)).toEqual(['email'])
    expect([given?.status, narrowed?.status, withdrawn?.status]).toEqual([
      'dpv:ConsentGiven',
      'dpv:ConsentGiven',
      'dpv:ConsentWithdrawn',
    ])
    expect(withdrawn?.kantara.custos).toMatchObject({ status: 'revoked', event: 'withdrawn' })
    // Asked again, the same bytes: a receipt is a fact, not a fresh statement.
    expect(await allReceipts(f, client)).toEqual(all)
    // One grant's receipts only.
    const one = await receipts(f, client, { grant_id: grantId, limit: 1 })
    const page = (await one.json()) as { receipts: Receipt[]; next?: string }
    expect(page.receipts.map((r) => r.id)).toEqual([`${grantId}.1`])
    const rest = (await (await receipts(f, client, { after: page.next })).json()) as {
      receipts: Receipt[]
      next?: string
    }
    expect(rest.receipts.map((r) => r.id)).toEqual([`${grantId}.2`, `${grantId}.2.revoked`])
    expect(rest.next).toBeUndefined()
  })

  it('an expiry and a denial have receipts too: dpv:ConsentExpired, dpv:ConsentRefused with what was asked', async () => {
    const f = await oauthFixture()
    const client = await f.register()
    // The owner says no on the consent page.
    const back = await f.consent({ client_id: client.id, ...codeRequest() }, () => [
      ['decision', 'deny'],
    ])
    expect(back.searchParams.get('error')).toBe('access_denied')
    // … then yes, to a grant that runs out.
    await f.code(
      client,
      { scope: 'read:email' },
      {
        choices: () => [
          ['field', 'email'],
          ['duration_seconds', '3600'],
          ['decision', 'approve'],
        ],
      },
    )
    f.advance(3601)
    const all = await allReceipts(f, client)
    expect(all.map((r) => r.event)).toEqual(['refused', 'given', 'expired'])
    const [refused, , expired] = await Promise.all(all.map((r) => checkBoth(f, r)))
    expect(refused?.status).toBe('dpv:ConsentRefused')
    expect(refused?.kantara.custos).toMatchObject({
      status: 'refused',
      event: 'refused',
      grantId: null,
      refusal: { reason: 'ERR_OWNER_DENIED', refused: [] },
    })
    expect(piiCategories(refused?.kantara)).toEqual(['email'])
    expect(expired?.status).toBe('dpv:ConsentExpired')
    expect(all[2]?.id).toBe(`${all[1]?.grant_id}.1.expired`)
    // The denial is in the owner's log.
    const log = await f.tv.vault.audit.list({ action: 'grant.denied' })
    expect(log[0]).toMatchObject({ actor: 'owner', vendorId: client.id })
  })

  it('a single-use grant’s one read has its receipt: consumed, dpv:ConsentExpired', async () => {
    const f = await oauthFixture()
    const client = await f.register()
    const details = JSON.stringify([
      {
        type: 'custos_fields',
        fields: ['email'],
        actions: ['read'],
        purpose: 'One delivery',
        access_mode: 'single_use',
      },
    ])
    const { code, verifier } = await f.code(client, {
      scope: undefined,
      authorization_details: details,
    })
    const token = ((await (await f.exchange(client, code, verifier)).json()) as TokenResponse)
      .access_token
    f.advance(5)
    const read = await f.app.request('/v1/profile', {
      headers: { authorization: `Bearer ${token}` },
    })
    expect(read.status).toBe(200)
    const all = await allReceipts(f, client)
    expect(all.map((r) => r.event)).toEqual(['given', 'consumed'])
    expect(all[1]?.id).toBe(`${all[0]?.grant_id}.1.used`)
    const used = await checkBoth(f, all[1] as Receipt)
    expect(used.status).toBe('dpv:ConsentExpired')
    expect(used.kantara.custos).toMatchObject({ status: 'consumed', event: 'consumed' })
  })

  it('a request refused by a "never for" purpose has a receipt naming it', async () => {
    const f = await oauthFixture()
    const client = await f.register()
    expect(
      (await ownerCall(f, 'PUT', '/owner/purpose-policy', { neverFor: ['dpv:Marketing'] })).status,
    ).toBe(200)
    const details = JSON.stringify([
      {
        type: 'custos_fields',
        fields: ['email'],
        actions: ['read'],
        purpose: 'Offers',
        purposes: ['dpv:Marketing'],
      },
    ])
    const par = await f.post('/oauth/par', client, codeRequest({ authorization_details: details }))
    expect(par.status).toBe(400)
    const [refused] = await allReceipts(f, client)
    const both = await checkBoth(f, refused as Receipt)
    expect(both.kantara.custos).toMatchObject({
      status: 'refused',
      refusal: { reason: 'ERR_PURPOSE_REFUSED', refused: [`${DPV}Marketing`] },
      purposes: [`${DPV}Marketing`],
    })
  })

  it('each new receipt is announced to the vendor by a receipt-issued signal naming it', async () => {
    const f = await oauthFixture()
    const client = await f.register()
    await f.code(client)
    const { headers } = await client.auth()
    const polled = (await (
      await f.app.request('/oauth/events', {
        method: 'POST',
        headers: { ...headers, 'content-type': 'application/json' },
        body: JSON.stringify({ maxEvents: 10 }),
      })
    ).json()) as { sets: Record<string, string> }
    const notices = Object.values(polled.sets).map(
      (set) => (decodeJwt(set) as { events: Record<string, { receipt_id: string }> }).events,
    )
    const [receipt] = await allReceipts(f, client)
    expect(notices).toEqual([
      {
        'https://custos.dev/secevent/receipt-issued': {
          receipt_id: receipt?.id,
          grant_id: receipt?.grant_id,
        },
      },
    ])
  })

  it('the owner holds the very same receipts: GET /owner/receipts and its export', async () => {
    const f = await oauthFixture()
    const a = await f.register()
    const b = await f.register()
    await f.code(a)
    await f.code(b)
    const [grant] = await f.tv.vault.grants.list({ vendorId: a.id })
    await ownerCall(f, 'POST', `/owner/grants/${grant?.id}/revoke`)
    const vendors = await allReceipts(f, a)
    const owner = (await (
      await ownerCall(f, 'GET', `/owner/receipts?vendorId=${a.id}`)
    ).json()) as {
      receipts: { id: string; vendorId: string; receipt: string; consentRecord: string }[]
    }
    expect(owner.receipts.map((r) => [r.id, r.receipt, r.consentRecord])).toEqual(
      vendors.map((r) => [r.id, r.receipt, r.consent_record]),
    )
    const all = (await (await ownerCall(f, 'GET', '/owner/receipts?limit=2')).json()) as {
      receipts: { vendorId: string }[]
      next?: string
    }
    expect(all.receipts).toHaveLength(2)
    const more = (await (
      await ownerCall(f, 'GET', `/owner/receipts?after=${all.next}`)
    ).json()) as { receipts: { vendorId: string }[] }
    expect([...all.receipts, ...more.receipts].map((r) => r.vendorId).sort()).toEqual(
      [a.id, a.id, b.id].sort(),
    )
    const file = (await (await ownerCall(f, 'GET', '/owner/receipts/export')).json()) as {
      format: string
      count: number
    }
    expect(file).toMatchObject({ format: 'custos-receipts', version: 1, count: 3 })
    expect((await ownerCall(f, 'GET', '/owner/receipts?after=bogus')).status).toBe(400)
    expect((await ownerCall(f, 'GET', '/owner/receipts?limit=0')).status).toBe(400)
    expect(
      (await ownerCall(f, 'GET', '/owner/receipts/export?vendorId=ven_nosuchvendor000000')).status,
    ).toBe(404)
  })

  it('refuses another vendor’s grant, a cursor it did not make, a public client and no authentication', async () => {
    const f = await oauthFixture()
    const a = await f.register()
    const b = await f.register()
    await f.code(a)
    const [grant] = await f.tv.vault.grants.list({ vendorId: a.id })
    const other = await receipts(f, b, { grant_id: grant?.id })
    expect(other.status).toBe(400)
    expect(((await other.json()) as { error: string }).error).toBe('invalid_request')
    expect((await receipts(f, a, { after: 'not-a-cursor' })).status).toBe(400)
    expect((await receipts(f, a, { limit: 1000 })).status).toBe(400)
    const anonymous = await f.app.request('/oauth/receipts', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{}',
    })
    expect(anonymous.status).toBe(401)
    const pub = await f.register({ token_endpoint_auth_method: 'none' })
    const asPublic = await f.app.request('/oauth/receipts', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ client_id: pub.id }),
    })
    expect(asPublic.status).toBe(400)
    expect(((await asPublic.json()) as { error: string }).error).toBe('unauthorized_client')
  })
})

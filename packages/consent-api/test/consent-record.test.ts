/**
 * Issue 12, part 3: the consent receipt in a second shape — an ISO/IEC TS 27560 consent record in
 * the W3C DPV profile (https://w3id.org/dpv/guides/consent-27560), signed by the vault's key like
 * the Kantara receipt, carrying every field the guide lists as mandatory, and saying the consent's
 * state with DPV's consent statuses as the grant is given, narrowed, withdrawn and expires.
 */
import { type JWTPayload, createLocalJWKSet, decodeProtectedHeader, jwtVerify } from 'jose'
import { afterEach, describe, expect, it } from 'vitest'
import { MANDATORY_FIELDS, isoDuration } from '../src/receipts/consent-record.js'
import {
  ISSUER,
  type OAuthFixture,
  type TokenResponse,
  disposeFixtures,
  oauthFixture,
} from './support/oauth-fixture.js'

afterEach(disposeFixtures)

const DPV = 'https://w3id.org/dpv#'
type Payload = JWTPayload & Record<string, unknown>

/** A vendor connected through the real consent flow: its bearer token and the grant's id. */
async function connect(f: OAuthFixture) {
  const client = await f.register({ contacts: ['privacy@fjord.example'] })
  const { code, verifier } = await f.code(client)
  const res = await f.exchange(client, code, verifier)
  expect(res.status).toBe(200)
  const { access_token } = (await res.json()) as TokenResponse
  const [grant] = await f.tv.vault.grants.list({ vendorId: client.id })
  return { token: access_token, grantId: (grant as { id: string }).id }
}

async function fromVendor(f: OAuthFixture, token: string) {
  const res = await f.app.request('/v1/grant', { headers: { authorization: `Bearer ${token}` } })
  expect(res.status).toBe(200)
  return (await res.json()) as { receipt: string; consent_record: string }
}

async function fromOwner(f: OAuthFixture, grantId: string): Promise<string> {
  const { cookie } = await f.signIn()
  const res = await f.app.request(`/owner/grants/${grantId}/consent-record`, {
    headers: { cookie },
  })
  expect(res.status).toBe(200)
  return ((await res.json()) as { consent_record: string }).consent_record
}

async function verify(f: OAuthFixture, jws: string): Promise<Payload> {
  const jwks = await (await f.app.request('/.well-known/jwks.json')).json()
  const { payload } = await jwtVerify(jws, createLocalJWKSet(jwks as never), {
    issuer: ISSUER,
    typ: 'consent-record+jwt',
    algorithms: ['EdDSA'],
  })
  return payload as Payload
}

/** The value at a path of the payload (keys and array indexes), undefined when any step is missing. */
function at(value: unknown, path: readonly (string | number)[]): unknown {
  return path.reduce<unknown>(
    (v, step) =>
      v !== null && typeof v === 'object'
        ? (v as Record<string | number, unknown>)[step]
        : undefined,
    value,
  )
}

const record = (p: Payload) => p['dpv:hasRecordOfActivity'] as Record<string, unknown>
const processOf = (p: Payload) => record(p)['dpv:hasProcess'] as Record<string, unknown>
const eventOf = (p: Payload) =>
  (record(p)['dpv:hasConsentStatus'] as Record<string, unknown>[])[0] as Record<string, unknown>

describe('ISO/IEC TS 27560 consent records (DPV profile)', () => {
  it('verify against /.well-known/jwks.json and carry every field the guide makes mandatory', async () => {
    const f = await oauthFixture()
    const { token, grantId } = await connect(f)
    const { receipt, consent_record } = await fromVendor(f, token)
    const payload = await verify(f, consent_record)
    const grant = await f.tv.vault.grants.get(grantId)

    const jwk = (
      (await (await f.app.request('/.well-known/jwks.json')).json()) as {
        keys: { kid: string }[]
      }
    ).keys[0]
    expect(decodeProtectedHeader(consent_record)).toEqual({
      alg: 'EdDSA',
      typ: 'consent-record+jwt',
      kid: jwk?.kid,
    })
    // The guide's list: 4 header, 11 processing (with pii type), 5 party and 5 event fields.
    expect(MANDATORY_FIELDS.map((m) => m.section)).toEqual([
      ...Array(4).fill('header'),
      ...Array(11).fill('processing'),
      ...Array(5).fill('parties'),
      ...Array(5).fill('events'),
    ])
    const missing = MANDATORY_FIELDS.filter((m) => at(payload, m.path) === undefined)
    expect(missing.map((m) => m.field)).toEqual([])

    expect(payload['@context']).toMatchObject({ dpv: DPV, dct: 'http://purl.org/dc/terms/' })
    expect(payload).toMatchObject({
      iss: ISSUER,
      jti: `${grantId}.1`,
      iat: Math.floor(Date.parse(grant.createdAt) / 1000),
      '@type': 'dpv:ConsentReceipt',
      'dpv:hasIdentifier': `${grantId}.1`,
      'dct:conformsTo': { '@id': 'https://w3id.org/dpv/schema/dpv-27560#receipt' },
    })
    expect(record(payload)).toMatchObject({
      '@type': 'dpv:ConsentRecord',
      'dct:identifier': `urn:custos:consent-record:${grantId}.1`,
      'dct:conformsTo': { '@id': 'https://w3id.org/dpv/schema/dpv-27560#record' },
      'dct:language': 'en',
    })
    const process = processOf(payload)
    expect(
      (process['dpv:hasPurpose'] as { 'skos:broader': { '@id': string }[] })['skos:broader'].map(
        (p) => p['@id'],
      ),
    ).toEqual(grant.purposes)
    expect(grant.purposes.length).toBeGreaterThan(0)
    expect(grant.purposes.every((p) => p.startsWith(DPV))).toBe(true)
    expect(process).toMatchObject({
      'dpv:hasJurisdiction': { '@id': 'loc:EU' },
      'dpv:hasConsentControl': {
        '@type': 'dpv:WithdrawConsent',
        'dpv:isExercisedAt': { '@id': `${ISSUER}/connections` },
      },
    })
    expect(
      (process['dpv:hasPersonalData'] as { 'dct:identifier': string }[]).map(
        (d) => d['dct:identifier'],
      ),
    ).toEqual(grant.fields)
    expect((record(payload)['dpv:hasEntity'] as unknown[])[0]).toMatchObject({
      'dpv:hasName': 'Fjord Outdoor',
      'schema:address': { '@type': 'schema:PostalAddress' },
      'schema:contactPoint': { 'schema:email': 'privacy@fjord.example', 'schema:telephone': '' },
      'schema:url': 'https://fjord.example',
    })
    expect(eventOf(payload)).toMatchObject({
      '@type': 'dpv:ConsentGiven',
      'dpv:isIndicatedAtTime': grant.createdAt,
      'dpv:hasDuration': {
        'rdf:value': isoDuration(Date.parse(grant.expiresAt) - Date.parse(grant.createdAt)),
      },
      'dpv:hasLegalBasis': { '@id': 'dpv:ExplicitlyExpressedConsent' },
    })

    // The principal is the pairwise pseudonym the Kantara receipt names, never the vault id.
    const kantara = await verifyKantara(f, receipt)
    const subject = at(payload, ['dpv:hasRecordOfActivity', 'dpv:hasDataSubject', 'dct:identifier'])
    expect(subject).toMatch(/^urn:custos:principal:[0-9a-f]{32}$/)
    expect(subject).toBe(kantara.piiPrincipalId)
    expect(eventOf(payload)['dpv:isIndicatedBy']).toEqual({ '@id': subject })
    const { vaultId } = (await f.tv.vault.status()) as { vaultId: string }
    expect(JSON.stringify(payload)).not.toContain(vaultId)

    // Same grant state, same bytes: from the vendor again, and from the owner.
    expect((await fromVendor(f, token)).consent_record).toBe(consent_record)
    expect(await fromOwner(f, grantId)).toBe(consent_record)
  })

  it('a narrowing is a new revision: a new record, consent given again at the narrowing', async () => {
    const f = await oauthFixture()
    const { token, grantId } = await connect(f)
    const first = (await fromVendor(f, token)).consent_record
    f.advance(30)
    await f.tv.vault.grants.narrow(grantId, { fields: ['email'] })
    const second = (await fromVendor(f, token)).consent_record
    const payload = await verify(f, second)
    const grant = await f.tv.vault.grants.get(grantId)
    expect(grant.revision).toBe(2)
    expect(payload).toMatchObject({ jti: `${grantId}.2`, 'dpv:hasIdentifier': `${grantId}.2` })
    expect(record(payload)['dct:identifier']).toBe(`urn:custos:consent-record:${grantId}.2`)
    expect(eventOf(payload)).toMatchObject({
      '@type': 'dpv:ConsentGiven',
      'dpv:isIndicatedAtTime': f.now().toISOString(),
    })
    expect(
      (processOf(payload)['dpv:hasPersonalData'] as { 'dct:identifier': string }[]).map(
        (d) => d['dct:identifier'],
      ),
    ).toEqual(['email'])
    // The earlier record still verifies: it records what was consented to then.
    expect((await verify(f, first))['dpv:hasIdentifier']).toBe(`${grantId}.1`)
  })

  it('revocation is ConsentWithdrawn (the owner fetches it; the vendor is refused)', async () => {
    const f = await oauthFixture()
    const { token, grantId } = await connect(f)
    f.advance(60)
    await f.tv.vault.grants.revoke(grantId)
    const denied = await f.app.request('/v1/grant', {
      headers: { authorization: `Bearer ${token}` },
    })
    expect(denied.status).toBe(401)
    const jws = await fromOwner(f, grantId)
    const payload = await verify(f, jws)
    expect(payload).toMatchObject({ jti: `${grantId}.1.revoked` })
    expect(eventOf(payload)).toMatchObject({
      '@type': 'dpv:ConsentWithdrawn',
      'dpv:isIndicatedAtTime': f.now().toISOString(),
      'dpv:hasDuration': { 'rdf:value': 'PT0S' },
    })
    expect(await fromOwner(f, grantId)).toBe(jws)
  })

  it('past the grant’s expiry the record is ConsentExpired, at the expiry, whatever the clock says since', async () => {
    const f = await oauthFixture()
    const { grantId } = await connect(f)
    const { expiresAt } = await f.tv.vault.grants.get(grantId)
    f.advance(Math.ceil((Date.parse(expiresAt) - f.now().getTime()) / 1000) + 1)
    expect((await f.tv.vault.grants.get(grantId)).status).toBe('expired')
    const jws = await fromOwner(f, grantId)
    const payload = await verify(f, jws)
    expect(payload).toMatchObject({
      jti: `${grantId}.1.expired`,
      iat: Math.floor(Date.parse(expiresAt) / 1000),
    })
    expect(eventOf(payload)).toMatchObject({
      '@type': 'dpv:ConsentExpired',
      'dpv:isIndicatedAtTime': expiresAt,
      'dpv:hasDuration': { 'rdf:value': 'PT0S' },
    })
    f.advance(3600)
    expect(await fromOwner(f, grantId)).toBe(jws)
  })

  it('a record altered in any part does not verify', async () => {
    const f = await oauthFixture()
    const { token } = await connect(f)
    const jws = (await fromVendor(f, token)).consent_record
    const [header, body, signature] = jws.split('.') as [string, string, string]
    const claims = JSON.parse(Buffer.from(body, 'base64url').toString()) as Payload
    ;(record(claims)['dpv:hasConsentStatus'] as Record<string, unknown>[])[0]!['@type'] =
      'dpv:ConsentWithdrawn'
    const altered = `${header}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}.${signature}`
    await expect(verify(f, altered)).rejects.toThrow()
  })

  it('validity durations are exact ISO 8601 durations in days and time', () => {
    expect(isoDuration(0)).toBe('PT0S')
    expect(isoDuration(-5000)).toBe('PT0S')
    expect(isoDuration(999)).toBe('PT0S')
    expect(isoDuration(86_400_000)).toBe('P1D')
    expect(isoDuration(90_061_000)).toBe('P1DT1H1M1S')
    expect(isoDuration(30 * 60_000)).toBe('PT30M')
  })
})

async function verifyKantara(f: OAuthFixture, jws: string) {
  const jwks = await (await f.app.request('/.well-known/jwks.json')).json()
  const { payload } = await jwtVerify(jws, createLocalJWKSet(jwks as never), {
    issuer: ISSUER,
    typ: 'consent-receipt+jwt',
  })
  return payload as Payload
}

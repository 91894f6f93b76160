/**
 * Sealed delivery (issue 3; SECURITY.md key hierarchy item 8): with `Accept:
 * application/custos-sealed`, a vendor with a registered X25519 key gets its response signed by
 * the vault's Ed25519 key and sealed to its key with crypto_box_seal.
 */
import sodium from 'libsodium-wrappers-sumo'
import { compactVerify, createLocalJWKSet } from 'jose'
import { afterEach, beforeAll, describe, expect, it } from 'vitest'
import {
  ISSUER,
  bearerError,
  disposeFixtures,
  resourceFixture,
} from './support/resource-fixture.js'

afterEach(disposeFixtures)
beforeAll(async () => {
  await sodium.ready
})

const SEALED = 'application/custos-sealed'
const b64 = (bytes: Uint8Array) =>
  sodium.to_base64(bytes, sodium.base64_variants.URLSAFE_NO_PADDING)

async function sealedVendor(input = {}) {
  const f = await resourceFixture()
  const pair = sodium.crypto_box_keypair()
  const vendor = await f.vendorWithToken(input, { custos_x25519_public_key: b64(pair.publicKey) })
  return { f, pair, ...vendor }
}

async function open(
  f: Awaited<ReturnType<typeof resourceFixture>>,
  res: Response,
  pair: { publicKey: Uint8Array; privateKey: Uint8Array },
) {
  const sealed = new Uint8Array(await res.arrayBuffer())
  const jws = sodium.crypto_box_seal_open(sealed, pair.publicKey, pair.privateKey, 'text')
  const jwks = (await (await f.app.request('/.well-known/jwks.json')).json()) as never
  const { payload, protectedHeader } = await compactVerify(jws, createLocalJWKSet(jwks), {
    algorithms: ['EdDSA'],
  })
  return { body: JSON.parse(new TextDecoder().decode(payload)) as unknown, protectedHeader }
}

describe('sealed delivery', () => {
  it('round-trips: opened with the vendor private key, verified with the JWK Set, the same JSON as unsealed', async () => {
    const { f, pair, vendorId, token } = await sealedVendor()
    const res = await f.get('/v1/profile', token, { headers: { accept: SEALED } })
    expect(res.status).toBe(200)
    expect(res.headers.get('content-type')).toBe(SEALED)
    expect(res.headers.get('cache-control')).toBe('no-store')
    expect(res.headers.get('vary')).toContain('Accept')
    const { body, protectedHeader } = await open(f, res, pair)
    expect(protectedHeader).toMatchObject({
      alg: 'EdDSA',
      typ: 'custos-response+jws',
      cty: 'json',
      iss: ISSUER,
      aud: vendorId,
      iat: Math.floor(f.now().getTime() / 1000),
    })
    const plain = await (await f.get('/v1/profile', token)).json()
    expect(body).toEqual(plain)
    expect(body).toMatchObject({ fields: { email: 'ada@example.org' } })
  })

  it('the sealed bytes reveal nothing and open only with the vendor key', async () => {
    const { f, token } = await sealedVendor()
    const sealed = new Uint8Array(
      await (
        await f.get('/v1/profile', token, {
          headers: { accept: `application/json;q=0.5, ${SEALED}` },
        })
      ).arrayBuffer(),
    )
    expect(Buffer.from(sealed).toString('latin1')).not.toContain('ada@example.org')
    const stranger = sodium.crypto_box_keypair()
    expect(() =>
      sodium.crypto_box_seal_open(sealed, stranger.publicKey, stranger.privateKey),
    ).toThrow()
  })

  it('seals /v1/grant and a 202 from POST /v1/purchases too', async () => {
    const { f, pair, grantId, token } = await sealedVendor({ actions: ['read', 'append'] })
    const grant = await open(
      f,
      await f.get('/v1/grant', token, { headers: { accept: SEALED } }),
      pair,
    )
    expect(grant.body).toMatchObject({ grant_id: grantId, actions: ['read', 'append'] })
    const res = await f.app.request('/v1/purchases', {
      method: 'POST',
      headers: {
        authorization: `Bearer ${token}`,
        accept: SEALED,
        'content-type': 'application/json',
      },
      body: JSON.stringify({
        seller: 'Fjord Outdoor',
        orderDate: '2026-03-14',
        currency: 'EUR',
        total: 12,
      }),
    })
    expect(res.status).toBe(202)
    expect((await open(f, res, pair)).body).toMatchObject({ status: 'pending' })
  })

  it('a vendor without a registered key gets 406 problem+json, before anything is read', async () => {
    const f = await resourceFixture()
    const { token } = await f.vendorWithToken()
    const res = await f.get('/v1/profile', token, { headers: { accept: SEALED } })
    expect(res.status).toBe(406)
    expect(res.headers.get('content-type')).toBe('application/problem+json')
    expect(await f.tv.vault.audit.list({ action: 'grant.read' })).toHaveLength(0)
  })

  it('errors are not sealed, q=0 means no, and authentication still comes first', async () => {
    const { f, grantId, token } = await sealedVendor()
    const declined = await f.get('/v1/profile', token, {
      headers: { accept: `${SEALED};q=0, application/json` },
    })
    expect(declined.headers.get('content-type')).toMatch(/^application\/json/)
    expect(
      await bearerError(await f.app.request('/v1/profile', { headers: { accept: SEALED } })),
    ).toMatchObject({ status: 401 })
    await f.tv.vault.grants.revoke(grantId)
    const refused = await f.get('/v1/profile', token, { headers: { accept: SEALED } })
    expect(await bearerError(refused)).toMatchObject({ status: 401, error: 'invalid_token' })
  })
})

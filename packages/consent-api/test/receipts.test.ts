/**
 * Consent receipts (issue 3): Kantara CR v1.1-shaped, signed by the vault's Ed25519 key (derived
 * from the vault, stable across restarts), verifiable by anyone with /.well-known/jwks.json, and
 * a new receipt id for each consent event (narrowing, revocation).
 */
import { readFileSync } from 'node:fs'
import sodium from 'libsodium-wrappers-sumo'
import { Ajv2020 } from 'ajv/dist/2020.js'
import {
  type JWTPayload,
  calculateJwkThumbprint,
  createLocalJWKSet,
  decodeProtectedHeader,
  jwtVerify,
} from 'jose'
import { afterEach, describe, expect, it } from 'vitest'
import { PASSPHRASE } from '@custos/vault/testing'
import { createApp } from '../src/index.js'
import { currentReceipts } from '../src/receipts/receipt-history.js'
import { ReceiptSettingsStore } from '../src/receipts/receipt-settings.js'
import { ISSUER, disposeFixtures, resourceFixture } from './support/resource-fixture.js'

afterEach(disposeFixtures)

/** Kantara CR v1.1's required fields as a JSON schema (see the fixture's $comment for its source). */
const kantara = new Ajv2020({ strict: false, allErrors: true, logger: false }).compile(
  JSON.parse(
    readFileSync(
      new URL('./fixtures/kantara-consent-receipt-v1.1.schema.json', import.meta.url),
      'utf8',
    ),
  ) as Record<string, unknown>,
)

type Fixture = Awaited<ReturnType<typeof resourceFixture>>

async function jwks(app: Fixture['app']) {
  const res = await app.request('/.well-known/jwks.json')
  expect(res.status).toBe(200)
  return (await res.json()) as { keys: Record<string, unknown>[] }
}

async function verify(app: Fixture['app'], receipt: string) {
  const { payload, protectedHeader } = await jwtVerify(
    receipt,
    createLocalJWKSet((await jwks(app)) as never),
    { issuer: ISSUER, typ: 'consent-receipt+jwt', algorithms: ['EdDSA'] },
  )
  return { payload: payload as JWTPayload & Record<string, never>, protectedHeader }
}

async function receiptOf(f: Fixture, token: string): Promise<string> {
  const res = await f.get('/v1/grant', token)
  expect(res.status).toBe(200)
  return ((await res.json()) as { receipt: string }).receipt
}

describe('consent receipts', () => {
  it('verify against /.well-known/jwks.json with jose, and carry the Kantara CR v1.1 fields', async () => {
    const f = await resourceFixture()
    const { vendorId, grantId, token } = await f.vendorWithToken({
      purchases: { madeWithVendor: true },
    })
    const receipt = await receiptOf(f, token)
    const { payload, protectedHeader } = await verify(f.app, receipt)
    const grant = await f.tv.vault.grants.get(grantId)
    expect(protectedHeader).toMatchObject({ alg: 'EdDSA', typ: 'consent-receipt+jwt' })
    expect(payload).toMatchObject({
      iss: ISSUER,
      jti: `${grantId}.1`,
      iat: Math.floor(Date.parse(grant.createdAt) / 1000),
      version: 'KI-CR-v1.1.0',
      jurisdiction: 'EU',
      consentTimestamp: Math.floor(Date.parse(grant.createdAt) / 1000),
      collectionMethod: 'Custos consent page',
      consentReceiptID: `${grantId}.1`,
      language: 'en',
      piiControllers: [
        {
          piiController: 'Fjord Outdoor',
          contact: 'privacy@fjord.example',
          address: {},
          email: 'privacy@fjord.example',
          phone: '',
          piiControllerUrl: 'https://fjord.example',
        },
      ],
      policyUrl: '',
      // Issue 10: `service` names the vendor's service, not an authorization-detail type; the
      // granted field selectors and the purchase slice are the purpose's PII categories.
      services: [
        {
          service: 'Fjord Outdoor',
          purposes: [
            {
              purpose: 'Fit recommendations',
              purposeCategory: ['Core Function'],
              consentType: 'EXPLICIT',
              piiCategory: ['email', 'prefs.sizes.*', 'purchases'],
              primaryPurpose: true,
              termination: grant.expiresAt,
              thirdPartyDisclosure: false,
            },
          ],
        },
      ],
      sensitive: false,
      spiCat: [],
      custos: {
        grantId,
        revision: 1,
        status: 'active',
        actions: ['read'],
        purchases: { madeWithVendor: true },
        acceptedTerms: ['no-resale'],
        expiresAt: grant.expiresAt,
      },
    })
    // A pairwise pseudonym: neither the vault id nor the same for another vendor.
    const { vaultId } = (await f.tv.vault.status()) as { vaultId: string }
    expect(payload.piiPrincipalId).toMatch(/^urn:custos:principal:[0-9a-f]{32}$/)
    expect(JSON.stringify(payload)).not.toContain(vaultId)
    const other = await f.vendorWithToken({}, { client_name: 'Other Shop' })
    expect((await verify(f.app, await receiptOf(f, other.token))).payload.piiPrincipalId).not.toBe(
      payload.piiPrincipalId,
    )
    expect(vendorId).not.toBe(other.vendorId)
  })

  it('the JWK Set holds only the public key, kid = its RFC 7638 thumbprint, and the AS metadata points at it', async () => {
    const f = await resourceFixture()
    const { keys } = await jwks(f.app)
    expect(keys).toHaveLength(1)
    const [key] = keys as [Record<string, string>]
    expect(Object.keys(key).sort()).toEqual(['alg', 'crv', 'kid', 'kty', 'use', 'x'])
    expect(key).toMatchObject({ kty: 'OKP', crv: 'Ed25519', use: 'sig', alg: 'EdDSA' })
    expect(key.kid).toBe(
      await calculateJwkThumbprint({ kty: 'OKP', crv: 'Ed25519', x: key.x as string }),
    )
    const { token } = await f.vendorWithToken()
    expect(decodeProtectedHeader(await receiptOf(f, token)).kid).toBe(key.kid)
    const meta = (await (
      await f.app.request('/.well-known/oauth-authorization-server')
    ).json()) as Record<string, unknown>
    expect(meta.jwks_uri).toBe(`${ISSUER}/.well-known/jwks.json`)
  })

  it('the key is crypto_sign_seed_keypair(vault.signingSeed()) and survives a restart', async () => {
    const f = await resourceFixture()
    await sodium.ready
    const seed = f.tv.vault.signingSeed()
    const expected = sodium.to_base64(
      sodium.crypto_sign_seed_keypair(seed).publicKey,
      sodium.base64_variants.URLSAFE_NO_PADDING,
    )
    const before = (await jwks(f.app)).keys[0]
    expect(before?.x).toBe(expected)
    const { token } = await f.vendorWithToken()
    const receipt = await receiptOf(f, token)

    const vault = await f.tv.reopen()
    await vault.unlock(PASSPHRASE)
    const restarted = await createApp({ vault, database: f.tv.handle, config: { issuer: ISSUER } })
    expect((await jwks(restarted)).keys[0]).toEqual(before)
    // A receipt signed before the restart verifies with the key published after it.
    expect((await verify(restarted, receipt)).payload.jti).toMatch(/\.1$/)
  })

  it('is served while sealed once seen, and 503 problem+json when this process never saw the key', async () => {
    const f = await resourceFixture()
    const before = await jwks(f.app)
    await f.tv.vault.lock()
    expect(await jwks(f.app)).toEqual(before)
    const fresh = await createApp({
      vault: await f.tv.reopen(),
      database: f.tv.handle,
      config: { issuer: ISSUER },
    })
    const res = await fresh.request('/.well-known/jwks.json')
    expect(res.status).toBe(503)
    expect(res.headers.get('content-type')).toBe('application/problem+json')
  })

  it('narrowing gives a new receipt id and content; the same revision always gives the same receipt', async () => {
    const f = await resourceFixture()
    const { grantId, token } = await f.vendorWithToken()
    const first = await receiptOf(f, token)
    expect(await receiptOf(f, token)).toBe(first)
    f.advance(30)
    await f.tv.vault.grants.narrow(grantId, { fields: ['email'] })
    const second = await receiptOf(f, token)
    const { payload } = await verify(f.app, second)
    expect(payload).toMatchObject({
      consentReceiptID: `${grantId}.2`,
      jti: `${grantId}.2`,
      custos: { revision: 2 },
    })
    expect(
      (payload.services as unknown as { purposes: { piiCategory: string[] }[] }[])[0]?.purposes[0]
        ?.piiCategory,
    ).toEqual(['email'])
    expect(payload.consentTimestamp).toBe(Math.floor(f.now().getTime() / 1000))
    // The earlier receipt still verifies: it records what was consented to then.
    expect((await verify(f.app, first)).payload.consentReceiptID).toBe(`${grantId}.1`)
  })

  it('revocation gives its own receipt id (the owner fetches it; the vendor is refused)', async () => {
    const f = await resourceFixture()
    const { grantId, token } = await f.vendorWithToken()
    await f.tv.vault.grants.revoke(grantId)
    expect((await f.get('/v1/grant', token)).status).toBe(401)
    const grant = await f.tv.vault.grants.get(grantId)
    const { receipt } = await currentReceipts(
      f.ctx,
      grant,
      await f.tv.vault.vendors.get(grant.vendorId),
    )
    expect((await verify(f.app, receipt)).payload).toMatchObject({
      consentReceiptID: `${grantId}.1.revoked`,
      custos: { status: 'revoked' },
    })
  })

  it('a receipt altered in any part, or signed by another key, does not verify', async () => {
    const f = await resourceFixture()
    const { token } = await f.vendorWithToken()
    const receipt = await receiptOf(f, token)
    const [header, payload, signature] = receipt.split('.') as [string, string, string]
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString()) as {
      services: { purposes: { piiCategory: string[] }[] }[]
    }
    claims.services[0]!.purposes[0]!.piiCategory.push('telephone')
    const widened = `${header}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}.${signature}`
    await expect(verify(f.app, widened)).rejects.toThrow()
    const flipped = `${header}.${payload}.${signature.slice(0, 10)}${signature[10] === 'A' ? 'B' : 'A'}${signature.slice(11)}`
    await expect(verify(f.app, flipped)).rejects.toThrow()
    // Another vault's key (another root key) does not verify this vault's receipts.
    const g = await resourceFixture()
    await expect(verify(g.app, receipt)).rejects.toThrow()
  })

  it("issue 10: carry every field Kantara CR v1.1 requires — the owner's jurisdiction, the vendor's RFC 7591 policy and contacts — and validate against its JSON schema", async () => {
    const f = await resourceFixture()
    await new ReceiptSettingsStore(f.ctx).set({ jurisdiction: 'DE' })
    const { grantId, token } = await f.vendorWithToken(
      { purchases: { madeWithVendor: true } },
      {
        policy_uri: 'https://fjord.example/privacy',
        contacts: ['Data protection office', 'mailto:dpo@fjord.example', 'tel:+49301234567'],
      },
    )
    const { payload } = await verify(f.app, await receiptOf(f, token))
    expect(kantara(payload), JSON.stringify(kantara.errors)).toBe(true)
    expect(payload).toMatchObject({
      jurisdiction: 'DE',
      policyUrl: 'https://fjord.example/privacy',
      piiControllers: [
        {
          piiController: 'Fjord Outdoor',
          contact: 'Data protection office',
          address: {},
          email: 'dpo@fjord.example',
          phone: '+49301234567',
          piiControllerUrl: 'https://fjord.example',
        },
      ],
      services: [
        {
          service: 'Fjord Outdoor',
          purposes: [
            {
              purposeCategory: ['Core Function'],
              piiCategory: ['email', 'prefs.sizes.*', 'purchases'],
            },
          ],
        },
      ],
      consentReceiptID: `${grantId}.1`,
    })
    // A vendor that registered nothing but its name still gets a receipt the schema accepts.
    const bare = await f.vendorWithToken({}, { client_uri: undefined, contacts: undefined })
    expect(
      kantara((await verify(f.app, await receiptOf(f, bare.token))).payload),
      JSON.stringify(kantara.errors),
    ).toBe(true)
    // The schema has teeth: the receipt as it was before issue 10 (no jurisdiction, no policyUrl,
    // no purposeCategory, no controller contact fields) does not pass.
    const { jurisdiction: _j, policyUrl: _p, ...before } = payload as Record<string, unknown>
    expect(kantara(before)).toBe(false)
  })

  it('issue 10: the jurisdiction is an owner setting (default EU), validated and kept against edits in the database', async () => {
    const f = await resourceFixture()
    const settings = new ReceiptSettingsStore(f.ctx)
    expect(await settings.get()).toEqual({ jurisdiction: 'EU' })
    await expect(settings.set({ jurisdiction: 'Germany' })).rejects.toThrow()
    await settings.set({ jurisdiction: 'US-CA' })
    expect(await settings.get()).toEqual({ jurisdiction: 'US-CA' })
    // A value edited in the database without the vault's key is not put into a signed receipt.
    await f.ctx.db
      .updateTable('api_settings')
      .set({ value: 'XX' })
      .where('name', '=', 'receipt_jurisdiction')
      .execute()
    expect(await settings.get()).toEqual({ jurisdiction: 'EU' })
  })
})

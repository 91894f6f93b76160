/**
 * Issue 12, part 1 ("the agreement record … is exportable"): the owner downloads every IEEE 7012
 * agreement record, accepted and declined, as `GET /owner/agreements/export` — each as stored,
 * the vault's JWS the very string the vendor holds, the vendor's own signature inside, the
 * vault's public key beside them so the file verifies offline; uncapped (the listing stops at
 * 500); the portable export (`custos-export` v1) untouched and still round-tripping.
 */
import { randomBytes } from 'node:crypto'
import { compactVerify, createLocalJWKSet, decodeJwt } from 'jose'
import { afterEach, describe, expect, it } from 'vitest'
import { createAppContext } from '../src/app-context.js'
import { AgreementExport, agreementExport } from '../src/terms/agreement-export.js'
import type { AgreementRecord } from '../src/terms/agreement-record.js'
import { MAX_LISTED } from '../src/terms/agreement-store.js'
import {
  type Client,
  type OAuthFixture,
  type Owner,
  disposeFixtures,
  oauthFixture,
} from './support/oauth-fixture.js'
import { disposeStoreFixtures, storeFixture } from './support/store-fixture.js'
import { editRow, rowsOf } from './support/stored-rows.js'

afterEach(async () => {
  await disposeFixtures()
  await disposeStoreFixtures()
})

type Listed = { agreements: { record_id: string; jws: string; record: AgreementRecord }[] }

/** PAR with a MyTerms answer → the owner approves → the vendor's own listing of its records. */
async function answered(
  f: OAuthFixture,
  client: Client,
  answer: 'accept' | 'decline',
  signature?: (claims: Record<string, unknown>) => Promise<string>,
): Promise<Listed> {
  const myterms = { answer_id: randomBytes(12).toString('base64url'), proffered: 'SD-BASE', answer }
  const signed = signature
    ? { ...myterms, signature: await signature({ ...myterms, jti: myterms.answer_id }) }
    : myterms
  const { code, verifier } = await f.code(
    client,
    {
      scope: undefined,
      authorization_details: JSON.stringify([
        {
          type: 'custos_fields',
          fields: ['email'],
          actions: ['read'],
          purpose: 'Order updates',
          purposes: ['dpv:CustomerOrderManagement'],
          myterms: signed,
        },
      ]),
    },
    { par: true },
  )
  const token = (await (await f.exchange(client, code, verifier)).json()) as {
    access_token: string
  }
  const res = await f.app.request('/v1/agreements', {
    headers: { authorization: `Bearer ${token.access_token}` },
  })
  expect(res.status).toBe(200)
  return (await res.json()) as Listed
}

async function exported(f: OAuthFixture, owner: Owner): Promise<Response> {
  return f.app.request('/owner/agreements/export', { headers: { cookie: owner.cookie } })
}

describe('the owner’s export of her agreement records', () => {
  it('holds every record, accepted and declined, identical to the vendor’s copy and verifiable offline', async () => {
    const f = await oauthFixture()
    const owner = await f.signIn()
    await f.app.request('/owner/terms', {
      method: 'PUT',
      headers: {
        'content-type': 'application/json',
        cookie: owner.cookie,
        'x-csrf-token': owner.csrf,
      },
      body: JSON.stringify({ proffered: ['SD-BASE'] }),
    })
    const keyed = await f.registerKeyClient({ myterms_accepted: ['SD-BASE'] })
    const fromKeyed = await answered(f, keyed, 'accept', (claims) => keyed.sign(claims))
    const secret = await f.register({ client_name: 'Book Nook', myterms_accepted: ['SD-BASE'] })
    const fromSecret = await answered(f, secret, 'decline')

    const res = await exported(f, owner)
    expect(res.status).toBe(200)
    expect(res.headers.get('content-type')).toBe('application/json; charset=utf-8')
    expect(res.headers.get('content-disposition')).toBe(
      `attachment; filename="custos-agreements-${f.now().toISOString().slice(0, 10)}.json"`,
    )
    expect(res.headers.get('cache-control')).toBe('no-store')
    expect(res.headers.get('x-content-type-options')).toBe('nosniff')
    const file = AgreementExport.parse(await res.json())
    expect(file).toMatchObject({ format: 'custos-agreements', version: 1, count: 2 })
    expect(file.agreements.map((a) => a.record.status).sort()).toEqual(['accepted', 'refused'])

    // Byte for byte the vendor's copies.
    const vendorJws = [...fromKeyed.agreements, ...fromSecret.agreements].map((a) => a.jws)
    expect(file.agreements.map((a) => a.jws).sort()).toEqual(vendorJws.sort())

    // The vault's signature verifies with the key in the file; its payload is the record.
    const keys = createLocalJWKSet({ keys: file.verify_with.keys as never })
    for (const entry of file.agreements) {
      const { payload, protectedHeader } = await compactVerify(entry.jws, keys)
      expect(protectedHeader.typ).toBe('myterms-record+jws')
      expect(JSON.parse(new TextDecoder().decode(payload))).toEqual(entry.record)
    }
    // The vendor's signature is inside: its own JWT over its answer, or its authenticated call.
    const byVendor = new Map(file.agreements.map((a) => [a.record.second_party.id, a.record]))
    const keyedRecord = byVendor.get(keyed.id)
    const vendorSigned = keyedRecord?.signatures.second_party.jws as string
    expect(decodeJwt(vendorSigned)).toMatchObject({ iss: keyed.id, answer: 'accept' })
    expect(keyedRecord?.signatures.second_party.confirmed_by).toBe('signature')
    expect(byVendor.get(secret.id)?.signatures.second_party).toMatchObject({
      jws: null,
      confirmed_by: 'authenticated call',
    })
  })

  it('needs the owner’s session', async () => {
    const f = await oauthFixture()
    const res = await f.app.request('/owner/agreements/export')
    expect(res.status).toBe(401)
    expect(res.headers.get('content-type')).toContain('application/problem+json')
  })

  it('leaves the portable export as it was: no records in it, and it still imports', async () => {
    const f = await oauthFixture()
    const owner = await f.signIn()
    const portable = await f.app.request('/owner/export', { headers: { cookie: owner.cookie } })
    const text = await portable.text()
    expect(text).not.toContain('myterms')
    const back = await f.app.request('/owner/import?mode=merge', {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        cookie: owner.cookie,
        'x-csrf-token': owner.csrf,
      },
      body: text,
    })
    expect(back.status).toBe(200)
  })
})

describe('the export is uncapped', () => {
  it('holds more records than one listing returns, newest first, and leaves out a forged row', async () => {
    const s = await storeFixture()
    const app = createAppContext(s.context())
    const record = (n: number): AgreementRecord => ({
      record_id: `rec-${String(n).padStart(4, '0')}`,
      version: 'custos-myterms-record/1',
      standard: 'IEEE 7012-2025',
      status: 'refused',
      agreement: null,
      proffered: {
        id: 'SD-BASE',
        url: 'https://myterms.info/agreements/SD-BASE',
        content_hash: 'sha256:00',
        content_hash_of: 'custos-summary-utf8',
      },
      answer: 'decline',
      counter_offer: null,
      owner_response: null,
      first_party: { id: 'https://vault.example', role: 'person', agent: 'Custos' },
      second_party: { id: 'v1', name: 'Fjord', website: null, role: 'entity' },
      purposes: [],
      grant_id: null,
      outcome: 'denied',
      time: s.now().toISOString(),
      jurisdiction: 'EU',
      channel: 'test',
      signatures: {
        second_party: {
          method: 'client_secret_basic',
          jws: null,
          confirmed_by: 'authenticated call',
        },
        first_party: {
          alg: 'EdDSA',
          kid: 'k',
          jwks_uri: 'https://vault.example/.well-known/jwks.json',
        },
      },
    })
    const total = MAX_LISTED + 3
    // Most at one instant (the pages then part on the id alone), the last few later.
    for (let n = 0; n < total; n++) {
      if (n >= MAX_LISTED) s.advance(1)
      await app.stores.agreements.add({
        clientId: 'v1',
        grantId: undefined,
        answerId: `answer-${n}`,
        signed: { record: record(n), jws: `jws-${n}` },
      })
    }
    expect(await app.stores.agreements.list()).toHaveLength(MAX_LISTED)
    const file = await agreementExport(app)
    expect(file.count).toBe(total)
    expect(new Set(file.agreements.map((a) => a.record_id)).size).toBe(total)
    expect(file.agreements.slice(0, 3).map((a) => a.jws)).toEqual([
      `jws-${total - 1}`,
      `jws-${total - 2}`,
      `jws-${total - 3}`,
    ])
    // A row edited in the database (no key) reads as absent, here as everywhere.
    const [row] = await rowsOf(s.tv, 'myterms_agreements')
    await editRow(s.tv, 'myterms_agreements', row?.id as string, { client_id: 'v2' })
    expect((await agreementExport(app)).count).toBe(total - 1)
  })
})

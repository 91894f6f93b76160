/**
 * Issue 12, part 1: the customer's own terms — IEEE 7012-2025 "MyTerms". The owner proffers roster
 * agreements; the vendor answers once in its pushed request (accept, one counter-offer, decline),
 * signed with its registered key; the owner decides a counter-offer on the consent page; both
 * parties hold the identical, vault-signed agreement record; a required agreement that does not
 * cover the grant's purposes refuses the request before the consent page.
 */
import { createHash, randomBytes } from 'node:crypto'
import {
  type CryptoKey,
  SignJWT,
  compactVerify,
  createLocalJWKSet,
  exportJWK,
  generateKeyPair,
  jwtVerify,
} from 'jose'
import { afterEach, describe, expect, it } from 'vitest'
import { PURPOSES } from '@custos/vault'
import type { AgreementRecord } from '../src/terms/agreement-record.js'
import { ROSTER, uncoveredPurposes } from '../src/terms/roster.js'
import {
  type Client,
  ISSUER,
  type OAuthFixture,
  type Owner,
  REDIRECT,
  checkedBoxes,
  disposeFixtures,
  oauthFixture,
  pkce,
} from './support/oauth-fixture.js'

const DPV = 'https://w3id.org/dpv#'
afterEach(disposeFixtures)

interface KeyClient extends Client {
  readonly publicKey: CryptoKey
  /** The vendor's signed answer (terms/vendor-answer.ts), on the fixture's clock. */
  answer(claims: Record<string, unknown>, key?: CryptoKey): Promise<string>
}

/** A private_key_jwt vendor whose key the test holds (to verify its signature in the record). */
async function keyClient(
  f: OAuthFixture,
  metadata: Record<string, unknown> = {},
): Promise<KeyClient> {
  const { privateKey, publicKey } = await generateKeyPair('ES256')
  const jwk = { ...(await exportJWK(publicKey)), kid: 'k1', alg: 'ES256', use: 'sig' }
  const registered = await f.register({
    token_endpoint_auth_method: 'private_key_jwt',
    jwks: { keys: [jwk] },
    myterms_accepted: ['SD-BASE', 'PDC-GOOD'],
    ...metadata,
  })
  const sign = (claims: Record<string, unknown>, key: CryptoKey = privateKey) => {
    const iat = Math.floor(f.now().getTime() / 1000)
    return new SignJWT({
      iss: registered.id,
      sub: registered.id,
      aud: ISSUER,
      jti: randomBytes(16).toString('base64url'),
      iat,
      exp: iat + 60,
      ...claims,
    })
      .setProtectedHeader({ alg: 'ES256', kid: 'k1' })
      .sign(key)
  }
  return {
    id: registered.id,
    publicKey,
    answer: (claims, key) => sign(claims, key),
    async auth() {
      return {
        headers: {},
        form: {
          client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
          client_assertion: await sign({}),
        },
      }
    },
  }
}

async function setTerms(
  f: OAuthFixture,
  owner: Owner,
  terms: Record<string, unknown>,
): Promise<Response> {
  return f.app.request('/owner/terms', {
    method: 'PUT',
    headers: {
      'content-type': 'application/json',
      cookie: owner.cookie,
      'x-csrf-token': owner.csrf,
    },
    body: JSON.stringify(terms),
  })
}

interface Answer {
  answer: 'accept' | 'counter' | 'decline'
  counter?: string
  proffered?: string
  answer_id?: string
}

/** The pushed request's parameters, with the vendor's answer signed (unless `signature` says otherwise). */
async function pushed(
  client: KeyClient | Client,
  answer: Answer | undefined,
  purposes: string[] = ['dpv:CustomerOrderManagement'],
  options: { signature?: string | null | undefined } = {},
) {
  const { verifier, challenge } = pkce()
  let myterms: Record<string, unknown> | undefined
  if (answer) {
    const body = {
      answer_id: answer.answer_id ?? randomBytes(12).toString('base64url'),
      proffered: answer.proffered ?? 'SD-BASE',
      answer: answer.answer,
      ...(answer.counter !== undefined ? { counter: answer.counter } : {}),
    }
    const signature =
      options.signature === null
        ? undefined
        : (options.signature ??
          ('answer' in client
            ? await client.answer({
                jti: body.answer_id,
                proffered: body.proffered,
                answer: body.answer,
                ...(body.counter !== undefined ? { counter: body.counter } : {}),
              })
            : undefined))
    myterms = { ...body, ...(signature !== undefined ? { signature } : {}) }
  }
  return {
    verifier,
    params: {
      response_type: 'code',
      redirect_uri: REDIRECT,
      code_challenge: challenge,
      code_challenge_method: 'S256',
      state: 'st-7',
      authorization_details: JSON.stringify([
        {
          type: 'custos_fields',
          fields: ['email'],
          actions: ['read'],
          purpose: 'Order updates',
          purposes,
          ...(myterms ? { myterms } : {}),
        },
      ]),
    },
  }
}

type Records = { agreements: { record_id: string; jws: string; record: AgreementRecord }[] }

async function ownerRecords(f: OAuthFixture, owner: Owner): Promise<Records> {
  const res = await f.app.request('/owner/agreements', { headers: { cookie: owner.cookie } })
  expect(res.status).toBe(200)
  return (await res.json()) as Records
}

/** PAR → consent (with the owner's `extra` choices) → token; the vendor's records. */
async function grantWith(
  f: OAuthFixture,
  owner: Owner,
  client: KeyClient | Client,
  answer: Answer,
  extra: [string, string][] = [],
  purposes?: string[],
) {
  const { params, verifier } = await pushed(client, answer, purposes)
  const uri = await f.par(client, params)
  let page = ''
  const back = await f.consent(
    { client_id: client.id, request_uri: uri },
    (html) => {
      page = html
      return [...checkedBoxes(html), ...extra, ['decision', 'approve']]
    },
    owner,
  )
  const code = back.searchParams.get('code') as string
  const token = (await (await f.exchange(client, code, verifier)).json()) as {
    access_token: string
  }
  const res = await f.app.request('/v1/agreements', {
    headers: { authorization: `Bearer ${token.access_token}` },
  })
  expect(res.status).toBe(200)
  return { page, vendor: (await res.json()) as Records, text: await Promise.resolve('') }
}

async function setUp(terms: Record<string, unknown> = {}) {
  const f = await oauthFixture()
  const owner = await f.signIn()
  const saved = await setTerms(f, owner, { proffered: ['SD-BASE', 'PDC-GOOD'], ...terms })
  expect(saved.status).toBe(200)
  return { f, owner }
}

describe('the roster', () => {
  it('ships each agreement with its roster URL and the SHA-256 of the text we ship', () => {
    expect(ROSTER.map((a) => a.id)).toEqual([
      'SD-BASE',
      'SD-BASE-DP',
      'PDC-AI',
      'PDC-GOOD',
      'PDC-INTENT',
    ])
    for (const a of ROSTER) {
      expect(a.url).toBe(`https://myterms.info/agreements/${a.id}`)
      expect(a.contentHash).toBe(
        `sha256:${createHash('sha256').update(a.summary, 'utf8').digest('hex')}`,
      )
    }
  })

  it('names only purposes of the catalogue, and the logic reads them: SD-BASE allows orders, not marketing', () => {
    const known = new Set(PURPOSES.map((p) => p.iri))
    for (const a of ROSTER)
      for (const iri of [...a.covers, ...a.excludes]) expect(known).toContain(iri)
    const base = ROSTER[0] as (typeof ROSTER)[number]
    expect(
      uncoveredPurposes(base, [`${DPV}CustomerOrderManagement`, `${DPV}DeliveryOfGoods`]),
    ).toEqual([])
    expect(uncoveredPurposes(base, [`${DPV}DirectMarketing`, `${DPV}CustomerCare`])).toEqual([
      `${DPV}DirectMarketing`,
    ])
  })
})

describe('MyTerms at consent', () => {
  it('publishes the proffer; an accepted agreement is recorded, signed by both, identical for both parties', async () => {
    const { f, owner } = await setUp()
    const client = await keyClient(f, { myterms_accepted: ['PDC-GOOD', 'SD-BASE'] })
    const discovery = await f.app.request(`/.well-known/myterms?client_id=${client.id}`)
    const doc = (await discovery.json()) as Record<string, unknown>
    expect(doc.preference).toEqual(['SD-BASE', 'PDC-GOOD'])
    expect(doc.proffered_to_you).toBe('SD-BASE') // the owner's first choice the vendor accepts
    expect((doc.agreements as { url: string }[])[0]?.url).toBe(
      'https://myterms.info/agreements/SD-BASE',
    )

    const { page, vendor } = await grantWith(f, owner, client, { answer: 'accept' })
    expect(page).toContain('Service delivery only')
    expect(page).toContain('Fjord Outdoor accepted them.')
    const [grant] = await f.tv.vault.grants.list()
    expect(grant?.acceptedTerms[0]).toBe('SD-BASE')

    const mine = await ownerRecords(f, owner)
    expect(mine.agreements).toHaveLength(1)
    expect(JSON.stringify(vendor)).toBe(JSON.stringify(mine)) // byte-identical copies
    const [entry] = mine.agreements
    const record = entry?.record as AgreementRecord
    expect(record.status).toBe('accepted')
    expect(record.agreement?.id).toBe('SD-BASE')
    expect(record.agreement?.content_hash).toBe(ROSTER[0]?.contentHash)
    expect(record.second_party.id).toBe(client.id)
    expect(record.first_party.id).toBe(ISSUER)
    expect(record.grant_id).toBe(grant?.id)
    expect(record.jurisdiction).toBe('EU')

    // The vault's signature, against its published key: the payload is the record's bytes.
    const jwks = (await (await f.app.request('/.well-known/jwks.json')).json()) as never
    const verified = await compactVerify(entry?.jws as string, createLocalJWKSet(jwks))
    expect(JSON.parse(new TextDecoder().decode(verified.payload))).toEqual(record)
    expect(verified.protectedHeader.typ).toBe('myterms-record+jws')
    // The vendor's signature, against its own key: it signed exactly its answer.
    const theirs = await jwtVerify(record.signatures.second_party.jws as string, client.publicKey, {
      issuer: client.id,
      audience: ISSUER,
    })
    expect([theirs.payload.proffered, theirs.payload.answer]).toEqual(['SD-BASE', 'accept'])
    await expect(
      jwtVerify(
        record.signatures.second_party.jws as string,
        (await generateKeyPair('ES256')).publicKey,
      ),
    ).rejects.toThrow()
  })

  it('a counter-offer the owner accepts puts the grant under it', async () => {
    const { f, owner } = await setUp()
    const client = await keyClient(f)
    const { page } = await grantWith(
      f,
      owner,
      client,
      { answer: 'counter', counter: 'PDC-GOOD' },
      [['counter_response', 'accept']],
      ['dpv:ResearchAndDevelopment'],
    )
    expect(page).toContain('did not accept them and offers instead')
    expect(page).toContain('name="counter_response" value="accept"')
    expect((await f.tv.vault.grants.list())[0]?.acceptedTerms[0]).toBe('PDC-GOOD')
    const record = (await ownerRecords(f, owner)).agreements[0]?.record
    expect([record?.status, record?.answer, record?.owner_response, record?.agreement?.id]).toEqual(
      ['accepted', 'counter', 'accept', 'PDC-GOOD'],
    )
    expect(record?.counter_offer?.id).toBe('PDC-GOOD')
  })

  it('a counter-offer the owner declines is recorded as refused; the grant is under no agreement', async () => {
    const { f, owner } = await setUp()
    const client = await keyClient(f)
    await grantWith(f, owner, client, { answer: 'counter', counter: 'PDC-GOOD' }, [
      ['counter_response', 'decline'],
    ])
    expect((await f.tv.vault.grants.list())[0]?.acceptedTerms).not.toContain('PDC-GOOD')
    const record = (await ownerRecords(f, owner)).agreements[0]?.record
    expect([record?.status, record?.owner_response, record?.agreement]).toEqual([
      'refused',
      'decline',
      null,
    ])
  })

  it('a counter-offer needs the owner’s answer: without one nothing is decided and the request still waits', async () => {
    const { f, owner } = await setUp()
    const client = await keyClient(f)
    const { params } = await pushed(client, { answer: 'counter', counter: 'PDC-GOOD' })
    const uri = await f.par(client, params)
    const html = await (await f.authorize({ client_id: client.id, request_uri: uri }, owner)).text()
    const id = /name="request_id" value="([^"]+)"/.exec(html)?.[1] as string
    const bad = await f.decide(owner, [
      ['request_id', id],
      ['csrf_token', owner.csrf],
      ...checkedBoxes(html),
      ['decision', 'approve'],
    ])
    expect(bad.status).toBe(400)
    expect(await bad.text()).toContain('Say whether you accept the counter-offer')
    const ok = await f.decide(owner, [
      ['request_id', id],
      ['csrf_token', owner.csrf],
      ...checkedBoxes(html),
      ['counter_response', 'accept'],
      ['decision', 'approve'],
    ])
    expect(ok.status).toBe(303)
    expect((await f.tv.vault.grants.list()).length).toBe(1)
  })

  it('a decline is recorded: refused at PAR when the owner does not consider declining vendors', async () => {
    const { f, owner } = await setUp({ allowAfterDecline: false })
    const client = await keyClient(f)
    const { params } = await pushed(client, { answer: 'decline' })
    const res = await f.post('/oauth/par', client, params)
    expect(res.status).toBe(400)
    const body = (await res.json()) as { error: string; error_description: string }
    expect(body.error).toBe('access_denied')
    expect(body.error_description).toContain('decline her MyTerms')
    const refused = await f.tv.vault.audit.list({ action: 'request.refused' })
    expect(refused.map((e) => [e.vendorId, e.detail])).toEqual([[client.id, 'ERR_TERMS_REQUIRED']])
    const record = (await ownerRecords(f, owner)).agreements[0]?.record
    expect([record?.status, record?.answer, record?.outcome, record?.grant_id]).toEqual([
      'refused',
      'decline',
      'refused',
      null,
    ])
    expect((await f.tv.vault.grants.list()).length).toBe(0)
  })

  it('a decline is recorded when the owner still grants: the vendor keeps the same record', async () => {
    const { f, owner } = await setUp()
    const client = await keyClient(f)
    const { page, vendor } = await grantWith(f, owner, client, { answer: 'decline' })
    expect(page).toContain('Fjord Outdoor declined them')
    const mine = await ownerRecords(f, owner)
    expect(mine.agreements[0]?.record.status).toBe('refused')
    expect(mine.agreements[0]?.record.outcome).toBe('granted')
    expect(JSON.stringify(vendor)).toBe(JSON.stringify(mine))
  })

  it('a required agreement refuses a marketing purpose it excludes, before the consent page, and logs it', async () => {
    const { f, owner } = await setUp({ requireAgreement: true })
    const client = await keyClient(f)
    const { params } = await pushed(client, { answer: 'accept' }, ['dpv:DirectMarketing'])
    const res = await f.post('/oauth/par', client, params)
    expect(res.status).toBe(400)
    const body = (await res.json()) as { error: string; error_description: string }
    expect(body.error).toBe('access_denied')
    expect(body.error_description).toContain(`${DPV}DirectMarketing`)
    const refused = await f.tv.vault.audit.list({ action: 'request.refused' })
    expect(refused.map((e) => [e.vendorId, e.outcome, e.detail, e.purposes])).toEqual([
      [client.id, 'refused', 'ERR_TERMS_NOT_COVERED', [`${DPV}DirectMarketing`]],
    ])
    expect((await f.tv.vault.grants.list()).length).toBe(0)
    // Order management is within SD-BASE: the same vendor gets through.
    await grantWith(f, owner, client, { answer: 'accept' })
    expect((await f.tv.vault.grants.list()).length).toBe(1)
  })

  it('a required agreement refuses a request without an answer', async () => {
    const { f } = await setUp({ requireAgreement: true })
    const client = await f.register()
    const { params } = await pushed(client, undefined)
    const res = await f.post('/oauth/par', client, params)
    expect(((await res.json()) as { error: string }).error).toBe('access_denied')
    expect((await f.tv.vault.audit.list({ action: 'request.refused' }))[0]?.detail).toBe(
      'ERR_TERMS_REQUIRED',
    )
  })

  it('a secret client’s answer is confirmed by its authenticated call, and the record says so', async () => {
    const { f, owner } = await setUp()
    const client = await f.register({ myterms_accepted: ['SD-BASE'] })
    await grantWith(f, owner, client, { answer: 'accept' })
    const record = (await ownerRecords(f, owner)).agreements[0]?.record
    expect(record?.signatures.second_party).toEqual({
      method: 'client_secret_basic',
      jws: null,
      confirmed_by: 'authenticated call',
    })
  })
})

describe('bad MyTerms input gets a clear error and loses nothing', () => {
  const refusedWith = async (res: Response, words: string) => {
    expect(res.status).toBe(400)
    const body = (await res.json()) as { error: string; error_description: string }
    expect(body.error).toBe('invalid_authorization_details')
    expect(body.error_description).toContain(words)
    return body.error_description
  }

  it('refuses an unknown agreement, one not proffered, a bad counter, a missing or forged signature', async () => {
    const { f } = await setUp()
    const client = await keyClient(f)
    const post = async (answer: Answer, signature?: string | null) =>
      f.post('/oauth/par', client, (await pushed(client, answer, undefined, { signature })).params)
    const unknown = await refusedWith(
      await post({ answer: 'accept', proffered: 'XX-SECRET-9' }),
      'not an agreement of the MyTerms roster',
    )
    expect(unknown).not.toContain('XX-SECRET-9')
    await refusedWith(
      await post({ answer: 'accept', proffered: 'PDC-GOOD' }),
      'not the agreement the owner proffers',
    )
    await refusedWith(
      await post({ answer: 'counter', counter: 'XX-1' }),
      'myterms.counter is not an agreement',
    )
    await refusedWith(await post({ answer: 'counter', counter: 'SD-BASE' }), 'must differ')
    await refusedWith(await post({ answer: 'counter' }), 'exactly one alternative')
    await refusedWith(await post({ answer: 'accept' }, null), 'signs its MyTerms answer')
    const other = await generateKeyPair('ES256')
    await refusedWith(
      await post(
        { answer: 'accept' },
        await client.answer({ proffered: 'SD-BASE', answer: 'accept' }, other.privateKey),
      ),
      'does not verify',
    )
    await refusedWith(
      await post(
        { answer: 'accept' },
        await client.answer({ proffered: 'SD-BASE', answer: 'decline' }),
      ),
      'signs another answer',
    )
    expect((await f.tv.vault.grants.list()).length).toBe(0)
  })

  it('refuses answering twice; the first answer stands and its request still completes', async () => {
    const { f, owner } = await setUp()
    const client = await keyClient(f)
    const first = await pushed(client, { answer: 'accept', answer_id: 'answer-0001' })
    const uri = await f.par(client, first.params)
    const again = await pushed(client, { answer: 'decline', answer_id: 'answer-0001' })
    await refusedWith(await f.post('/oauth/par', client, again.params), 'already given')
    await f.consent({ client_id: client.id, request_uri: uri }, undefined, owner)
    const records = (await ownerRecords(f, owner)).agreements
    expect(records.map((r) => r.record.answer)).toEqual(['accept'])
    // And after the record exists, the same answer is still refused.
    await refusedWith(await f.post('/oauth/par', client, again.params), 'already given')
  })

  it('refuses an answer on the front channel', async () => {
    const { f } = await setUp()
    const client = await keyClient(f)
    const { params } = await pushed(client, { answer: 'accept' })
    const res = await f.authorize({ client_id: client.id, ...params })
    expect(res.status).toBe(302)
    const to = new URL(res.headers.get('location') as string)
    expect(to.searchParams.get('error')).toBe('invalid_request')
    expect(to.searchParams.get('error_description')).toContain(
      'only in a pushed authorization request',
    )
  })

  it('refuses an answer when the owner proffers nothing', async () => {
    const f = await oauthFixture()
    const client = await keyClient(f)
    const { params } = await pushed(client, { answer: 'accept' })
    await refusedWith(await f.post('/oauth/par', client, params), 'proffers no MyTerms agreement')
  })

  it('refuses unknown agreements in registration and in the owner’s terms, saving nothing', async () => {
    const { f, owner } = await setUp()
    const reg = await f.app.request('/oauth/register', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ redirect_uris: [REDIRECT], myterms_accepted: ['NOPE-1'] }),
    })
    expect(reg.status).toBe(400)
    const regBody = (await reg.json()) as { error: string; error_description: string }
    expect(regBody.error).toBe('invalid_client_metadata')
    expect(regBody.error_description).not.toContain('NOPE-1')
    const put = await setTerms(f, owner, { proffered: ['SD-BASE', 'NOPE-2'] })
    expect(put.status).toBe(400)
    expect(await put.text()).not.toContain('NOPE-2')
    const now = (await (
      await f.app.request('/owner/terms', { headers: { cookie: owner.cookie } })
    ).json()) as {
      proffered: string[]
    }
    expect(now.proffered).toEqual(['SD-BASE', 'PDC-GOOD'])
  })

  it('a sealed vault answers 503 for the discovery document, the records and the push', async () => {
    const { f, owner } = await setUp()
    const client = await keyClient(f)
    await f.tv.vault.lock({ origin: 'library' })
    expect((await f.app.request('/.well-known/myterms')).status).toBe(503)
    expect(
      (await f.app.request('/owner/agreements', { headers: { cookie: owner.cookie } })).status,
    ).toBe(503)
    const { params } = await pushed(client, { answer: 'accept' })
    expect((await f.post('/oauth/par', client, params)).status).toBe(503)
  })
})

/**
 * Issue 12, part 1, end to end: a vendor registers the URL of the MyTerms document it serves
 * (`myterms_uri`) instead of listing `myterms_accepted`. The vault reads it at registration (a
 * document that cannot be read is `invalid_client_metadata`, and nothing is created), keeps the
 * last good copy, and reads it again when stale — at the vendor's pushed request and at the
 * owner's discovery document — keeping the copy when the server fails, refusing precisely only
 * when no copy is kept. The registered `myterms_accepted` wins over a document.
 */
import { randomBytes } from 'node:crypto'
import { afterEach, describe, expect, it } from 'vitest'
import { MAX_AGE_SECONDS, RETRY_AFTER_FAILURE_SECONDS } from '../src/terms/vendor-terms-store.js'
import {
  type Client,
  type OAuthFixture,
  REDIRECT,
  disposeFixtures,
  oauthFixture,
  pkce,
} from './support/oauth-fixture.js'
import { editRow, rowsOf } from './support/stored-rows.js'
import {
  type VendorTermsServer,
  closeVendorTermsServers,
  json,
  termsDoc,
  vendorTermsServer,
} from './support/vendor-terms-server.js'

afterEach(async () => {
  await disposeFixtures()
  await closeVendorTermsServers()
})

type OAuthErrorBody = { error: string; error_description: string }

async function register(f: OAuthFixture, metadata: Record<string, unknown>): Promise<Response> {
  return f.app.request('/oauth/register', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ client_name: 'Fjord Outdoor', redirect_uris: [REDIRECT], ...metadata }),
  })
}

/** The owner proffers SD-BASE first, then PDC-GOOD. */
async function setUp() {
  const f = await oauthFixture()
  const owner = await f.signIn()
  const res = await f.app.request('/owner/terms', {
    method: 'PUT',
    headers: {
      'content-type': 'application/json',
      cookie: owner.cookie,
      'x-csrf-token': owner.csrf,
    },
    body: JSON.stringify({ proffered: ['SD-BASE', 'PDC-GOOD'] }),
  })
  expect(res.status).toBe(200)
  return f
}

const profferedTo = async (f: OAuthFixture, client: Client) =>
  (
    (await (await f.app.request(`/.well-known/myterms?client_id=${client.id}`)).json()) as {
      proffered_to_you: string | null
    }
  ).proffered_to_you

/** A pushed request whose MyTerms answer accepts `proffered` (a secret client: no signature); none without. */
function answering(
  proffered: string | undefined,
  answerId = randomBytes(12).toString('base64url'),
) {
  return {
    response_type: 'code',
    redirect_uri: REDIRECT,
    code_challenge: pkce().challenge,
    code_challenge_method: 'S256',
    authorization_details: JSON.stringify([
      {
        type: 'custos_fields',
        fields: ['email'],
        actions: ['read'],
        purpose: 'Order updates',
        purposes: ['dpv:CustomerOrderManagement'],
        ...(proffered ? { myterms: { answer_id: answerId, proffered, answer: 'accept' } } : {}),
      },
    ]),
  }
}

/** A vendor registered with a document accepting PDC-GOOD (and an id this vault does not know). */
async function documentVendor(
  f: OAuthFixture,
): Promise<{ client: Client; doc: VendorTermsServer }> {
  const doc = await vendorTermsServer(json(termsDoc(['SD-BASE-ATP-S3P', 'PDC-GOOD'])))
  const client = await f.register({ myterms_uri: doc.url() })
  return { client, doc }
}

describe('registering a MyTerms document', () => {
  it('reads it at registration: the owner’s first choice the vendor accepts is proffered, unknown ids ignored', async () => {
    const f = await setUp()
    const doc = await vendorTermsServer(json(termsDoc(['SD-BASE-ATP-S3P', 'PDC-GOOD'])))
    const res = await register(f, { myterms_uri: doc.url() })
    expect(res.status).toBe(201)
    const body = (await res.json()) as Record<string, unknown>
    expect(body.myterms_uri).toBe(doc.url())
    expect(body).not.toHaveProperty('myterms_accepted') // learned, not registered
    expect(doc.hits).toEqual(['/.well-known/myterms'])
    const client = { id: body.client_id as string } as Client
    expect(await profferedTo(f, client)).toBe('PDC-GOOD')
    // The copy is sealed and MAC'd: neither the URL nor what it accepts is plaintext.
    const [row] = await rowsOf(f.tv, 'myterms_vendor_terms')
    expect(row?.client_id).toBe(client.id)
    expect(Buffer.from(row?.sealed ?? []).toString('latin1')).not.toContain('PDC-GOOD')
    expect(doc.hits).toHaveLength(1) // the fresh copy served discovery
  })

  it('refuses a document that cannot be read with invalid_client_metadata, creating nothing', async () => {
    const f = await setUp()
    const cases: [string, (s: VendorTermsServer) => void, string][] = [
      [
        'redirect',
        (s) => s.answer((_q, r) => r.writeHead(301, { location: '/x' }).end()),
        'redirect',
      ],
      ['404', (s) => s.answer((_q, r) => r.writeHead(404).end()), 'could not be fetched'],
      ['not JSON', (s) => s.answer((_q, r) => r.end('<html>terms</html>')), 'not a JSON object'],
      ['wrong shape', (s) => s.answer(json({ accepts: ['SD-BASE'] })), 'not a JSON object'],
      [
        'oversized',
        (s) =>
          s.answer((_q, r) => r.end(JSON.stringify({ agreements: [], tos: 'x'.repeat(300_000) }))),
        'larger than 256 KiB',
      ],
    ]
    const server = await vendorTermsServer(json({}))
    for (const [, serve, words] of cases) {
      serve(server)
      const res = await register(f, { myterms_uri: server.url() })
      expect(res.status).toBe(400)
      const body = (await res.json()) as OAuthErrorBody
      expect(body.error).toBe('invalid_client_metadata')
      expect(body.error_description).toMatch(/^myterms_uri: /)
      expect(body.error_description).toContain(words)
    }
    const gone = server.url()
    await server.close()
    const unreachable = (await (await register(f, { myterms_uri: gone })).json()) as OAuthErrorBody
    expect(unreachable.error).toBe('invalid_client_metadata')
    expect(await f.tv.vault.vendors.list()).toEqual([])
    expect(await rowsOf(f.tv, 'oauth_clients')).toEqual([])
    expect(await rowsOf(f.tv, 'myterms_vendor_terms')).toEqual([])
  })

  it('validates the URL like the other endpoints: https, or http on a loopback address only', async () => {
    const f = await setUp()
    const bad = ['http://shop.example/myterms.json', 'ftp://shop.example/m', 'not a url']
    // custos_events_endpoint shares the rule; an unparsable one was a 500 before this test.
    for (const name of ['myterms_uri', 'custos_events_endpoint'])
      for (const uri of bad) {
        const res = await register(f, { [name]: uri })
        expect(res.status).toBe(400)
        const body = (await res.json()) as OAuthErrorBody
        expect(body.error).toBe('invalid_client_metadata')
        expect(body.error_description).toContain(name)
      }
  })

  it('lets a registered myterms_accepted win: the document is not read at all', async () => {
    const f = await setUp()
    const doc = await vendorTermsServer(json(termsDoc(['PDC-GOOD'])))
    const client = await f.register({ myterms_uri: doc.url(), myterms_accepted: ['SD-BASE'] })
    expect(await profferedTo(f, client)).toBe('SD-BASE')
    const res = await f.post('/oauth/par', client, answering('SD-BASE'))
    expect(res.status).toBe(201)
    expect(doc.hits).toEqual([])
  })
})

describe('the copy at the pushed request', () => {
  it('is used while fresh, and read again once stale: the vendor’s new terms are proffered', async () => {
    const f = await setUp()
    const { client, doc } = await documentVendor(f)
    expect((await f.post('/oauth/par', client, answering('PDC-GOOD'))).status).toBe(201)
    expect(doc.hits).toHaveLength(1)
    doc.answer(json(termsDoc(['SD-BASE'])))
    f.advance(MAX_AGE_SECONDS + 1)
    // Stale: read again at the push, and the answer is checked against the new proffer.
    const old = await f.post('/oauth/par', client, answering('PDC-GOOD'))
    expect(((await old.json()) as OAuthErrorBody).error_description).toContain(
      'not the agreement the owner proffers to you',
    )
    expect(doc.hits).toHaveLength(2)
    expect((await f.post('/oauth/par', client, answering('SD-BASE'))).status).toBe(201)
    expect(doc.hits).toHaveLength(2)
  })

  it('falls back to the last good copy when the server fails, and asks it again only after a pause', async () => {
    const f = await setUp()
    const { client, doc } = await documentVendor(f)
    doc.answer((_q, r) => r.writeHead(500).end())
    f.advance(MAX_AGE_SECONDS + 1)
    expect((await f.post('/oauth/par', client, answering('PDC-GOOD'))).status).toBe(201)
    expect(doc.hits).toHaveLength(2)
    expect((await f.post('/oauth/par', client, answering('PDC-GOOD'))).status).toBe(201)
    expect(doc.hits).toHaveLength(2) // within the pause after a failure
    f.advance(RETRY_AFTER_FAILURE_SECONDS)
    doc.answer(json({ agreements: 'broken' }))
    expect((await f.post('/oauth/par', client, answering('PDC-GOOD'))).status).toBe(201)
    expect(doc.hits).toHaveLength(3)
    expect(await profferedTo(f, client)).toBe('PDC-GOOD') // the copy survived both failures
  })

  it('without any good copy, refuses precisely — and the answer id is not used up', async () => {
    const f = await setUp()
    const { client, doc } = await documentVendor(f)
    // The kept copy is edited in the database: it reads as absent, as if never kept.
    await editRow(f.tv, 'myterms_vendor_terms', client.id, {
      fetched_at: '2099-01-01T00:00:00.000Z',
    })
    doc.answer((_q, r) => r.writeHead(302, { location: 'https://elsewhere.example/' }).end())
    const answerId = 'answer-kept-1'
    const res = await f.post('/oauth/par', client, answering('PDC-GOOD', answerId))
    expect(res.status).toBe(400)
    const body = (await res.json()) as OAuthErrorBody
    expect(body.error).toBe('invalid_authorization_details')
    expect(body.error_description).toContain('myterms_uri cannot be read and no earlier copy')
    expect(body.error_description).toContain('redirect')
    expect(await profferedTo(f, client)).toBeNull()
    // Served again: the same answer goes through, and a good copy is kept once more.
    doc.answer(json(termsDoc(['PDC-GOOD'])))
    f.advance(RETRY_AFTER_FAILURE_SECONDS)
    expect((await f.post('/oauth/par', client, answering('PDC-GOOD', answerId))).status).toBe(201)
    expect(await profferedTo(f, client)).toBe('PDC-GOOD')
  })

  it('reads nothing while the owner proffers no agreement', async () => {
    const f = await oauthFixture()
    const { client, doc } = await documentVendor(f)
    f.advance(MAX_AGE_SECONDS + 1)
    expect((await f.post('/oauth/par', client, answering(undefined))).status).toBe(201)
    expect(await profferedTo(f, client)).toBeNull()
    expect(doc.hits).toHaveLength(1) // registration only
  })
})

/**
 * The vendor and the owner of the server benchmarks, over real HTTP: registers a confidential
 * client (RFC 7591), signs the owner in, runs the authorization code flow with PKCE through the
 * consent page `families` times, and leaves one request pending for the consent-page benchmark.
 * Every step checks its answer, so a benchmark never measures a stream of errors.
 */
import { createHash, randomBytes } from 'node:crypto'
import { GRANTED_FIELDS, PASSPHRASE } from './fixtures.js'

const REDIRECT = 'https://shop.example/cb'

export interface ConnectedVendor {
  /** `Authorization` header value for the token endpoint (client_secret_basic). */
  readonly clientAuthorization: string
  /** An access token for `GET /v1/profile` (ten granted fields). */
  readonly accessToken: string
  /** One live refresh token per token family (not the access token's): each use rotates it (RFC 9700 §4.14.2). */
  readonly refreshTokens: string[]
  readonly ownerCookie: string
  /** A pending authorization request whose consent page the owner can open. */
  readonly pendingPath: string
}

async function expectStatus(res: Response, status: number, what: string): Promise<Response> {
  if (res.status !== status)
    throw new Error(`${what}: HTTP ${res.status} ${(await res.text()).slice(0, 300)}`)
  return res
}

const basic = (id: string, secret: string) =>
  `Basic ${Buffer.from(`${encodeURIComponent(id)}:${encodeURIComponent(secret)}`).toString('base64')}`

/** Connects the vendor with `families` refresh-token families, plus one more for the access token. */
export async function connectVendor(base: string, families: number): Promise<ConnectedVendor> {
  const registered = await expectStatus(
    await fetch(`${base}/oauth/register`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ client_name: 'Benchmark Shop', redirect_uris: [REDIRECT] }),
    }),
    201,
    'client registration',
  )
  const client = (await registered.json()) as { client_id: string; client_secret: string }
  const clientAuthorization = basic(client.client_id, client.client_secret)

  const signedIn = await expectStatus(
    await fetch(`${base}/owner/session`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ passphrase: PASSPHRASE }),
    }),
    201,
    'owner sign-in',
  )
  const ownerCookie = (signedIn.headers.get('set-cookie') ?? '').split(';')[0] as string
  const { csrf_token: csrf } = (await signedIn.json()) as { csrf_token: string }

  const scope = Object.keys(GRANTED_FIELDS)
    .map((f) => `read:${f}`)
    .join(' ')
  /** Opens the consent page for a new request; returns its pending id and the PKCE verifier. */
  const pending = async () => {
    const verifier = randomBytes(32).toString('base64url')
    const query = new URLSearchParams({
      client_id: client.client_id,
      response_type: 'code',
      redirect_uri: REDIRECT,
      scope,
      code_challenge: createHash('sha256').update(verifier).digest('base64url'),
      code_challenge_method: 'S256',
      state: randomBytes(8).toString('hex'),
    })
    const page = await expectStatus(
      await fetch(`${base}/oauth/authorize?${query}`, { headers: { cookie: ownerCookie } }),
      200,
      'consent page',
    )
    const html = await page.text()
    const id = /name="request_id" value="([A-Za-z0-9_-]+)"/.exec(html)?.[1]
    if (!id) throw new Error('no pending request id on the consent page')
    const ticked = [
      ...html.matchAll(/<input type="checkbox" name="([^"]+)" value="([^"]+)" checked>/g),
    ].map((m) => [m[1] as string, (m[2] as string).replace(/&amp;/g, '&')])
    return { id, verifier, ticked }
  }

  const tokens: { access_token: string; refresh_token: string }[] = []
  for (let i = 0; i <= families; i++) {
    const request = await pending()
    const decided = await expectStatus(
      await fetch(`${base}/oauth/authorize/decision`, {
        method: 'POST',
        redirect: 'manual',
        headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: ownerCookie },
        body: new URLSearchParams([
          ['request_id', request.id],
          ['csrf_token', csrf],
          ...request.ticked,
          ['decision', 'approve'],
        ] as [string, string][]).toString(),
      }),
      303,
      'consent decision',
    )
    const code = new URL(decided.headers.get('location') ?? '').searchParams.get('code')
    if (!code) throw new Error(`no code in the redirect: ${decided.headers.get('location')}`)
    const exchanged = await expectStatus(
      await fetch(`${base}/oauth/token`, {
        method: 'POST',
        headers: {
          'content-type': 'application/x-www-form-urlencoded',
          authorization: clientAuthorization,
        },
        body: new URLSearchParams({
          grant_type: 'authorization_code',
          code,
          redirect_uri: REDIRECT,
          code_verifier: request.verifier,
        }).toString(),
      }),
      200,
      'code exchange',
    )
    tokens.push((await exchanged.json()) as { access_token: string; refresh_token: string })
  }
  const first = tokens[0]
  if (!first) throw new Error('no tokens issued')

  const profile = await expectStatus(
    await fetch(`${base}/v1/profile`, {
      headers: { authorization: `Bearer ${first.access_token}` },
    }),
    200,
    'profile read',
  )
  const body = JSON.stringify(await profile.json())
  if (!body.includes(String(GRANTED_FIELDS.email)))
    throw new Error('the profile read does not carry the granted email')

  const left = await pending()
  return {
    clientAuthorization,
    accessToken: first.access_token,
    refreshTokens: tokens.slice(1).map((t) => t.refresh_token),
    ownerCookie,
    pendingPath: `/oauth/authorize/pending/${left.id}`,
  }
}

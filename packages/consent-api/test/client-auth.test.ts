/**
 * Client authentication at the back-channel endpoints: client_secret_basic and client_secret_post
 * (RFC 6749 §2.3.1) and private_key_jwt (RFC 7523 §2.2, §3). A secret client may use either
 * secret method, a key client only its key; every failure is 401 invalid_client. Introspecting an unknown token is the probe: an
 * authenticated client gets 200 `{ active: false }`.
 */
import { generateKeyPair, SignJWT } from 'jose'
import { afterEach, describe, expect, it } from 'vitest'
import {
  FORM,
  ISSUER,
  type OAuthFixture,
  TOKEN_URL,
  basic,
  disposeFixtures,
  form,
  oauthFixture,
} from './support/oauth-fixture.js'

afterEach(disposeFixtures)

const ASSERTION_TYPE = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer'

function probe(
  f: OAuthFixture,
  headers: Record<string, string>,
  fields: Record<string, string>,
  path = '/oauth/introspect',
) {
  return f.app.request(path, {
    method: 'POST',
    headers: { ...FORM, ...headers },
    body: form({ token: 'unknown-token', ...fields }),
  })
}

async function expectInvalidClient(res: Response, basicTried: boolean) {
  expect(res.status).toBe(401)
  expect(((await res.json()) as { error: string }).error).toBe('invalid_client')
  expect(res.headers.get('cache-control')).toBe('no-store')
  if (basicTried) expect(res.headers.get('www-authenticate')).toMatch(/^Basic /)
}

describe('client secrets', () => {
  it('client_secret_basic: the registered secret works, a wrong one, an unknown client or a malformed header is invalid_client with a Basic challenge', async () => {
    const f = await oauthFixture()
    const client = await f.register()
    const ok = await probe(f, { authorization: basic(client.id, client.secret as string) }, {})
    expect(ok.status).toBe(200)
    expect(await ok.json()).toEqual({ active: false })
    for (const authorization of [
      basic(client.id, 'wrong'),
      basic(client.id, `${client.secret}x`),
      basic('ven_unknown', client.secret as string),
      basic(client.id, ''),
      'Basic !!!not-base64',
      `Basic ${Buffer.from('no-colon').toString('base64')}`,
      `Basic ${Buffer.from(`${client.id}:%E0%A4%A`).toString('base64')}`,
    ]) {
      await expectInvalidClient(await probe(f, { authorization }, {}), true)
    }
    // A client_id in the body that differs from the Basic one is refused.
    await expectInvalidClient(
      await probe(
        f,
        { authorization: basic(client.id, client.secret as string) },
        { client_id: 'ven_other' },
      ),
      true,
    )
  })

  it('client_secret_post works for a client registered so; a secret client may use either secret method (issue 10)', async () => {
    const f = await oauthFixture()
    const post = await f.register({ token_endpoint_auth_method: 'client_secret_post' })
    const viaBasic = await f.register()
    expect(
      (await probe(f, {}, { client_id: post.id, client_secret: post.secret as string })).status,
    ).toBe(200)
    await expectInvalidClient(
      await probe(f, {}, { client_id: post.id, client_secret: 'wrong' }),
      false,
    )
    // The same secret proves the same thing in the header or the body: openid-client sends
    // client_secret_post to a client registered with RFC 7591's default, client_secret_basic.
    expect(
      (await probe(f, { authorization: basic(post.id, post.secret as string) }, {})).status,
    ).toBe(200)
    expect(
      (await probe(f, {}, { client_id: viaBasic.id, client_secret: viaBasic.secret as string }))
        .status,
    ).toBe(200)
    await expectInvalidClient(await probe(f, { authorization: basic(post.id, 'wrong') }, {}), true)
    await expectInvalidClient(
      await probe(f, {}, { client_id: viaBasic.id, client_secret: 'wrong' }),
      false,
    )
  })

  it('no authentication, or two methods at once, is refused', async () => {
    const f = await oauthFixture()
    const client = await f.register()
    await expectInvalidClient(await probe(f, {}, {}), false)
    await expectInvalidClient(await probe(f, {}, { client_id: client.id }), false)
    const both = await probe(
      f,
      { authorization: basic(client.id, client.secret as string) },
      { client_secret: client.secret as string },
    )
    expect(both.status).toBe(400)
    expect(((await both.json()) as { error: string }).error).toBe('invalid_request')
  })

  it('a blocked vendor cannot authenticate at any endpoint', async () => {
    const f = await oauthFixture()
    const client = await f.register()
    await f.tv.vault.vendors.setBlocked(client.id, true)
    for (const path of ['/oauth/token', '/oauth/par', '/oauth/revoke', '/oauth/introspect']) {
      await expectInvalidClient(
        await probe(
          f,
          { authorization: basic(client.id, client.secret as string) },
          { grant_type: 'refresh_token', refresh_token: 'x' },
          path,
        ),
        true,
      )
    }
  })
})

describe('private_key_jwt (RFC 7523)', () => {
  it('accepts an assertion signed with the registered key, with aud = the issuer or the endpoint URL', async () => {
    const f = await oauthFixture()
    const client = await f.registerKeyClient()
    for (const aud of [
      ISSUER,
      `${ISSUER}/oauth/introspect`,
      TOKEN_URL,
      [ISSUER, 'https://other.example'],
    ]) {
      const res = await probe(
        f,
        {},
        { client_assertion_type: ASSERTION_TYPE, client_assertion: await client.sign({ aud }) },
      )
      expect([aud, res.status]).toEqual([aud, 200])
    }
    // client_id may accompany the assertion, and must then name the same client.
    expect(
      (
        await probe(
          f,
          {},
          {
            client_id: client.id,
            client_assertion_type: ASSERTION_TYPE,
            client_assertion: await client.sign(),
          },
        )
      ).status,
    ).toBe(200)
    await expectInvalidClient(
      await probe(
        f,
        {},
        {
          client_id: 'ven_other',
          client_assertion_type: ASSERTION_TYPE,
          client_assertion: await client.sign(),
        },
      ),
      false,
    )
  })

  it('refuses a wrong audience, issuer or subject, a missing or far exp, an expired assertion, a missing jti', async () => {
    const f = await oauthFixture()
    const client = await f.registerKeyClient()
    const now = Math.floor(f.now().getTime() / 1000)
    const bad: Record<string, unknown>[] = [
      { aud: 'https://other.example' },
      { aud: `${ISSUER}/oauth/authorize` },
      { sub: 'ven_other' },
      { exp: undefined },
      { exp: now + 3600 },
      { exp: now - 120, iat: now - 180 },
      { jti: undefined },
    ]
    for (const claims of bad) {
      const res = await probe(
        f,
        {},
        { client_assertion_type: ASSERTION_TYPE, client_assertion: await client.sign(claims) },
      )
      expect([claims, res.status]).toEqual([claims, 401])
    }
    // iss must be a registered private_key_jwt client: the claimed iss decides which key is used.
    await expectInvalidClient(
      await probe(
        f,
        {},
        {
          client_assertion_type: ASSERTION_TYPE,
          client_assertion: await client.sign({ iss: 'ven_other', sub: 'ven_other' }),
        },
      ),
      false,
    )
  })

  it('refuses a replayed assertion (jti single-use) and stores the jti only hashed', async () => {
    const f = await oauthFixture()
    const client = await f.registerKeyClient()
    const jti = 'assertion-jti-canary'
    const assertion = await client.sign({ jti })
    expect(
      (await probe(f, {}, { client_assertion_type: ASSERTION_TYPE, client_assertion: assertion }))
        .status,
    ).toBe(200)
    await expectInvalidClient(
      await probe(f, {}, { client_assertion_type: ASSERTION_TYPE, client_assertion: assertion }),
      false,
    )
    const rows = JSON.stringify(
      await f.tv.handle.db
        .selectFrom('dpop_jti' as never)
        .selectAll()
        .execute(),
    )
    expect(rows).not.toContain(jti)
  })

  it('refuses another key, an HMAC or unsigned assertion, the wrong assertion type, and a secret client presenting an assertion', async () => {
    const f = await oauthFixture()
    const client = await f.registerKeyClient()
    const foreign = await generateKeyPair('ES256')
    const iat = Math.floor(f.now().getTime() / 1000)
    const claims = { iss: client.id, sub: client.id, aud: ISSUER, jti: 'j-1', iat, exp: iat + 60 }
    const hmac = await new SignJWT(claims)
      .setProtectedHeader({ alg: 'HS256', kid: 'k1' })
      .sign(new TextEncoder().encode('a shared secret of thirty-two bytes!'))
    const unsigned = `${Buffer.from(JSON.stringify({ alg: 'none' })).toString('base64url')}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}.`
    const attempts: Record<string, string>[] = [
      {
        client_assertion_type: ASSERTION_TYPE,
        client_assertion: await client.sign({}, { key: foreign.privateKey }),
      },
      { client_assertion_type: ASSERTION_TYPE, client_assertion: hmac },
      { client_assertion_type: ASSERTION_TYPE, client_assertion: unsigned },
      {
        client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:saml2-bearer',
        client_assertion: await client.sign(),
      },
      { client_assertion_type: ASSERTION_TYPE, client_assertion: 'garbage' },
      { client_assertion_type: ASSERTION_TYPE },
    ]
    for (const fields of attempts) await expectInvalidClient(await probe(f, {}, fields), false)
    // A key client cannot fall back to a secret, and a secret client cannot use an assertion.
    await expectInvalidClient(
      await probe(f, {}, { client_id: client.id, client_secret: 'anything' }),
      false,
    )
    const secretClient = await f.register()
    await expectInvalidClient(
      await probe(
        f,
        {},
        {
          client_assertion_type: ASSERTION_TYPE,
          client_assertion: await client.sign({ iss: secretClient.id, sub: secretClient.id }),
        },
      ),
      false,
    )
  })

  it('runs the whole flow: PAR, code exchange, refresh, revocation, all authenticated by assertions', async () => {
    const f = await oauthFixture()
    const client = await f.registerKeyClient()
    const { code, verifier } = await f.code(client, {}, { par: true })
    const res = await f.exchange(client, code, verifier)
    expect(res.status).toBe(200)
    const tokens = (await res.json()) as { access_token: string; refresh_token: string }
    expect((await f.refresh(client, tokens.refresh_token)).status).toBe(200)
    expect((await f.post('/oauth/revoke', client, { token: tokens.access_token })).status).toBe(200)
  })
})

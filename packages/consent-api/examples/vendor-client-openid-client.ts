// A vendor's side of Custos with openid-client (v6), an unmodified standard OAuth 2.0 client library.
// Try it against a Custos on this computer:
//   CUSTOS_ISSUER=http://127.0.0.1:7300 npx tsx packages/consent-api/examples/vendor-client-openid-client.ts
import * as client from 'openid-client'

const issuer = new URL(process.env.CUSTOS_ISSUER ?? 'https://vault.example.net') // the customer's Custos
const redirectUri = 'https://shop.example/custos/callback'
// Custos is an OAuth 2.0 authorization server (RFC 8414 metadata), not an OpenID Provider: discover
// with algorithm 'oauth2'. openid-client refuses plain http; allow it only for a vault on this
// computer (http://127.0.0.1:…) — a customer's vault on the internet is https.
const options: client.DynamicClientRegistrationRequestOptions = {
  algorithm: 'oauth2',
  execute: issuer.protocol === 'http:' ? [client.allowInsecureRequests] : [],
}

// 1. Discover the authorization server and register once (RFC 7591). openid-client then sends the
//    secret as client_secret_post; Custos accepts either secret method.
const config = await client.dynamicClientRegistration(
  issuer,
  {
    client_name: 'Fjord Outdoor',
    redirect_uris: [redirectUri],
    client_uri: 'https://shop.example',
  },
  undefined,
  options,
)

// 2. Ask for fields (PKCE S256 is required), pushed first (RFC 9126), then send the customer's browser.
const verifier = client.randomPKCECodeVerifier()
const state = client.randomState()
export const authorizeUrl = await client.buildAuthorizationUrlWithPAR(config, {
  redirect_uri: redirectUri,
  scope: 'read:email read:prefs.sizes.* read:purchases',
  code_challenge: await client.calculatePKCECodeChallenge(verifier),
  code_challenge_method: 'S256',
  state,
})
console.log(`Send the customer to ${authorizeUrl.href}`)

// 3. At the callback: exchange the code. The response says what the customer actually approved.
export async function onCallback(callbackUrl: URL): Promise<Record<string, unknown>> {
  const tokens = await client.authorizationCodeGrant(config, callbackUrl, {
    pkceCodeVerifier: verifier,
    expectedState: state,
  })
  // 4. Read only what was granted; every read is logged in the customer's vault.
  const res = await client.fetchProtectedResource(
    config,
    tokens.access_token,
    new URL('/v1/profile', issuer),
    'GET',
  )
  if (!res.ok) throw new Error(`Custos answered ${res.status}`)
  return ((await res.json()) as { fields: Record<string, unknown> }).fields
}

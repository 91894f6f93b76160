// A vendor's side of Custos with oauth4webapi, an unmodified standard OAuth 2.0 client library.
// Try it against a Custos on this computer:
//   CUSTOS_ISSUER=http://127.0.0.1:7300 npx tsx packages/consent-api/examples/vendor-client.ts
import * as oauth from 'oauth4webapi'

const issuer = new URL(process.env.CUSTOS_ISSUER ?? 'https://vault.example.net') // the customer's Custos
const redirectUri = 'https://shop.example/custos/callback'
// oauth4webapi refuses plain http. Allow it only for a vault on this computer (http://127.0.0.1:…);
// a customer's vault on the internet is https, and then this stays off.
const http = issuer.protocol === 'http:' ? { [oauth.allowInsecureRequests]: true } : {}

// 1. Discover the authorization server (RFC 8414) and register once (RFC 7591).
const as = await oauth.processDiscoveryResponse(
  issuer,
  await oauth.discoveryRequest(issuer, { algorithm: 'oauth2', ...http }),
)
const registered = await oauth.processDynamicClientRegistrationResponse(
  await oauth.dynamicClientRegistrationRequest(
    as,
    {
      client_name: 'Fjord Outdoor',
      redirect_uris: [redirectUri],
      client_uri: 'https://shop.example',
    },
    http,
  ),
)
const client: oauth.Client = { client_id: registered.client_id }
const auth = oauth.ClientSecretBasic(registered.client_secret as string)

// 2. Ask for fields (PKCE S256 is required), pushed first (RFC 9126), then send the customer's browser.
const verifier = oauth.generateRandomCodeVerifier()
const state = oauth.generateRandomState()
const par = await oauth.processPushedAuthorizationResponse(
  as,
  client,
  await oauth.pushedAuthorizationRequest(
    as,
    client,
    auth,
    {
      response_type: 'code',
      redirect_uri: redirectUri,
      scope: 'read:email read:prefs.sizes.* read:purchases',
      code_challenge: await oauth.calculatePKCECodeChallenge(verifier),
      code_challenge_method: 'S256',
      state,
    },
    http,
  ),
)
export const authorizeUrl = new URL(as.authorization_endpoint as string)
authorizeUrl.searchParams.set('client_id', client.client_id)
authorizeUrl.searchParams.set('request_uri', par.request_uri)
console.log(`Send the customer to ${authorizeUrl.href}`)

// 3. At the callback: exchange the code. The response says what the customer actually approved.
export async function onCallback(callbackUrl: URL): Promise<Record<string, unknown>> {
  const params = oauth.validateAuthResponse(as, client, callbackUrl, state)
  const tokens = await oauth.processAuthorizationCodeResponse(
    as,
    client,
    await oauth.authorizationCodeGrantRequest(
      as,
      client,
      auth,
      params,
      redirectUri,
      verifier,
      http,
    ),
  )
  // 4. Read only what was granted; every read is logged in the customer's vault.
  const res = await oauth.protectedResourceRequest(
    tokens.access_token,
    'GET',
    new URL('/v1/profile', issuer),
    undefined,
    undefined,
    http,
  )
  if (!res.ok) throw new Error(`Custos answered ${res.status}`)
  return ((await res.json()) as { fields: Record<string, unknown> }).fields
}

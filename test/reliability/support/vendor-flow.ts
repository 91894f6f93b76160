/**
 * A vendor meeting a served Custos over real HTTP with an unmodified OAuth client library
 * (oauth4webapi), and the owner approving in a browser (test/support/owner-browser.ts): discovery,
 * RFC 7591 registration, PAR with PKCE, consent, code exchange, reads, refresh. Shared by the
 * scale-out, load and crash tests, which need many vendors with real tokens.
 */
import * as oauth from 'oauth4webapi'
import { OwnerBrowser, parseForms, submitters } from '../../support/owner-browser.js'

export const REDIRECT_URI = 'https://shop.example/oauth/callback'
export const SCOPE = 'read:email read:prefs.sizes.* read:purchases append:purchases'

/**
 * oauth4webapi refuses http:// endpoints unless told: the servers in these tests listen on the
 * loopback interface only (nothing leaves the machine), so they need no certificates.
 */
export const loopback = { [oauth.allowInsecureRequests]: true } as const

export interface Vendor {
  readonly client: oauth.Client
  readonly auth: oauth.ClientAuth
  readonly secret: string
  readonly dpop?: oauth.DPoPHandle
}

export async function discover(issuer: string): Promise<oauth.AuthorizationServer> {
  const url = new URL(issuer)
  return oauth.processDiscoveryResponse(
    url,
    await oauth.discoveryRequest(url, { algorithm: 'oauth2', ...loopback }),
  )
}

export async function registerVendor(
  as: oauth.AuthorizationServer,
  name: string,
  options: { dpop?: boolean } = {},
): Promise<Vendor> {
  const res = await oauth.dynamicClientRegistrationRequest(
    as,
    {
      client_name: name,
      redirect_uris: [REDIRECT_URI],
      token_endpoint_auth_method: 'client_secret_basic',
      ...(options.dpop ? { dpop_bound_access_tokens: true } : {}),
    },
    loopback,
  )
  const registered = await oauth.processDynamicClientRegistrationResponse(res)
  const client: oauth.Client = { client_id: registered.client_id }
  const secret = registered.client_secret as string
  return {
    client,
    auth: oauth.ClientSecretBasic(secret),
    secret,
    ...(options.dpop ? { dpop: oauth.DPoP(client, await oauth.generateKeyPair('ES256')) } : {}),
  }
}

/** The owner in a browser: signs in with the passphrase when asked and approves everything asked. */
async function ownerApproves(
  browser: OwnerBrowser,
  authorizationUrl: URL,
  passphrase: string,
): Promise<URL> {
  let step = await browser.navigate(authorizationUrl)
  for (let pages = 0; pages < 4; pages++) {
    if (step.kind === 'left')
      throw new Error(`left the server before the consent page: ${step.location.origin}`)
    if (step.status !== 200) throw new Error(`consent flow: HTTP ${step.status}`)
    const forms = parseForms(step.html)
    const login = forms.find((f) => f.controls.some((c) => c.type === 'password'))
    if (login) {
      for (const c of login.controls) if (c.type === 'password') c.value = passphrase
      step = await browser.submit(step.url, login, submitters(login)[0])
      continue
    }
    const consent = forms.find((f) => f.controls.some((c) => c.type === 'checkbox'))
    if (!consent) throw new Error('no consent form on the page')
    const approve = submitters(consent).find((b) =>
      /approve|allow|accept|grant|share/i.test(`${b.name} ${b.value} ${b.label}`),
    )
    const done = await browser.submit(step.url, consent, approve)
    if (done.kind !== 'left')
      throw new Error(`the decision did not redirect to the vendor (status ${done.status})`)
    return done.location
  }
  throw new Error('never reached the consent page')
}

/** PAR → the owner's browser → callback → code exchange. */
export async function authorizeVendor(
  as: oauth.AuthorizationServer,
  vendor: Vendor,
  browser: OwnerBrowser,
  passphrase: string,
): Promise<oauth.TokenEndpointResponse> {
  const dpop = vendor.dpop ? { DPoP: vendor.dpop } : {}
  const verifier = oauth.generateRandomCodeVerifier()
  const state = oauth.generateRandomState()
  const par = await oauth.pushedAuthorizationRequest(
    as,
    vendor.client,
    vendor.auth,
    {
      response_type: 'code',
      redirect_uri: REDIRECT_URI,
      scope: SCOPE,
      authorization_details: JSON.stringify([
        {
          type: 'custos_fields',
          actions: ['read', 'append'],
          purpose: 'Reliability campaign',
          duration_seconds: 86_400,
        },
      ]),
      code_challenge: await oauth.calculatePKCECodeChallenge(verifier),
      code_challenge_method: 'S256',
      state,
    },
    { ...loopback, ...dpop },
  )
  const { request_uri } = await oauth.processPushedAuthorizationResponse(as, vendor.client, par)
  const url = new URL(as.authorization_endpoint as string)
  url.searchParams.set('client_id', vendor.client.client_id)
  url.searchParams.set('request_uri', request_uri)
  const callback = await ownerApproves(browser, url, passphrase)
  const params = oauth.validateAuthResponse(as, vendor.client, callback, state)
  const res = await oauth.authorizationCodeGrantRequest(
    as,
    vendor.client,
    vendor.auth,
    params,
    REDIRECT_URI,
    verifier,
    { ...loopback, ...dpop },
  )
  return oauth.processAuthorizationCodeResponse(as, vendor.client, res)
}

export async function refreshTokens(
  as: oauth.AuthorizationServer,
  vendor: Vendor,
  refreshToken: string,
): Promise<oauth.TokenEndpointResponse> {
  const res = await oauth.refreshTokenGrantRequest(as, vendor.client, vendor.auth, refreshToken, {
    ...loopback,
    ...(vendor.dpop ? { DPoP: vendor.dpop } : {}),
  })
  return oauth.processRefreshTokenResponse(as, vendor.client, res)
}

/** A plain (not oauth4webapi) refresh request to one given base URL: for cross-process checks. */
export function rawRefresh(
  baseUrl: string,
  vendor: Vendor,
  refreshToken: string,
  headers: Record<string, string> = {},
): Promise<Response> {
  return fetch(`${baseUrl}/oauth/token`, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      authorization: `Basic ${Buffer.from(`${encodeURIComponent(vendor.client.client_id)}:${encodeURIComponent(vendor.secret)}`).toString('base64')}`,
      ...headers,
    },
    body: new URLSearchParams({
      grant_type: 'refresh_token',
      refresh_token: refreshToken,
    }).toString(),
  })
}

export { OwnerBrowser }

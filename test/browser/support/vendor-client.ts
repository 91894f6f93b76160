/**
 * The vendor in the browser stories: an ordinary web shop's back end using a standard, unmodified
 * OAuth 2.0 client library (oauth4webapi) — discovery (RFC 8414), dynamic registration
 * (RFC 7591), PAR (RFC 9126) with PKCE S256 (RFC 7636) and rich authorization requests
 * (RFC 9396), the code grant (RFC 6749 §4.1), and Bearer reads of the resource API (RFC 6750).
 *
 * Its redirect_uri is a real HTTP listener on the loopback interface (RFC 8252 §7.3 allows http
 * there), so the owner's browser really leaves Custos for the vendor after approving, and the
 * story reads the callback the vendor's server received.
 */
import { once } from 'node:events'
import { type Server, createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import * as oauth from 'oauth4webapi'

/**
 * oauth4webapi refuses http:// endpoints unless told otherwise (a code or token in clear text can
 * be read and replayed). The stories run Custos on 127.0.0.1 without TLS; a vendor meets a real
 * vault over https and never sets this.
 */
const loopback = { [oauth.allowInsecureRequests]: true } as const

export interface PendingAuthorization {
  /** Where the vendor sends the owner's browser. */
  readonly url: URL
  readonly verifier: string
  readonly state: string
}

export interface ResourceResponse {
  readonly status: number
  readonly body: unknown
  readonly wwwAuthenticate: string | null
}

export interface TestVendor {
  readonly name: string
  readonly clientId: string
  /** The vendor's callback endpoint (its redirect_uri). */
  readonly redirectUri: string
  /** PAR with the given scope and purpose: returns the authorization URL for the owner's browser. */
  startAuthorization(request: {
    scope: string
    purpose: string
    durationSeconds: number
    actions: readonly ('read' | 'append' | 'converse' | 'intents')[]
  }): Promise<PendingAuthorization>
  /** Resolves with the next callback URL the vendor's listener receives (code and state in the query). */
  nextCallback(): Promise<URL>
  /** Checks the callback (state, iss per RFC 9207) and exchanges the code (with the PKCE verifier) for tokens. */
  exchange(pending: PendingAuthorization, callback: URL): Promise<oauth.TokenEndpointResponse>
  /** GET a resource path with the access token: the raw response (status 401 included, not thrown). */
  read(accessToken: string, path: string): Promise<ResourceResponse>
  /** POST JSON to a resource path (a receipt into the owner's inbox). */
  write(accessToken: string, path: string, body: unknown): Promise<ResourceResponse>
  close(): Promise<void>
}

/** Starts the vendor's callback listener, discovers the vault's metadata and registers the vendor. */
export async function startTestVendor(issuer: string, name: string): Promise<TestVendor> {
  const waiting: ((url: URL) => void)[] = []
  const received: URL[] = []
  const server: Server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', `http://${req.headers.host ?? '127.0.0.1'}`)
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' })
    res.end(
      `<!doctype html><html lang="en"><head><title>${name}</title></head><body><h1>Thanks — ${name} is connected</h1></body></html>`,
    )
    if (url.pathname !== '/callback') return
    const resolve = waiting.shift()
    if (resolve) resolve(url)
    else received.push(url)
  })
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  const redirectUri = `http://127.0.0.1:${(server.address() as AddressInfo).port}/callback`

  const issuerUrl = new URL(issuer)
  const as = await oauth.processDiscoveryResponse(
    issuerUrl,
    await oauth.discoveryRequest(issuerUrl, { algorithm: 'oauth2', ...loopback }),
  )
  const registered = await oauth.processDynamicClientRegistrationResponse(
    await oauth.dynamicClientRegistrationRequest(
      as,
      {
        client_name: name,
        client_uri: 'https://fjord.example',
        redirect_uris: [redirectUri],
        token_endpoint_auth_method: 'client_secret_basic',
      },
      loopback,
    ),
  )
  const client: oauth.Client = { client_id: registered.client_id }
  const auth = oauth.ClientSecretBasic(registered.client_secret as string)

  async function resource(
    accessToken: string,
    method: 'GET' | 'POST',
    path: string,
    body?: unknown,
  ): Promise<ResourceResponse> {
    const headers = new Headers({ accept: 'application/json' })
    if (body !== undefined) headers.set('content-type', 'application/json')
    let res: Response
    try {
      res = await oauth.protectedResourceRequest(
        accessToken,
        method,
        new URL(path, issuer),
        headers,
        body === undefined ? undefined : JSON.stringify(body),
        loopback,
      )
    } catch (err) {
      // oauth4webapi raises a 401's WWW-Authenticate challenge (RFC 6750 §3); the story asserts on the refusal itself.
      if (!(err instanceof oauth.WWWAuthenticateChallengeError)) throw err
      res = err.response
    }
    const text = await res.text()
    let parsed: unknown = text
    try {
      parsed = JSON.parse(text)
    } catch {
      // Keep the raw text: a non-JSON body is itself a finding the story reports.
    }
    return {
      status: res.status,
      body: parsed,
      wwwAuthenticate: res.headers.get('www-authenticate'),
    }
  }

  return {
    name,
    clientId: registered.client_id,
    redirectUri,
    async startAuthorization({ scope, purpose, durationSeconds, actions }) {
      const verifier = oauth.generateRandomCodeVerifier()
      const state = oauth.generateRandomState()
      const par = await oauth.pushedAuthorizationRequest(
        as,
        client,
        auth,
        {
          response_type: 'code',
          redirect_uri: redirectUri,
          scope,
          authorization_details: JSON.stringify([
            { type: 'custos_fields', actions, purpose, duration_seconds: durationSeconds },
          ]),
          code_challenge: await oauth.calculatePKCECodeChallenge(verifier),
          code_challenge_method: 'S256',
          state,
        },
        loopback,
      )
      const { request_uri } = await oauth.processPushedAuthorizationResponse(as, client, par)
      const url = new URL(as.authorization_endpoint as string)
      url.searchParams.set('client_id', client.client_id)
      url.searchParams.set('request_uri', request_uri)
      return { url, verifier, state }
    },
    nextCallback() {
      const early = received.shift()
      if (early) return Promise.resolve(early)
      return new Promise((resolve) => waiting.push(resolve))
    },
    async exchange(pending, callback) {
      const params = oauth.validateAuthResponse(as, client, callback, pending.state)
      const response = await oauth.authorizationCodeGrantRequest(
        as,
        client,
        auth,
        params,
        redirectUri,
        pending.verifier,
        loopback,
      )
      return oauth.processAuthorizationCodeResponse(as, client, response)
    },
    read: (accessToken, path) => resource(accessToken, 'GET', path),
    write: (accessToken, path, body) => resource(accessToken, 'POST', path, body),
    close() {
      return new Promise<void>((resolve) => {
        server.close(() => resolve())
        server.closeAllConnections()
      })
    },
  }
}

/**
 * Fjord Outdoor's side of one customer's Custos: everything that speaks OAuth to the vault, with
 * oauth4webapi (an unmodified standard client) and jose. One connection per vault issuer: the
 * shop discovers the vault (RFC 8414), registers once (RFC 7591) as a `private_key_jwt` client
 * (RFC 7523) with an ES256 key it generates — so it can also sign its MyTerms answer and its
 * erasure acknowledgements — pushes each authorization request (RFC 9126, PKCE per RFC 7636,
 * rich authorization details per RFC 9396), exchanges codes, reads through the grant (RFC 6750),
 * and verifies the Security Event Tokens the vault pushes (RFC 8417) with the vault's JWKS.
 */
import {
  type CryptoKey,
  type JWTPayload,
  SignJWT,
  createRemoteJWKSet,
  customFetch,
  exportJWK,
  generateKeyPair,
  jwtVerify,
} from 'jose'
import * as oauth from 'oauth4webapi'
import type { ConsentReceiptEvidence, GrantTokens } from './shop-store.js'

/** What Fjord Outdoor asks every customer's vault for, and why (README "For vendors", step 2). */
export const SHOP_REQUEST = Object.freeze({
  type: 'custos_fields',
  // The customer record: who to address, where to write, where to ship (schema.org PostalAddress).
  fields: ['name.given', 'email', 'address.shipping'],
  // "Purchases you made with" Fjord Outdoor: the read:purchases slice.
  purchases: { made_with_vendor: true },
  // read the record; append order receipts into the customer's inbox; answer her in Custos;
  // see the requests for proposals she publishes and answer them with offers.
  actions: ['read', 'append', 'converse', 'intents'],
  purpose: 'Take your orders, deliver them, and keep your receipts',
  purposes: ['dpv:CustomerOrderManagement', 'dpv:DeliveryOfGoods'],
  duration_seconds: 365 * 86400,
})

/** The MyTerms roster agreements (IEEE 7012) the shop accepts: service delivery only. */
export const ACCEPTED_TERMS = Object.freeze(['SD-BASE', 'SD-BASE-DP'])

const ERASURE_ACKNOWLEDGED = 'https://custos.dev/secevent/erasure-acknowledged'
const SET_TYP = 'secevent+jwt'
const KID = 'fjord-1'

export interface ShopIdentity {
  readonly name: string
  /** The shop's own base URL: its callback and its RFC 8935 events endpoint live under it. */
  readonly baseUrl: string
}

/**
 * oauth4webapi's request options: plain http only for a loopback vault, and the shop's fetch (one
 * generic function fits every endpoint's body type).
 */
interface OAuthHttp {
  readonly [oauth.allowInsecureRequests]?: boolean
  readonly [oauth.customFetch]: <M, B>(
    url: string,
    init: oauth.CustomFetchOptions<M, B>,
  ) => Promise<Response>
}

export interface PendingAuthorization {
  readonly url: URL
  readonly state: string
  readonly verifier: string
}

/** A vault refused, or answered what the shop cannot use: the route shows a 502 with these words. */
export class CustosError extends Error {
  override readonly name = 'CustosError'
}

/** The vault's answer to the shop's MyTerms discovery (`GET /.well-known/myterms?client_id=`). */
interface MyTermsDiscovery {
  readonly proffered_to_you?: string | null
}

export class CustosConnection {
  readonly issuer: string
  readonly clientId: string
  readonly redirectUri: string
  readonly #as: oauth.AuthorizationServer
  readonly #client: oauth.Client
  readonly #auth: oauth.ClientAuth
  readonly #key: CryptoKey
  readonly #http: OAuthHttp
  readonly #fetch: typeof fetch
  readonly #jwks: ReturnType<typeof createRemoteJWKSet>

  private constructor(parts: {
    as: oauth.AuthorizationServer
    clientId: string
    redirectUri: string
    key: CryptoKey
    http: OAuthHttp
    fetch: typeof fetch
  }) {
    this.#as = parts.as
    this.issuer = parts.as.issuer
    this.clientId = parts.clientId
    this.redirectUri = parts.redirectUri
    this.#client = { client_id: parts.clientId }
    this.#key = parts.key
    this.#auth = oauth.PrivateKeyJwt({ key: parts.key, kid: KID })
    this.#http = parts.http
    this.#fetch = parts.fetch
    // The vault signs SETs with the key it publishes (README step 6); jose caches the set and
    // fetches again when a kid it has not seen arrives (after a key rotation).
    this.#jwks = createRemoteJWKSet(new URL('/.well-known/jwks.json', this.issuer), {
      [customFetch]: parts.fetch,
    })
  }

  /**
   * Discovers the vault and registers the shop there. `fetch` reaches the vault (tests pass the
   * app's own handler); plain http is allowed only for a vault on this computer.
   */
  static async connect(
    issuer: URL,
    shop: ShopIdentity,
    options: { readonly fetch?: typeof fetch } = {},
  ): Promise<CustosConnection> {
    const fetchImpl = options.fetch ?? fetch
    // oauth4webapi refuses http: a code or token in clear text can be read and replayed. Only a
    // vault on the loopback interface (`npm start`, tests) is let through; on the internet it is https.
    const loopback = issuer.protocol === 'http:' && ['127.0.0.1', '[::1]'].includes(issuer.hostname)
    if (issuer.protocol !== 'https:' && !loopback)
      throw new CustosError('A Custos address is https (or http://127.0.0.1 on this computer)')
    const http: OAuthHttp = {
      ...(loopback ? { [oauth.allowInsecureRequests]: true } : {}),
      [oauth.customFetch]: (url, init) => fetchImpl(url, init as RequestInit),
    }
    const as = await oauth.processDiscoveryResponse(
      issuer,
      await oauth.discoveryRequest(issuer, { algorithm: 'oauth2', ...http }),
    )
    const { privateKey, publicKey } = await generateKeyPair('ES256')
    const jwk = { ...(await exportJWK(publicKey)), kid: KID, alg: 'ES256', use: 'sig' }
    const redirectUri = `${shop.baseUrl}/custos/callback`
    const registered = await oauth.processDynamicClientRegistrationResponse(
      await oauth.dynamicClientRegistrationRequest(
        as,
        {
          client_name: shop.name,
          client_uri: shop.baseUrl,
          redirect_uris: [redirectUri],
          token_endpoint_auth_method: 'private_key_jwt',
          jwks: { keys: [jwk] },
          // RFC 8935: the vault pushes its SETs here.
          custos_events_endpoint: `${shop.baseUrl}/custos/events`,
          myterms_accepted: [...ACCEPTED_TERMS],
        },
        http,
      ),
    )
    return new CustosConnection({
      as,
      clientId: registered.client_id,
      redirectUri,
      key: privateKey,
      http,
      fetch: fetchImpl,
    })
  }

  /**
   * Pushes the shop's request (RFC 9126) with PKCE (RFC 7636) and answers the customer's MyTerms
   * proffer in it; returns where to send the customer's browser. `extraFields`: fields an
   * accepted offer's intent said she would disclose, asked for beside the shop's usual ones.
   */
  async startAuthorization(extraFields: readonly string[] = []): Promise<PendingAuthorization> {
    const verifier = oauth.generateRandomCodeVerifier()
    const state = oauth.generateRandomState()
    const myterms = await this.#mytermsAnswer()
    const fields = [...new Set([...SHOP_REQUEST.fields, ...extraFields])]
    const detail = { ...SHOP_REQUEST, fields, ...(myterms ? { myterms } : {}) }
    const response = await oauth.pushedAuthorizationRequest(
      this.#as,
      this.#client,
      this.#auth,
      {
        response_type: 'code',
        redirect_uri: this.redirectUri,
        authorization_details: JSON.stringify([detail]),
        code_challenge: await oauth.calculatePKCECodeChallenge(verifier),
        code_challenge_method: 'S256',
        state,
      },
      this.#http,
    )
    const par = await oauth.processPushedAuthorizationResponse(this.#as, this.#client, response)
    const url = new URL(this.#as.authorization_endpoint as string)
    url.searchParams.set('client_id', this.clientId)
    url.searchParams.set('request_uri', par.request_uri)
    return { url, state, verifier }
  }

  /**
   * IEEE 7012: the agreement the customer proffers to this shop (`/.well-known/myterms`), answered
   * once — accepted when it is one the shop accepts, declined otherwise — and signed with the
   * shop's registered key (`jti` = the answer id, used once). No proffer, no answer.
   */
  async #mytermsAnswer(): Promise<Record<string, string> | undefined> {
    const url = new URL('/.well-known/myterms', this.issuer)
    url.searchParams.set('client_id', this.clientId)
    const res = await this.#fetch(url, { headers: { accept: 'application/json' } })
    if (!res.ok) throw new CustosError(`The vault's MyTerms discovery answered ${res.status}`)
    const proffered = ((await res.json()) as MyTermsDiscovery).proffered_to_you
    if (typeof proffered !== 'string') return undefined
    const answer = ACCEPTED_TERMS.includes(proffered) ? 'accept' : 'decline'
    const answerId = oauth.generateRandomState()
    const signature = await new SignJWT({ proffered, answer })
      .setProtectedHeader({ alg: 'ES256', kid: KID })
      .setIssuer(this.clientId)
      .setAudience(this.issuer)
      .setJti(answerId)
      .setIssuedAt()
      .sign(this.#key)
    return { answer_id: answerId, proffered, answer, signature }
  }

  /** The callback: checks state and `iss` (RFC 9207), exchanges the code with the PKCE verifier. */
  async finishAuthorization(pending: PendingAuthorization, callback: URL): Promise<GrantTokens> {
    const params = oauth.validateAuthResponse(this.#as, this.#client, callback, pending.state)
    const response = await oauth.authorizationCodeGrantRequest(
      this.#as,
      this.#client,
      this.#auth,
      params,
      this.redirectUri,
      pending.verifier,
      this.#http,
    )
    return tokensOf(await oauth.processAuthorizationCodeResponse(this.#as, this.#client, response))
  }

  /** A fresh access token when this one is (nearly) spent; refresh tokens rotate (RFC 9700 §2.2.2). */
  async fresh(tokens: GrantTokens): Promise<GrantTokens> {
    if (Date.now() < tokens.expiresAt - 10_000 || tokens.refreshToken === undefined) return tokens
    const response = await oauth.refreshTokenGrantRequest(
      this.#as,
      this.#client,
      this.#auth,
      tokens.refreshToken,
      this.#http,
    )
    return tokensOf(await oauth.processRefreshTokenResponse(this.#as, this.#client, response))
  }

  /** A Bearer request to the vault's resource API (RFC 6750); a 401 challenge is returned, not thrown. */
  async resource(
    tokens: GrantTokens,
    method: 'GET' | 'POST' | 'DELETE',
    path: string,
    body?: unknown,
  ): Promise<Response> {
    const headers = new Headers({ accept: 'application/json' })
    if (body !== undefined) headers.set('content-type', 'application/json')
    try {
      return await oauth.protectedResourceRequest(
        tokens.accessToken,
        method,
        new URL(path, this.issuer),
        headers,
        body === undefined ? undefined : JSON.stringify(body),
        this.#http,
      )
    } catch (err) {
      if (err instanceof oauth.WWWAuthenticateChallengeError) return err.response
      throw err
    }
  }

  /**
   * Verifies a pushed SET (RFC 8417 §2, RFC 8935 §2.1): the vault's signature, `iss` the vault,
   * `aud` this shop's client id, `typ` secevent+jwt — a JWT of another kind (an access token, a
   * receipt) must never be taken for an event.
   */
  async verifySecurityEvent(jwt: string): Promise<JWTPayload> {
    const { payload } = await jwtVerify(jwt, this.#jwks, {
      issuer: this.issuer,
      audience: this.clientId,
      typ: SET_TYP,
      requiredClaims: ['jti', 'iat', 'events'],
    })
    return payload
  }

  /**
   * Every receipt of one grant, as the vault signed them (README step 5, "All your receipts"):
   * `POST /oauth/receipts` authenticated with a client assertion (RFC 7523, the shop's registered
   * key) in the JSON body — no access token, since a withdrawn grant leaves none — page by page.
   */
  async receipts(grantId: string): Promise<ConsentReceiptEvidence[]> {
    const all: ConsentReceiptEvidence[] = []
    let after: string | undefined
    do {
      const assertion = await new SignJWT({})
        .setProtectedHeader({ alg: 'ES256', kid: KID })
        .setIssuer(this.clientId)
        .setSubject(this.clientId)
        .setAudience(this.issuer)
        .setIssuedAt()
        .setExpirationTime('1m')
        .setJti(oauth.generateRandomState())
        .sign(this.#key)
      const res = await this.#fetch(new URL('/oauth/receipts', this.issuer), {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          client_id: this.clientId,
          client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
          client_assertion: assertion,
          grant_id: grantId,
          limit: 100,
          ...(after !== undefined ? { after } : {}),
        }),
        redirect: 'manual',
      })
      if (res.status !== 200)
        throw new CustosError(`The vault refused the receipts request (${res.status})`)
      const page = (await res.json()) as {
        receipts: {
          id: string
          event: string
          at: string
          receipt: string
          consent_record: string
        }[]
        next?: string
      }
      for (const r of page.receipts)
        all.push({
          id: r.id,
          event: r.event,
          at: r.at,
          receipt: r.receipt,
          consentRecord: r.consent_record,
        })
      after = page.next
    } while (after !== undefined)
    return all
  }

  /**
   * Tells the vault an erasure is done: the shop's own SET (RFC 8417), signed with its registered
   * key, POSTed as `application/secevent+jwt` (RFC 8935 §2) to `/oauth/events/acknowledgements`.
   */
  async acknowledgeErasure(requestId: string): Promise<void> {
    const set = await new SignJWT({ events: { [ERASURE_ACKNOWLEDGED]: { request_id: requestId } } })
      .setProtectedHeader({ alg: 'ES256', kid: KID, typ: SET_TYP })
      .setIssuer(this.clientId)
      .setAudience(this.issuer)
      .setIssuedAt()
      .setJti(oauth.generateRandomState())
      .sign(this.#key)
    const res = await this.#fetch(new URL('/oauth/events/acknowledgements', this.issuer), {
      method: 'POST',
      headers: { 'content-type': `application/${SET_TYP}` },
      body: set,
      redirect: 'manual',
    })
    if (res.status !== 202)
      throw new CustosError(`The vault refused the erasure acknowledgement (${res.status})`)
  }
}

function tokensOf(response: oauth.TokenEndpointResponse): GrantTokens {
  return {
    accessToken: response.access_token,
    refreshToken: response.refresh_token,
    expiresAt: Date.now() + (response.expires_in ?? 300) * 1000,
  }
}

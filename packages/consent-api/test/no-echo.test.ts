/**
 * Issue "P1 — Trust", finding 4, over HTTP: no error answer of the API — owner API, OAuth
 * endpoints, vendor resource API — contains a value the request sent. Marker strings go in as
 * unknown keys, values, enum values, path segments, query parameters, form fields and headers;
 * every answer that is not a success (status ≥ 300: problems, OAuth errors, error pages, error
 * redirects) is searched for the marker in its body and headers. (`state` is the one value
 * RFC 6749 §4.1.2.1 requires to come back, so markers are never sent in it.)
 */
import fc from 'fast-check'
import type { Kysely } from 'kysely'
import { afterEach, describe, expect, it } from 'vitest'
import { parseConfig } from '../src/config.js'
import { TokenStore } from '../src/store/token-store.js'
import type { ApiTables } from '../src/db/api-schema.js'
import {
  FORM,
  ISSUER,
  REDIRECT,
  disposeFixtures,
  form,
  oauthFixture,
  pkce,
} from './support/oauth-fixture.js'

afterEach(disposeFixtures)

const marker = fc.oneof(
  fc.nat().map((n) => `<script>CANARY-${n}</script>`),
  fc.nat().map((n) => `CANARY${n}`),
  fc.nat().map((n) => `canary_${n}`),
)
const ORDER = { seller: 'Fjord Outdoor', orderDate: '2026-03-14', currency: 'EUR', total: 12.5 }
const ADDRESS = { streetAddress: '1 Road', addressLocality: 'Town', addressCountry: 'GB' }

interface Probe {
  readonly name: string
  readonly path: string
  readonly method?: string
  readonly headers?: Record<string, string>
  readonly json?: unknown
  readonly form?: Record<string, string>
  readonly body?: string
}

/** Everything an answer says, except what a success may legitimately return. */
async function answer(res: Response): Promise<string> {
  const headers = [...res.headers].map(([k, v]) => {
    if (k !== 'location') return `${k}: ${v}`
    const url = new URL(v, ISSUER)
    url.searchParams.delete('state')
    return `${k}: ${url.href}`
  })
  return `${headers.join('\n')}\n${await res.text()}`
}

describe('no error answer of the API contains input', () => {
  it('property: markers sent to owner, OAuth and vendor routes never come back in an error', async () => {
    const f = await oauthFixture()
    const owner = await f.signIn()
    const client = await f.register()
    const auth = await client.auth()
    const grant = await f.tv.vault.grants.create({
      vendorId: client.id,
      fields: ['email'],
      purchases: { madeWithVendor: true },
      actions: ['read', 'append'],
      purpose: 'p',
      durationSeconds: 3600,
    })
    const tokens = new TokenStore({
      vault: f.tv.vault,
      db: f.tv.handle.db as unknown as Kysely<ApiTables>,
      config: parseConfig({ issuer: ISSUER }),
      now: f.now,
    })
    const { accessToken } = await tokens.issue({
      clientId: client.id,
      grantId: grant.id,
      dpopJkt: null,
    })
    const ownerHeaders = { cookie: owner.cookie, 'x-csrf-token': owner.csrf }
    const vendorHeaders = { authorization: `Bearer ${accessToken}` }
    const authorize = (extra: Record<string, string>) =>
      `/oauth/authorize?${form({ client_id: client.id, response_type: 'code', redirect_uri: REDIRECT, scope: 'read:email', code_challenge: pkce().challenge, code_challenge_method: 'S256', state: 's', ...extra })}`

    const probes = (m: string): Probe[] => {
      const e = encodeURIComponent(m)
      return [
        // Owner API.
        {
          name: 'field path',
          method: 'PUT',
          path: `/owner/fields/${e}`,
          headers: ownerHeaders,
          json: { value: 'x' },
        },
        {
          name: 'custom field path',
          method: 'PUT',
          path: `/owner/fields/custom.9${e}`,
          headers: ownerHeaders,
          json: { value: 'x' },
        },
        {
          name: 'enum field value',
          method: 'PUT',
          path: '/owner/fields/prefs.contact.channel',
          headers: ownerHeaders,
          json: { value: m },
        },
        {
          name: 'list field value',
          method: 'PUT',
          path: '/owner/fields/prefs.diet',
          headers: ownerHeaders,
          json: { value: [m] },
        },
        {
          name: 'address unknown key',
          method: 'PUT',
          path: '/owner/fields/address.home',
          headers: ownerHeaders,
          json: { value: { ...ADDRESS, [m]: m } },
        },
        {
          name: 'field body unknown key',
          method: 'PUT',
          path: '/owner/fields/email',
          headers: ownerHeaders,
          json: { value: 'a@b.example', [m]: 1 },
        },
        { name: 'purchase query key', path: `/owner/purchases?${e}=1`, headers: ownerHeaders },
        {
          name: 'purchase query values',
          path: `/owner/purchases?since=${e}&limit=${e}&cursor=${e}`,
          headers: ownerHeaders,
        },
        {
          name: 'purchase unknown key',
          method: 'POST',
          path: '/owner/purchases',
          headers: ownerHeaders,
          json: { ...ORDER, [m]: 1 },
        },
        {
          name: 'purchase values',
          method: 'POST',
          path: '/owner/purchases',
          headers: ownerHeaders,
          json: { ...ORDER, currency: m, orderDate: m, items: [{ name: 'x', [m]: 1 }] },
        },
        { name: 'purchase id', path: `/owner/purchases/${e}`, headers: ownerHeaders },
        {
          name: 'import JSON rows',
          method: 'POST',
          path: '/owner/purchases/import',
          headers: ownerHeaders,
          json: [{ ...ORDER, [m]: 1, currency: m }],
        },
        {
          name: 'import CSV',
          method: 'POST',
          path: '/owner/purchases/import',
          headers: { ...ownerHeaders, 'content-type': 'text/csv' },
          body: `seller,orderDate,currency,total,${m}\n${m},${m},${m},${m},${m}`,
        },
        {
          name: 'vendor id and body',
          method: 'POST',
          path: `/owner/vendors/${e}/block`,
          headers: ownerHeaders,
          json: { blocked: m, [m]: 1 },
        },
        {
          name: 'grant narrowing',
          method: 'POST',
          path: `/owner/grants/${grant.id}/narrow`,
          headers: ownerHeaders,
          json: { fields: [m], [m]: 1 },
        },
        { name: 'grant id', path: `/owner/grants/${e}`, headers: ownerHeaders },
        { name: 'audit filter', path: `/owner/audit?action=${e}&${e}=1`, headers: ownerHeaders },
        {
          name: 'import document',
          method: 'POST',
          path: `/owner/import?mode=${e}`,
          headers: ownerHeaders,
          json: { format: m, [m]: 1 },
        },
        {
          name: 'import document fields',
          method: 'POST',
          path: '/owner/import?mode=merge',
          headers: ownerHeaders,
          json: {
            format: 'custos-export',
            version: 1,
            exportedAt: '2026-01-01T00:00:00Z',
            vaultId: 'v',
            fields: { [m]: m },
            purchases: [],
            vendors: [],
            grants: [],
            audit: [],
          },
        },
        {
          name: 'inbox id',
          method: 'POST',
          path: `/owner/inbox/${e}/accept`,
          headers: ownerHeaders,
        },
        {
          name: 'sign-in body',
          method: 'POST',
          path: '/owner/session',
          json: { passphrase: 7, [m]: m },
        },
        // OAuth endpoints.
        {
          name: 'register redirect',
          method: 'POST',
          path: '/oauth/register',
          json: { client_name: 'x', redirect_uris: [m] },
        },
        {
          name: 'register values',
          method: 'POST',
          path: '/oauth/register',
          json: {
            client_name: 'x',
            redirect_uris: [REDIRECT],
            token_endpoint_auth_method: m,
            grant_types: [m],
            logo_uri: m,
            [m]: m,
          },
        },
        {
          name: 'register jwks',
          method: 'POST',
          path: '/oauth/register',
          json: {
            client_name: 'x',
            redirect_uris: [REDIRECT],
            token_endpoint_auth_method: 'private_key_jwt',
            jwks: { keys: [], [m]: 1 },
            jwks_uri: m,
          },
        },
        { name: 'authorize client', path: `/oauth/authorize?client_id=${e}&redirect_uri=${e}` },
        { name: 'authorize redirect', path: authorize({ redirect_uri: m }) },
        {
          name: 'authorize response_type',
          path: authorize({ response_type: m, response_mode: m }),
        },
        { name: 'authorize scope', path: authorize({ scope: `read:${m} ${m}` }) },
        {
          name: 'authorize details',
          path: authorize({
            authorization_details: JSON.stringify([{ type: m, [m]: 1, fields: [m], actions: [m] }]),
          }),
        },
        {
          name: 'authorize details valid type',
          path: authorize({
            authorization_details: JSON.stringify([
              { type: 'custos_fields', fields: [m], actions: ['read'], purpose: 'p', [m]: 1 },
            ]),
          }),
        },
        {
          name: 'authorize pkce',
          path: authorize({ code_challenge: m, code_challenge_method: m, dpop_jkt: m }),
        },
        {
          name: 'authorize request_uri',
          path: `/oauth/authorize?client_id=${client.id}&request_uri=${e}`,
        },
        { name: 'pending id', path: `/oauth/authorize/pending/${e}` },
        {
          name: 'decision',
          method: 'POST',
          path: '/oauth/authorize/decision',
          headers: { ...FORM, cookie: owner.cookie },
          form: { request_id: m, csrf_token: owner.csrf, decision: m },
        },
        {
          name: 'par',
          method: 'POST',
          path: '/oauth/par',
          headers: { ...FORM, ...auth.headers },
          form: { response_type: m, scope: m, redirect_uri: m, code_challenge: m },
        },
        {
          name: 'token grant type',
          method: 'POST',
          path: '/oauth/token',
          headers: { ...FORM, ...auth.headers },
          form: { grant_type: m, code: m, redirect_uri: m, code_verifier: m },
        },
        {
          name: 'token code',
          method: 'POST',
          path: '/oauth/token',
          headers: { ...FORM, ...auth.headers },
          form: { grant_type: 'authorization_code', code: m, redirect_uri: m, code_verifier: m },
        },
        {
          name: 'token refresh',
          method: 'POST',
          path: '/oauth/token',
          headers: { ...FORM, ...auth.headers },
          form: { grant_type: 'refresh_token', refresh_token: m, scope: m },
        },
        {
          name: 'token client',
          method: 'POST',
          path: '/oauth/token',
          headers: FORM,
          form: { grant_type: 'authorization_code', client_id: m, client_secret: m, code: m },
        },
        {
          name: 'token assertion',
          method: 'POST',
          path: '/oauth/token',
          headers: FORM,
          form: {
            grant_type: 'authorization_code',
            client_assertion_type: m,
            client_assertion: m,
            code: m,
          },
        },
        {
          name: 'token DPoP',
          method: 'POST',
          path: '/oauth/token',
          headers: { ...FORM, ...auth.headers, dpop: m },
          form: { grant_type: 'refresh_token', refresh_token: m },
        },
        {
          name: 'revoke',
          method: 'POST',
          path: '/oauth/revoke',
          headers: { ...FORM, ...auth.headers },
          form: { token: m, token_type_hint: m },
        },
        {
          name: 'introspect',
          method: 'POST',
          path: '/oauth/introspect',
          headers: FORM,
          form: { token: m },
        },
        // Vendor resource API.
        { name: 'bearer token', path: '/v1/profile', headers: { authorization: `Bearer ${m}` } },
        {
          name: 'DPoP token',
          path: '/v1/profile',
          headers: { authorization: `DPoP ${m}`, dpop: m },
        },
        {
          name: 'purchases query',
          path: `/v1/purchases?limit=${e}&cursor=${e}`,
          headers: vendorHeaders,
        },
        {
          name: 'append unknown key',
          method: 'POST',
          path: '/v1/purchases',
          headers: vendorHeaders,
          json: { ...ORDER, [m]: 1 },
        },
        {
          name: 'append values',
          method: 'POST',
          path: '/v1/purchases',
          headers: vendorHeaders,
          json: { ...ORDER, currency: m, items: [{ name: 'x', [m]: m }] },
        },
      ]
    }

    await fc.assert(
      fc.asyncProperty(marker, async (m) => {
        const core = m.replace(/^<script>|<\/script>$/g, '')
        const all = probes(m)
        let refused = 0
        for (const p of all) {
          const headers: Record<string, string> = { ...p.headers }
          let body: string | undefined = p.body
          if (p.json !== undefined) {
            headers['content-type'] = 'application/json'
            body = JSON.stringify(p.json)
          }
          if (p.form !== undefined) body = form(p.form)
          const res = await f.app.request(p.path, {
            method: p.method ?? 'GET',
            headers,
            ...(body !== undefined ? { body } : {}),
          })
          // Only refusals are searched: a success may return what was stored.
          if (res.status < 300) continue
          refused++
          const said = await answer(res)
          expect([p.name, res.status, said.includes(core)]).toEqual([p.name, res.status, false])
        }
        // Revoking an unknown token is a 200 (RFC 7009 §2.2); everything else is refused.
        expect(refused).toBe(all.length - 1)
      }),
      { numRuns: 4 },
    )
  })
})

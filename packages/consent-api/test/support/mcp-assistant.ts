/**
 * Test support for the owner's assistant (issue 14): the MCP SDK's own `Client`,
 * `StreamableHTTPClientTransport` and OAuth client provider against the in-process app, through
 * discovery, dynamic registration and the owner's consent on the real consent page.
 */
import { Client } from '@modelcontextprotocol/sdk/client/index.js'
import type { OAuthClientProvider } from '@modelcontextprotocol/sdk/client/auth.js'
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js'
import type {
  OAuthClientInformationMixed,
  OAuthClientMetadata,
  OAuthTokens,
} from '@modelcontextprotocol/sdk/shared/auth.js'
import { expect } from 'vitest'
import { ISSUER, type OAuthFixture } from './oauth-fixture.js'

export const MCP_URL = new URL(`${ISSUER}/mcp`)
const CALLBACK = 'http://127.0.0.1:33418/callback'

/** The SDK's OAuth client state, kept in memory; the owner approves on the consent page. */
export class AssistantAuth implements OAuthClientProvider {
  client: OAuthClientInformationMixed | undefined
  saved: OAuthTokens | undefined
  verifier = ''
  authorizationUrl: URL | undefined
  constructor(readonly metadata: OAuthClientMetadata) {}
  get redirectUrl() {
    return CALLBACK
  }
  get clientMetadata() {
    return this.metadata
  }
  clientInformation() {
    return this.client
  }
  saveClientInformation(info: OAuthClientInformationMixed) {
    this.client = info
  }
  tokens() {
    return this.saved
  }
  saveTokens(tokens: OAuthTokens) {
    this.saved = tokens
  }
  redirectToAuthorization(url: URL) {
    this.authorizationUrl = url
  }
  saveCodeVerifier(verifier: string) {
    this.verifier = verifier
  }
  codeVerifier() {
    return this.verifier
  }
}

/** The SDK's requests go to the in-process app, as if over the network. */
export const inProcess = (f: OAuthFixture) => (url: string | URL, init?: RequestInit) =>
  Promise.resolve(f.app.request(String(url), init))

export const ASSISTANT: OAuthClientMetadata = {
  client_name: 'Ada’s assistant',
  redirect_uris: [CALLBACK],
  grant_types: ['authorization_code', 'refresh_token'],
  response_types: ['code'],
  // A confidential client: the per-installation secret of dynamic registration (mcp/mcp-routes.ts).
  token_endpoint_auth_method: 'client_secret_post',
  scope: 'read:prefs.sizes.* read:purchases:all',
}

/**
 * The whole MCP authorization flow with the SDK: connect (401 → discovery → registration →
 * authorization URL), the owner approves it on the consent page, `finishAuth` exchanges the code,
 * and a fresh transport connects with the token.
 */
export async function connectAssistant(f: OAuthFixture, metadata: OAuthClientMetadata = ASSISTANT) {
  const auth = new AssistantAuth(metadata)
  const fetch = inProcess(f)
  const first = new StreamableHTTPClientTransport(MCP_URL, { authProvider: auth, fetch })
  await expect(new Client({ name: 'assistant', version: '1' }).connect(first)).rejects.toThrow(
    /Unauthorized/,
  )
  const asked = auth.authorizationUrl
  if (!asked) throw new Error('the SDK did not ask for authorization')
  const back = await f.consent(Object.fromEntries(asked.searchParams))
  const code = back.searchParams.get('code')
  if (!code) throw new Error(`no code: ${back.search}`)
  await first.finishAuth(code)
  const client = new Client({ name: 'assistant', version: '1' })
  await client.connect(new StreamableHTTPClientTransport(MCP_URL, { authProvider: auth, fetch }))
  const clientId = auth.client?.client_id as string
  return { client, auth, clientId }
}

export const text = (result: Awaited<ReturnType<Client['callTool']>>) =>
  (result.content as { type: string; text: string }[]).map((c) => c.text).join('\n')

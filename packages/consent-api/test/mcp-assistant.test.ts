/**
 * Issue 14 (P6), "The owner's assistant": the MCP endpoint at `/mcp`, met by the MCP SDK's own
 * `Client`, `StreamableHTTPClientTransport` and OAuth client provider — discovery through the
 * 401's RFC 9728 `resource_metadata`, dynamic registration as a confidential client (the SDK does
 * no DPoP; public clients still must, oauth/client-metadata.ts), the owner's consent on the real
 * consent page, then tool calls checked against the grant and logged as that client.
 */
import { Client } from '@modelcontextprotocol/sdk/client/index.js'
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js'
import { afterEach, describe, expect, it } from 'vitest'
import {
  ASSISTANT,
  AssistantAuth,
  MCP_URL,
  connectAssistant,
  inProcess,
  text,
} from './support/mcp-assistant.js'
import { ISSUER, disposeFixtures, oauthFixture, ownerCall } from './support/oauth-fixture.js'

afterEach(disposeFixtures)

describe('the assistant over streamable HTTP (/mcp)', () => {
  it('answers an unauthenticated call with 401 and the RFC 9728 metadata of /mcp', async () => {
    const f = await oauthFixture()
    const res = await f.app.request('/mcp', {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        accept: 'application/json, text/event-stream',
      },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list' }),
    })
    expect(res.status).toBe(401)
    const challenge = res.headers.get('www-authenticate') ?? ''
    expect(challenge).toMatch(/^Bearer /)
    expect(challenge).toContain(
      `resource_metadata="${ISSUER}/.well-known/oauth-protected-resource/mcp"`,
    )
    const meta = await f.app.request('/.well-known/oauth-protected-resource/mcp')
    expect(await meta.json()).toMatchObject({
      resource: `${ISSUER}/mcp`,
      authorization_servers: [ISSUER],
      bearer_methods_supported: ['header'],
    })
  })

  it('refuses a request from a web page of another origin (DNS rebinding) before looking at its token', async () => {
    const f = await oauthFixture()
    const res = await f.app.request('/mcp', {
      method: 'POST',
      headers: {
        origin: 'http://rebound.example',
        'content-type': 'application/json',
        accept: 'application/json, text/event-stream',
      },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list' }),
    })
    expect(res.status).toBe(403)
    expect(await res.text()).not.toContain('rebound.example')
  })

  it('answers GET and DELETE 405 whatever the token, so an expired one is not refreshed twice', async () => {
    const f = await oauthFixture()
    for (const method of ['GET', 'DELETE'])
      for (const authorization of [undefined, 'Bearer expired-or-unknown']) {
        const res = await f.app.request('/mcp', {
          method,
          headers: authorization ? { authorization } : {},
        })
        expect(res.status).toBe(405)
        expect(res.headers.get('allow')).toBe('POST')
      }
  })

  it('renews an expired access token with its refresh token (client_secret_post) and goes on', async () => {
    const f = await oauthFixture()
    const { client, auth } = await connectAssistant(f)
    const first = auth.saved?.access_token
    // Past the access token's lifetime (600 s by default), within the refresh token's.
    f.advance(700)
    const profile = await client.callTool({ name: 'read_profile', arguments: {} })
    expect(profile.isError).toBeFalsy()
    expect(auth.saved?.access_token).not.toBe(first)
    await client.close()
  })

  it('reads exactly the granted fields and purchases, refuses the rest, and logs every call as the assistant', async () => {
    const f = await oauthFixture()
    await f.tv.vault.purchases.add({
      seller: 'Fjord Outdoor',
      orderDate: '2026-03-14',
      currency: 'EUR',
      total: 89,
      items: [{ name: 'Trail shoes EU 38', quantity: 1, price: 89 }],
    })
    await f.tv.vault.purchases.add({
      seller: 'Bakery',
      orderDate: '2026-04-02',
      currency: 'EUR',
      total: 4,
      items: [{ name: 'Bread', quantity: 1, price: 4 }],
    })
    const { client, clientId } = await connectAssistant(f)

    const tools = (await client.listTools()).tools.map((t) => t.name).sort()
    expect(tools).toEqual([
      'draft_intent',
      'draft_message',
      'explain_grant',
      'explain_log_entry',
      'list_purchases',
      'read_profile',
      'search_purchases',
    ])

    const profile = await client.callTool({ name: 'read_profile', arguments: {} })
    expect(profile.isError).toBeFalsy()
    expect(profile.structuredContent).toEqual({
      fields: { 'prefs.sizes.shoe': 'EU 38', 'prefs.sizes.top': 'Small-canary' },
    })

    // A subtree within the grant names the fields it covers.
    const sizes = await client.callTool({
      name: 'read_profile',
      arguments: { fields: ['prefs.sizes.*'] },
    })
    expect(sizes.structuredContent).toEqual(profile.structuredContent)

    // Outside the grant: a tool error naming the missing scope, and no value of it anywhere.
    const email = await client.callTool({ name: 'read_profile', arguments: { fields: ['email'] } })
    expect(email.isError).toBe(true)
    expect(text(email)).toContain('read:email')
    expect(JSON.stringify(email)).not.toContain('ada@example.org')

    const found = await client.callTool({
      name: 'search_purchases',
      arguments: { text: 'shoes' },
    })
    expect(found.isError).toBeFalsy()
    const items = (found.structuredContent as { items: { seller: string }[] }).items
    expect(items.map((p) => p.seller)).toEqual(['Fjord Outdoor'])
    const all = await client.callTool({ name: 'list_purchases', arguments: {} })
    expect((all.structuredContent as { items: unknown[] }).items).toHaveLength(2)

    const grant = await client.callTool({ name: 'explain_grant', arguments: {} })
    expect(text(grant)).toContain('Shoe size')
    expect(text(grant)).toContain('purchases of every seller')
    expect(text(grant)).toMatch(/until \d{4}-\d\d-\d\d/)

    // Every call is in the owner's access log as this client: the reads and the looks.
    const log = await f.tv.vault.audit.list({ vendorId: clientId, limit: 100 })
    const reads = log.filter((e) => e.action === 'grant.read' && e.actor === `vendor:${clientId}`)
    expect(reads.length).toBeGreaterThanOrEqual(3)
    expect(reads.some((e) => e.paths?.includes('prefs.sizes.shoe'))).toBe(true)
    expect(reads.every((e) => !e.paths?.includes('email'))).toBe(true)
    expect(log.filter((e) => e.action === 'grant.viewed').length).toBeGreaterThanOrEqual(2)

    const newest = log[0]?.seq as number
    const explained = await client.callTool({
      name: 'explain_log_entry',
      arguments: { seq: newest },
    })
    expect(explained.isError).toBeFalsy()
    expect(text(explained)).toContain(`#${newest}`)
    // Another client's entry (the owner's sign-in is nobody's) is not this assistant's to read.
    const foreign = await f.tv.vault.audit.list({ limit: 200 })
    const notMine = foreign.find((e) => e.vendorId !== clientId) as { seq: number }
    const refusedEntry = await client.callTool({
      name: 'explain_log_entry',
      arguments: { seq: notMine.seq },
    })
    expect(refusedEntry.isError).toBe(true)
    await client.close()
  })

  it('a grant without purchases answers the purchase tools with an error naming read:purchases', async () => {
    const f = await oauthFixture()
    await f.tv.vault.purchases.add({
      seller: 'Bakery',
      orderDate: '2026-04-02',
      currency: 'EUR',
      total: 4,
      items: [],
    })
    const { client } = await connectAssistant(f, { ...ASSISTANT, scope: 'read:prefs.sizes.*' })
    const res = await client.callTool({ name: 'list_purchases', arguments: {} })
    expect(res.isError).toBe(true)
    expect(text(res)).toContain('read:purchases')
    expect(JSON.stringify(res)).not.toContain('Bakery')
    await client.close()
  })

  it('revoking the grant ends the next call with 401', async () => {
    const f = await oauthFixture()
    const { client, clientId, auth } = await connectAssistant(f)
    expect((await client.callTool({ name: 'read_profile', arguments: {} })).isError).toBeFalsy()
    const token = auth.saved?.access_token as string
    const [grant] = await f.tv.vault.grants.list({ vendorId: clientId })
    const revoke = await ownerCall(f, 'POST', `/owner/grants/${grant?.id}/revoke`)
    expect(revoke.status).toBe(200)
    await expect(client.callTool({ name: 'read_profile', arguments: {} })).rejects.toThrow()
    const res = await f.app.request('/mcp', {
      method: 'POST',
      headers: {
        authorization: `Bearer ${token}`,
        'content-type': 'application/json',
        accept: 'application/json, text/event-stream',
      },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list' }),
    })
    expect(res.status).toBe(401)
    expect(res.headers.get('www-authenticate')).toContain('error="invalid_token"')
  })

  it('revoking through the library alone (tokens untouched) still ends the next call with 401, logged as a refusal', async () => {
    const f = await oauthFixture()
    const { client, clientId, auth } = await connectAssistant(f)
    const [grant] = await f.tv.vault.grants.list({ vendorId: clientId })
    await f.tv.vault.grants.revoke(grant?.id as string)
    const res = await f.app.request('/mcp', {
      method: 'POST',
      headers: {
        authorization: `Bearer ${auth.saved?.access_token}`,
        'content-type': 'application/json',
        accept: 'application/json, text/event-stream',
      },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list' }),
    })
    expect(res.status).toBe(401)
    expect(res.headers.get('www-authenticate')).toContain(
      `resource_metadata="${ISSUER}/.well-known/oauth-protected-resource/mcp"`,
    )
    const refusals = await f.tv.vault.audit.list({ vendorId: clientId, action: 'grant.refused' })
    expect(refusals.length).toBeGreaterThanOrEqual(1)
    await client.close()
  })

  it('keeps DPoP for public clients: an assistant registered without a secret gets no bearer token', async () => {
    const f = await oauthFixture()
    const auth = new AssistantAuth({ ...ASSISTANT, token_endpoint_auth_method: 'none' })
    const fetch = inProcess(f)
    const transport = new StreamableHTTPClientTransport(MCP_URL, { authProvider: auth, fetch })
    await expect(
      new Client({ name: 'assistant', version: '1' }).connect(transport),
    ).rejects.toThrow()
    const asked = auth.authorizationUrl as URL
    const code = (await f.consent(Object.fromEntries(asked.searchParams))).searchParams.get('code')
    // The token endpoint asks a public client for a DPoP proof (RFC 9449 §5), which this client
    // cannot give: no token is issued, so no unbound token of a public client exists.
    await expect(transport.finishAuth(code as string)).rejects.toThrow(/DPoP/)
    expect(auth.saved).toBeUndefined()
  })
})

/**
 * Issue 14 (P6), "The owner's assistant" on her own computer: `custos mcp --connect` registers an
 * assistant and stores its token after the owner's consent on the real consent page; then the MCP
 * SDK's own `Client` with `StdioClientTransport` spawns the built `custos mcp --token-file F` and
 * talks to the running `custos serve` through it — reads within the grant, a refusal outside it,
 * every call in the access log as that assistant, and revocation ending the next call.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process'
import { copyFileSync, chmodSync, mkdtempSync, rmSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Client } from '@modelcontextprotocol/sdk/client/index.js'
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js'
import { afterEach, describe, expect, it } from 'vitest'
import { OwnerBrowser, parseForms, submitters } from './support/owner-browser.js'
import { type ServerProcess, initVault, startServer } from './support/server-process.js'

const PASSPHRASE = 'a vault of my own, thank you'
const CLI = join(import.meta.dirname, '..', 'packages/web/dist/cli/main.js')

const cleanups: (() => Promise<void> | void)[] = []
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c()
})

/** The owner API in a signed-in session (JSON, with the CSRF token). */
async function ownerSession(url: string) {
  const res = await fetch(`${url}/owner/session`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ passphrase: PASSPHRASE }),
  })
  expect(res.status).toBe(201)
  const cookie = (res.headers.get('set-cookie') ?? '').split(';')[0] as string
  const { csrf_token } = (await res.json()) as { csrf_token: string }
  return (method: string, path: string, body?: unknown) =>
    fetch(`${url}${path}`, {
      method,
      headers: {
        cookie,
        'x-csrf-token': csrf_token,
        ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
      },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    })
}

/** Resolves with the first line of the child's stderr that is an http(s) address. */
function addressFrom(child: ChildProcess): Promise<URL> {
  return new Promise((resolve, reject) => {
    let err = ''
    child.stderr?.on('data', (d: Buffer) => {
      err += d.toString()
      const line = err.split('\n').find((l) => /^https?:\/\//.test(l))
      if (line) resolve(new URL(line.trim()))
    })
    child.once('exit', (code) => reject(new Error(`custos mcp --connect exited ${code}: ${err}`)))
  })
}

/** The owner in her browser: signs in on the consent page if asked, approves, follows the redirect. */
async function ownerApproves(server: ServerProcess, address: URL): Promise<void> {
  const browser = new OwnerBrowser(server.url)
  let step = await browser.navigate(address)
  for (let pages = 0; pages < 4; pages++) {
    if (step.kind === 'left') break
    const forms = parseForms(step.html)
    const login = forms.find((f) => f.controls.some((c) => c.type === 'password'))
    if (login) {
      for (const c of login.controls) if (c.type === 'password') c.value = PASSPHRASE
      step = await browser.submit(step.url, login, submitters(login)[0])
      continue
    }
    const consent = forms.find((f) => f.controls.some((c) => c.type === 'checkbox'))
    if (!consent) throw new Error('no consent form on the page')
    const approve = submitters(consent).find((b) => /approve|allow/i.test(`${b.value} ${b.label}`))
    step = await browser.submit(step.url, consent, approve)
  }
  if (step.kind !== 'left') throw new Error('the consent page did not redirect back')
  // The redirect goes to custos mcp's own loopback listener (RFC 8252 §7.3).
  expect(step.location.origin).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/)
  const back = await fetch(step.location)
  expect(back.status).toBe(200)
}

describe('custos mcp over stdio', () => {
  it('connects through the consent page, answers within the grant only, logs every call, and stops at revocation', async () => {
    const data = mkdtempSync(join(tmpdir(), 'custos-mcp-'))
    cleanups.push(() => rmSync(data, { recursive: true, force: true }))
    const { keyFile } = await initVault({ data }, PASSPHRASE)
    const server = await startServer({ data, keyFile })
    cleanups.push(async () => void (await server.stop()))

    const owner = await ownerSession(server.url)
    expect((await owner('PUT', '/owner/fields/prefs.sizes.shoe', { value: 'EU 38' })).status).toBe(
      200,
    )
    expect((await owner('PUT', '/owner/fields/email', { value: 'ada@example.org' })).status).toBe(
      200,
    )
    const order = {
      seller: 'Fjord Outdoor',
      orderDate: '2026-03-14',
      currency: 'EUR',
      total: 89,
      items: [{ name: 'Trail shoes EU 38', quantity: 1, price: 89 }],
    }
    expect((await owner('POST', '/owner/purchases', order)).status).toBe(201)

    // Connect: the token is created through the ordinary consent and lands in a 0600 file.
    const tokenFile = join(data, 'assistant.json')
    const connect = spawn(
      process.execPath,
      [
        CLI,
        'mcp',
        '--connect',
        '--token-file',
        tokenFile,
        '--url',
        server.url,
        '--name',
        'Ada’s assistant',
        '--scope',
        'read:prefs.sizes.* read:purchases:all',
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    )
    cleanups.push(() => void connect.kill())
    const exited = new Promise<number | null>((r) => connect.once('exit', r))
    await ownerApproves(server, await addressFrom(connect))
    expect(await exited).toBe(0)
    expect(statSync(tokenFile).mode & 0o777).toBe(0o600)
    // A copy others can read is refused before it is read (usage error, exit 2).
    const exposed = join(data, 'exposed.json')
    copyFileSync(tokenFile, exposed)
    chmodSync(exposed, 0o644)
    const refused = spawnSync(process.execPath, [CLI, 'mcp', '--token-file', exposed], {
      encoding: 'utf8',
      input: '',
    })
    expect(refused.status).toBe(2)
    expect(refused.stderr).toContain('readable by group or others')

    const transport = new StdioClientTransport({
      command: process.execPath,
      args: [CLI, 'mcp', '--token-file', tokenFile],
      stderr: 'pipe',
    })
    const client = new Client({ name: 'local-assistant', version: '1' })
    await client.connect(transport)
    cleanups.push(() => client.close())

    const profile = await client.callTool({ name: 'read_profile', arguments: {} })
    expect(profile.structuredContent).toEqual({ fields: { 'prefs.sizes.shoe': 'EU 38' } })
    const email = await client.callTool({ name: 'read_profile', arguments: { fields: ['email'] } })
    expect(email.isError).toBe(true)
    expect(JSON.stringify(email.content)).toContain('read:email')
    expect(JSON.stringify(email)).not.toContain('ada@example.org')
    const found = await client.callTool({ name: 'search_purchases', arguments: { text: 'shoes' } })
    expect((found.structuredContent as { items: { seller: string }[] }).items).toHaveLength(1)

    // The access log: every call under the assistant's client id.
    const grants = (await (await owner('GET', '/owner/grants')).json()) as {
      grants: { id: string; vendorId: string }[]
    }
    const grant = grants.grants[0] as { id: string; vendorId: string }
    const audit = (await (
      await owner('GET', `/owner/audit?vendorId=${grant.vendorId}`)
    ).json()) as {
      entries: { action: string; actor: string }[]
    }
    const mine = audit.entries.filter((e) => e.actor === `vendor:${grant.vendorId}`)
    expect(mine.filter((e) => e.action === 'grant.read').length).toBeGreaterThanOrEqual(2)
    expect(mine.some((e) => e.action === 'grant.viewed')).toBe(true)

    // Revoked: the next call fails; the refresh is refused too, so nothing is read any more.
    expect((await owner('POST', `/owner/grants/${grant.id}/revoke`)).status).toBe(200)
    await expect(client.callTool({ name: 'read_profile', arguments: {} })).rejects.toThrow(
      /revoked|expired|no longer/i,
    )
  })
})

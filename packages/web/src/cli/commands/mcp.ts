/**
 * `custos mcp --token-file F`: the owner's assistant on this computer, over MCP's stdio transport.
 * The process is a bridge: every JSON-RPC message the assistant writes on stdin goes to the running
 * server's `/mcp` (mcp/mcp-routes.ts in the consent API) with the assistant's own access token,
 * and every answer comes back on stdout — one code path, so each call is checked against the
 * assistant's grant and logged under its name exactly as over HTTP (SECURITY.md promise 36).
 *
 * `custos mcp --connect --token-file F` creates that token through the ordinary consent: it
 * registers a client for the assistant (RFC 7591, confidential, `client_secret_basic`: the MCP
 * SDK does no DPoP, and the vault binds public clients' tokens to DPoP — RFC 9449 §5), listens
 * once on a loopback port for the redirect (RFC 8252 §7.3), prints the consent page's address for
 * the owner to open — where she chooses the fields, purchases, purpose and duration — and stores
 * the client and its tokens in F (mode 0600). The token is never printed, nor passed as an
 * argument (`ps` would show it).
 */
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import type { Writable } from 'node:stream'
import { resolve } from 'node:path'
import { auth } from '@modelcontextprotocol/sdk/client/auth.js'
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js'
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js'
import type { JSONRPCMessage } from '@modelcontextprotocol/sdk/types.js'
import { z } from 'zod'
import type { Command, Invocation } from '../args.js'
import { AssistantCredentials, readTokenFile } from '../assistant-credentials.js'
import { STORAGE_OPTIONS, resolveSettings } from '../config.js'
import { CliError, EXIT } from '../exit-codes.js'
import { mayCarrySecret } from './unlock.js'

const Url = z.url({ protocol: /^https?$/ }).transform((u) => u.replace(/\/+$/, ''))
/** What an assistant asks for unless told otherwise; the owner unticks what she will not give. */
const DEFAULT_SCOPE = 'read:name.* read:prefs.* read:purchases:all'
/** How long the owner has to decide on the consent page. */
const CONSENT_WAIT_MS = 15 * 60_000

function metadataFor(name: string, redirect: string, scope: string) {
  return {
    client_name: name,
    redirect_uris: [redirect],
    grant_types: ['authorization_code', 'refresh_token'],
    response_types: ['code'],
    // Confidential, with a secret of its own: see the file comment and README "Your assistant (MCP)".
    token_endpoint_auth_method: 'client_secret_basic',
    scope,
  }
}

/** Waits for the one redirect back from the consent page; answers the browser in plain words. */
function awaitCallback(
  server: ReturnType<typeof createServer>,
  state: string,
): Promise<{ code: string }> {
  return new Promise((done, fail) => {
    const timer = setTimeout(
      () =>
        fail(new CliError(EXIT.failure, 'custos: no answer from the consent page in 15 minutes')),
      CONSENT_WAIT_MS,
    )
    server.on('request', (req, res) => {
      const url = new URL(req.url ?? '/', 'http://127.0.0.1')
      if (url.pathname !== '/callback') {
        res.writeHead(404).end()
        return
      }
      const finish = (status: number, text: string) =>
        res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8' }).end(text)
      // RFC 6749 §10.12: only the answer to our own request counts.
      if (url.searchParams.get('state') !== state) {
        finish(400, 'This is not the answer to the request custos mcp made.')
        return
      }
      clearTimeout(timer)
      const code = url.searchParams.get('code')
      if (code) {
        finish(200, 'Your assistant is connected. You can close this tab.')
        done({ code })
      } else {
        finish(200, 'Nothing was granted. You can close this tab.')
        fail(new CliError(EXIT.failure, 'custos: the assistant was not connected (you said no)'))
      }
    })
  })
}

async function connect(file: string, invocation: Invocation): Promise<number> {
  const { values, io } = invocation
  let url = resolveSettings(values, io.env).publicUrl
  if (typeof values.url === 'string') {
    const parsed = Url.safeParse(values.url)
    if (!parsed.success)
      throw new CliError(
        EXIT.usage,
        'custos: invalid setting url (from --url): must be an http(s) URL',
      )
    url = parsed.data
  }
  if (!mayCarrySecret(url))
    throw new CliError(
      EXIT.usage,
      `custos: refusing to carry the assistant's secret and tokens in clear text to ${url}: use an https:// URL`,
    )
  const listener = createServer()
  await new Promise<void>((ok) => listener.listen(0, '127.0.0.1', ok))
  try {
    const redirect = `http://127.0.0.1:${(listener.address() as AddressInfo).port}/callback`
    const name = typeof values.name === 'string' ? values.name : 'My assistant (custos mcp)'
    const scope = typeof values.scope === 'string' ? values.scope : DEFAULT_SCOPE
    const credentials = new AssistantCredentials(
      file,
      { url },
      {
        metadata: metadataFor(name, redirect, scope),
        onAuthorize: (address) =>
          io.stderr.write(
            `Open this address in your browser, sign in and choose what the assistant may see:\n${address.href}\n`,
          ),
      },
    )
    const serverUrl = `${url}/mcp`
    const callback = awaitCallback(listener, credentials.state())
    try {
      await auth(credentials, { serverUrl })
    } catch (err) {
      throw new CliError(
        EXIT.failure,
        `custos: could not register the assistant at ${url}: ${err instanceof Error ? err.message.slice(0, 200) : 'error'}`,
      )
    }
    const { code } = await callback
    const result = await auth(credentials, { serverUrl, authorizationCode: code })
    if (result !== 'AUTHORIZED') throw new CliError(EXIT.failure, 'custos: no token was issued')
    io.stderr.write(
      `Connected. The assistant's credentials are in ${file}; start it with: custos mcp --token-file ${file}\n`,
    )
    return EXIT.ok
  } finally {
    listener.close()
  }
}

/** A JSON-RPC error answering `request`, when the vault could not be asked. */
function failedAnswer(request: JSONRPCMessage, message: string): JSONRPCMessage | undefined {
  if (!('id' in request) || !('method' in request)) return undefined
  return { jsonrpc: '2.0', id: request.id, error: { code: -32001, message } }
}

async function bridge(file: string, invocation: Invocation): Promise<number> {
  const { io } = invocation
  const stored = readTokenFile(file)
  const credentials = new AssistantCredentials(file, stored, {
    metadata: metadataFor('custos mcp', 'http://127.0.0.1/callback', ''),
    // The refresh failed too: the grant is gone (revoked, expired) or the client blocked.
    onAuthorize: () => {
      throw new Error(
        'The vault no longer accepts this assistant: its grant was revoked or has expired. Connect it again with custos mcp --connect.',
      )
    },
  })
  const remote = new StreamableHTTPClientTransport(
    new URL(`${stored.url.replace(/\/+$/, '')}/mcp`),
    {
      authProvider: credentials,
    },
  )
  const local = new StdioServerTransport(io.stdin, io.stdout as Writable)
  const closed = new Promise<void>((done) => {
    local.onclose = () => done()
  })
  remote.onmessage = (message) => void local.send(message)
  remote.onerror = (err) => io.stderr.write(`custos mcp: ${err.message.slice(0, 300)}\n`)
  local.onmessage = (message) => {
    remote.send(message).catch(async (err: unknown) => {
      const text = err instanceof Error ? err.message.slice(0, 300) : 'the vault did not answer'
      io.stderr.write(`custos mcp: ${text}\n`)
      const answer = failedAnswer(message, text)
      if (answer) await local.send(answer)
    })
  }
  await remote.start()
  await local.start()
  // Until the assistant closes stdin.
  io.stdin.once('end', () => void local.close())
  await closed
  await remote.close()
  return EXIT.ok
}

async function run(invocation: Invocation): Promise<number> {
  const file = invocation.values['token-file']
  if (typeof file !== 'string')
    throw new CliError(EXIT.usage, 'custos: custos mcp needs --token-file FILE')
  return invocation.values.connect
    ? connect(resolve(file), invocation)
    : bridge(resolve(file), invocation)
}

export const mcpCommand: Command = {
  name: 'mcp',
  summary: 'Serve your assistant over MCP (stdio), through its own grant (--connect creates it).',
  positionals: [],
  options: {
    ...STORAGE_OPTIONS,
    'token-file': {
      type: 'string',
      arg: 'FILE',
      help: "the assistant's credentials (mode 0600; written by --connect)",
    },
    connect: {
      type: 'boolean',
      help: 'connect a new assistant: register it, open the consent page, store its token in FILE',
    },
    url: {
      type: 'string',
      arg: 'URL',
      help: 'with --connect: the server (default: the public URL from the settings)',
    },
    name: { type: 'string', arg: 'NAME', help: 'with --connect: the name the consent page shows' },
    scope: {
      type: 'string',
      arg: 'SCOPE',
      help: `with --connect: what it asks for (default "${DEFAULT_SCOPE}")`,
    },
  },
  details:
    "Every call is checked against the grant the owner gave on the consent page and appears in her access log under the assistant's name; revoking the grant on the Connections page ends the next call. Nothing but MCP messages is written to stdout.",
  run,
}

/**
 * A peer measured the way Custos is: Community Solid Server (CSS), the reference Solid pod, installed
 * from npm into a scratch folder, started on a free loopback port with its file backend, and set up
 * through its own account API (an account, a pod, client credentials), so that the benchmark can
 * read a private 10-field resource the way an authorized app does — a DPoP-bound access token
 * (Solid-OIDC) and a fresh DPoP proof per request (RFC 9449 §4; CSS refuses a replayed `jti`).
 *
 * Nothing here is imported by Custos: it runs only under `pnpm bench -- --peers`.
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process'
import { once } from 'node:events'
import { mkdirSync, writeFileSync } from 'node:fs'
import { createServer } from 'node:net'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { type CryptoKey, type JWK, SignJWT, exportJWK, generateKeyPair } from 'jose'
import { check } from './context.js'
import { GRANTED_FIELDS } from './fixtures.js'

/** The release measured (the one of the earlier hand measurement, PRODUCT.md). */
export const SOLID_VERSION = '7.2.0'
const PACKAGE = '@solid/community-server'

const run = promisify(execFile)

/** `npm install` of CSS into `dir` (from the registry, or npm's cache on a second run). */
export async function installSolid(dir: string): Promise<void> {
  mkdirSync(dir, { recursive: true })
  writeFileSync(join(dir, 'package.json'), '{ "private": true }\n')
  const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm'
  await run(
    npm,
    ['install', '--no-audit', '--no-fund', '--omit=dev', `${PACKAGE}@${SOLID_VERSION}`],
    { cwd: dir, timeout: 600_000, maxBuffer: 16 * 1024 * 1024 },
  )
}

async function freePort(): Promise<number> {
  const server = createServer()
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  const address = server.address()
  server.close()
  check(typeof address === 'object' && address !== null, 'no free port')
  return address.port
}

export interface RunningSolid {
  readonly base: string
  readonly child: ChildProcess
  stop(): void
}

/** Starts CSS (file backend under `dir/data`) and waits until its account API answers. */
export async function startSolid(dir: string): Promise<RunningSolid> {
  const port = await freePort()
  // Solid-OIDC wants a WebID over https or on `localhost` with a port, so the pod's base names
  // localhost; the load itself still goes to 127.0.0.1 (peers.ts sends this Host).
  const base = `http://localhost:${port}/`
  const data = join(dir, 'data')
  mkdirSync(data, { recursive: true })
  const bin = join(dir, 'node_modules', ...PACKAGE.split('/'), 'bin', 'server.js')
  const child = spawn(
    process.execPath,
    [bin, '-p', String(port), '-b', base, '-c', '@css:config/file.json', '-f', data, '-l', 'warn'],
    { cwd: dir, stdio: ['ignore', 'ignore', 'inherit'] },
  )
  const stop = () => {
    child.kill('SIGTERM')
  }
  const deadline = Date.now() + 120_000
  while (Date.now() < deadline) {
    check(child.exitCode === null, `Community Solid Server exited with ${child.exitCode}`)
    try {
      if ((await fetch(new URL('.account/', base))).ok) return { base, child, stop }
    } catch {
      // Not listening yet.
    }
    await new Promise((r) => setTimeout(r, 250))
  }
  stop()
  throw new Error('Community Solid Server did not answer within 120 s')
}

async function json<T>(response: Response, what: string): Promise<T> {
  check(response.ok, `${what}: ${response.status} ${await response.clone().text()}`)
  return (await response.json()) as T
}

interface Controls {
  controls: {
    password: { create: string }
    account: { pod: string; clientCredentials: string }
  }
}

/** A DPoP key and the proofs it signs (RFC 9449 §4.2: `typ`, `jwk`, `jti`, `htm`, `htu`, `iat`, `ath`). */
export interface DpopSigner {
  proof(method: string, url: string, accessToken?: string): Promise<string>
}

async function dpopSigner(): Promise<DpopSigner> {
  const { privateKey, publicKey } = await generateKeyPair('ES256')
  const jwk: JWK = await exportJWK(publicKey)
  return {
    async proof(method, url, accessToken) {
      const ath =
        accessToken === undefined
          ? undefined
          : Buffer.from(
              await crypto.subtle.digest('SHA-256', new TextEncoder().encode(accessToken)),
            ).toString('base64url')
      return new SignJWT({ htm: method, htu: url, ...(ath ? { ath } : {}) })
        .setProtectedHeader({ alg: 'ES256', typ: 'dpop+jwt', jwk })
        .setJti(crypto.randomUUID())
        .setIssuedAt()
        .sign(privateKey as CryptoKey)
    },
  }
}

export interface SolidReader {
  /** The private resource's URL: ten fields as JSON, readable only by the pod's owner. */
  readonly url: string
  readonly accessToken: string
  readonly signer: DpopSigner
}

/**
 * Creates an account with a pod, client credentials for its WebID, a DPoP-bound access token
 * (client_credentials grant at CSS's token endpoint), and writes the ten-field resource.
 */
export async function solidReader(base: string): Promise<SolidReader> {
  const { authorization: accountToken } = await json<{ authorization: string }>(
    await fetch(new URL('.account/account/', base), { method: 'POST' }),
    'create account',
  )
  const auth = { authorization: `CSS-Account-Token ${accountToken}` }
  const { controls } = await json<Controls>(
    await fetch(new URL('.account/', base), { headers: auth }),
    'account controls',
  )
  const jsonHeaders = { ...auth, 'content-type': 'application/json' }
  await json(
    await fetch(controls.password.create, {
      method: 'POST',
      headers: jsonHeaders,
      body: JSON.stringify({
        email: 'bench@example.com',
        password: 'bench-password',
        confirmPassword: 'bench-password',
      }),
    }),
    'password login',
  )
  const { pod, webId } = await json<{ pod: string; webId: string }>(
    await fetch(controls.account.pod, {
      method: 'POST',
      headers: jsonHeaders,
      body: JSON.stringify({ name: 'bench' }),
    }),
    'create pod',
  )
  const { id, secret } = await json<{ id: string; secret: string }>(
    await fetch(controls.account.clientCredentials, {
      method: 'POST',
      headers: jsonHeaders,
      body: JSON.stringify({ name: 'bench-reader', webId }),
    }),
    'client credentials',
  )
  const signer = await dpopSigner()
  const tokenUrl = new URL('.oidc/token', base).toString()
  const basic = Buffer.from(`${encodeURIComponent(id)}:${encodeURIComponent(secret)}`).toString(
    'base64',
  )
  const { access_token: accessToken } = await json<{ access_token: string }>(
    await fetch(tokenUrl, {
      method: 'POST',
      headers: {
        authorization: `Basic ${basic}`,
        'content-type': 'application/x-www-form-urlencoded',
        dpop: await signer.proof('POST', tokenUrl),
      },
      body: 'grant_type=client_credentials&scope=webid',
    }),
    'access token',
  )
  const url = new URL('profile.json', pod).toString()
  const put = await fetch(url, {
    method: 'PUT',
    headers: {
      authorization: `DPoP ${accessToken}`,
      dpop: await signer.proof('PUT', url, accessToken),
      'content-type': 'application/json',
    },
    body: JSON.stringify(GRANTED_FIELDS),
  })
  check(
    put.ok,
    `write the resource: ${put.status} ${await put.text()} ${put.headers.get('www-authenticate')}`,
  )
  // The resource is private: without the token CSS must refuse it, or the figure would be a public read.
  const anonymous = await fetch(url)
  check(anonymous.status === 401, `an anonymous read answered ${anonymous.status}, not 401`)
  const read = await fetch(url, {
    headers: {
      authorization: `DPoP ${accessToken}`,
      dpop: await signer.proof('GET', url, accessToken),
    },
  })
  const body = await json<Record<string, unknown>>(read, 'authenticated read')
  check(
    Object.keys(body).length === Object.keys(GRANTED_FIELDS).length,
    'the read returned other fields than were written',
  )
  return { url, accessToken, signer }
}

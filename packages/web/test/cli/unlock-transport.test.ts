/**
 * `custos unlock` sends the passphrase to a running server. It must go only where the owner
 * pointed: never in clear text across a network (plain http is for this computer only), and
 * never on to wherever a redirect says — fetch re-sends a POST body on 307/308, to any host.
 */
import { once } from 'node:events'
import { type Server, createServer } from 'node:http'
import { afterEach, describe, expect, it } from 'vitest'
import { PASSPHRASE, runCli } from './support/run-cli.js'

const servers: Server[] = []
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => new Promise((resolve) => s.close(resolve))))
})

async function listen(handler: Parameters<typeof createServer>[1]): Promise<string> {
  const server = createServer(handler).listen(0, '127.0.0.1')
  servers.push(server)
  await once(server, 'listening')
  return `http://127.0.0.1:${(server.address() as { port: number }).port}`
}

describe('custos unlock: where the passphrase goes', () => {
  it('does not follow a redirect with the passphrase', async () => {
    const received: string[] = []
    const elsewhere = await listen((req, res) => {
      let body = ''
      req.on('data', (d: Buffer) => (body += d.toString()))
      req.on('end', () => {
        received.push(body)
        res.writeHead(200, { 'content-type': 'application/json' }).end('{}')
      })
    })
    const redirecting = await listen((req, res) => {
      req.resume()
      res.writeHead(307, { location: `${elsewhere}/collect` }).end()
    })
    const result = await runCli(['unlock', '--url', redirecting], { input: `${PASSPHRASE}\n` })
    expect(result.code).toBe(1)
    expect(received).toEqual([])
  })

  it('refuses plain http to another computer before asking for anything', async () => {
    const result = await runCli(['unlock', '--url', 'http://vault.example:7300'], {
      input: `${PASSPHRASE}\n`,
    })
    expect(result).toMatchObject({ code: 2, stderr: expect.stringContaining('https') })
  })

  it('tells the server the unlock comes from the command line, for the access log', async () => {
    const received: unknown[] = []
    const server = await listen((req, res) => {
      let body = ''
      req.on('data', (d: Buffer) => (body += d.toString()))
      req.on('end', () => {
        received.push(JSON.parse(body))
        res.writeHead(200, { 'content-type': 'application/json' }).end('{"state":"unsealed"}')
      })
    })
    expect((await runCli(['unlock', '--url', server], { input: `${PASSPHRASE}\n` })).code).toBe(0)
    expect(received).toEqual([{ passphrase: PASSPHRASE, origin: 'cli' }])
  })
})

/**
 * `custos verify-thread FILE`: checks an exported conversation (a `custos-thread` v1 file, from
 * the Conversations page or `GET /owner/conversations/{id}/export`) offline — no vault, no
 * server, no network: every message's hash chain and the vault's signature over it, and each
 * vendor signature against the vendor key in the file. With `--vault-jwks`, the file's vault key
 * must also be one of a JWK Set saved from the vault's `/.well-known/jwks.json`, so the file does
 * not vouch for itself. Exit 0 when it verifies; 4 naming the first message that does not.
 */
import { readFileSync } from 'node:fs'
import { resolve } from 'node:path'
import type { Command, Invocation } from '../args.js'
import { CliError, EXIT } from '../exit-codes.js'

function readJson(file: string): unknown {
  try {
    return JSON.parse(readFileSync(file, 'utf8'))
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code
    throw new CliError(
      EXIT.failure,
      code ? `custos: cannot read ${file}: ${code}` : `custos: ${file} is not valid JSON`,
    )
  }
}

/** Whether every key the bundle verifies with is one of the published set (same kty, crv, x). */
function publishedKeys(bundle: unknown, jwks: unknown): boolean {
  const keys = (bundle as { verify_with?: { keys?: Record<string, unknown>[] } }).verify_with?.keys
  const published = (jwks as { keys?: Record<string, unknown>[] }).keys
  if (!Array.isArray(keys) || !Array.isArray(published)) return false
  return keys.every((k) =>
    published.some((p) => p.kty === k.kty && p.crv === k.crv && p.x === k.x && p.kid === k.kid),
  )
}

async function run(invocation: Invocation): Promise<number> {
  const file = resolve(invocation.positionals[0] as string)
  const bundle = readJson(file)
  const jwksFile = invocation.values['vault-jwks']
  if (typeof jwksFile === 'string' && !publishedKeys(bundle, readJson(resolve(jwksFile)))) {
    invocation.io.stderr.write(
      `custos: ${file} is signed with a key that is not in ${jwksFile}: it does not come from that vault\n`,
    )
    return EXIT.integrity
  }
  // Loaded here, not at the top: `custos --help` stays free of jose and the API.
  const { verifyThreadBundle } = await import('@custos/consent-api')
  const result = await verifyThreadBundle(bundle)
  if (invocation.values.json) invocation.io.stdout.write(`${JSON.stringify(result)}\n`)
  if (!result.ok) {
    invocation.io.stderr.write(`custos: ${file} does not verify: ${result.problem}\n`)
    return EXIT.integrity
  }
  if (!invocation.values.json)
    invocation.io.stdout.write(
      `Thread ${result.threadId} verifies: ${result.messages} message${result.messages === 1 ? '' : 's'}, chained and signed by the vault${result.vendorSigned > 0 ? `; ${result.vendorSigned} also signed by the vendor with its own key` : ''}.\n`,
    )
  return EXIT.ok
}

export const verifyThreadCommand: Command = {
  name: 'verify-thread',
  summary: 'Verify an exported conversation offline (exit 4 names the first bad message).',
  positionals: ['FILE'],
  options: {
    json: { type: 'boolean', help: 'print the result as JSON' },
    'vault-jwks': {
      type: 'string',
      help: "a JWK Set saved from the vault's /.well-known/jwks.json the file's key must be in",
    },
  },
  run,
}

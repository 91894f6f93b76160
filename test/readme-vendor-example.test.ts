/**
 * The README's vendor quick-starts are the files `packages/consent-api/examples/vendor-client.ts`
 * (oauth4webapi) and `vendor-client-openid-client.ts` (openid-client v6), word for word — and each
 * RUNS end to end here against a real Custos on a loopback port: discovery, registration, PAR, the
 * owner's approval on the real consent page, the code exchange and the profile read (issue 10:
 * the copied example once failed on its first request, while a type-check alone passed).
 */
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { type LoopbackVault, startLoopbackVault } from './support/loopback-vault.js'

const root = join(import.meta.dirname, '..')
const readme = readFileSync(join(root, 'README.md'), 'utf8')
const PROFILE = { email: 'ada@example.org', 'prefs.sizes.shoe': 'EU 42', 'name.given': 'Ada' }

interface Example {
  readonly authorizeUrl: URL
  onCallback(callbackUrl: URL): Promise<Record<string, unknown>>
}

const EXAMPLES = [
  {
    marker: 'vendor-example',
    file: 'vendor-client.ts',
    load: () => import('../packages/consent-api/examples/vendor-client.js') as Promise<Example>,
  },
  {
    marker: 'vendor-example-openid-client',
    file: 'vendor-client-openid-client.ts',
    load: () =>
      import('../packages/consent-api/examples/vendor-client-openid-client.js') as Promise<Example>,
  },
]

let world: LoopbackVault | undefined
afterEach(async () => {
  vi.unstubAllEnvs()
  await world?.close()
  world = undefined
})

describe.each(EXAMPLES)('README vendor example $file', ({ marker, file, load }) => {
  it('is exactly the example file', () => {
    const block = new RegExp(
      `<!-- ${marker}:start -->\\n\`\`\`ts\\n([\\s\\S]*?)\`\`\`\\n<!-- ${marker}:end -->`,
    ).exec(readme)
    expect(block, `README has the ${marker} block`).not.toBeNull()
    expect(block?.[1]).toBe(readFileSync(join(root, 'packages/consent-api/examples', file), 'utf8'))
  })

  it('runs as copied against a Custos on http://127.0.0.1: the vendor reads exactly the granted fields', async () => {
    world = await startLoopbackVault(PROFILE)
    vi.stubEnv('CUSTOS_ISSUER', world.issuer)
    // The example tells the vendor where to send the customer; kept off the test's console.
    const log = vi.spyOn(console, 'log').mockImplementation(() => {})
    const example = await load()
    expect(log).toHaveBeenCalledWith(`Send the customer to ${example.authorizeUrl.href}`)
    log.mockReset()
    expect(example.authorizeUrl.origin).toBe(world.issuer)

    const callback = await world.approve(example.authorizeUrl)
    expect(`${callback.origin}${callback.pathname}`).toBe('https://shop.example/custos/callback')
    expect(callback.searchParams.has('code')).toBe(true)
    expect(await example.onCallback(callback)).toEqual({
      email: 'ada@example.org',
      'prefs.sizes.shoe': 'EU 42',
    })
  })
})

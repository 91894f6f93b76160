/**
 * The README's vendor example is the type-checked file `packages/consent-api/examples/
 * vendor-client.ts`, word for word: a README snippet that drifted from the code would teach
 * vendors an integration that no longer compiles.
 */
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'

const root = join(import.meta.dirname, '..')

describe('README vendor example', () => {
  it('is exactly the type-checked example file', () => {
    const readme = readFileSync(join(root, 'README.md'), 'utf8')
    const block = /<!-- vendor-example:start -->\n```ts\n([\s\S]*?)```\n<!-- vendor-example:end -->/.exec(readme)
    expect(block, 'README has the vendor example block').not.toBeNull()
    expect(block?.[1]).toBe(readFileSync(join(root, 'packages/consent-api/examples/vendor-client.ts'), 'utf8'))
  })
})

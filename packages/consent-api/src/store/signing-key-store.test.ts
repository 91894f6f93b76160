/**
 * The signing key's public half is remembered by its store (issue 11: a field, no longer a
 * module WeakMap keyed by the vault), so the JWK Set is served while sealed once this app has
 * seen the key — and only then: the private key is never kept.
 */
import { afterEach, describe, expect, it } from 'vitest'
import { disposeStoreFixtures, storeFixture } from '../../test/support/store-fixture.js'
import { SigningKeyStore } from './signing-key-store.js'

afterEach(disposeStoreFixtures)

describe('SigningKeyStore', () => {
  it('serves the public key while sealed once seen; a store that never saw it has none', async () => {
    const f = await storeFixture()
    const seen = new SigningKeyStore(f.tv.vault)
    const { publicJwk } = await seen.signingKey()
    expect(await seen.publicJwk()).toEqual(publicJwk)
    const unseen = new SigningKeyStore(f.tv.vault)

    await f.tv.vault.lock()
    expect(await seen.publicJwk()).toEqual(publicJwk)
    expect(await unseen.publicJwk()).toBeUndefined()
    await expect(seen.signingKey()).rejects.toMatchObject({ code: 'ERR_VAULT_LOCKED' })
  })
})

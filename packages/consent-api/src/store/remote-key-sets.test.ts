/**
 * Remote JWK Sets (RFC 7591 `jwks_uri`): one per URI for the life of the store — so jose's cache
 * and cooldown hold across requests — and none shared between two apps (issue 11: a field of the
 * store, no longer a module WeakMap). Nothing is fetched until a key is asked for.
 */
import { describe, expect, it } from 'vitest'
import { RemoteKeySets } from './remote-key-sets.js'

describe('RemoteKeySets', () => {
  it('keeps one set per URI, per store', () => {
    const sets = new RemoteKeySets()
    const fjord = sets.forUri('https://fjord.example/jwks.json')
    expect(sets.forUri('https://fjord.example/jwks.json')).toBe(fjord)
    expect(sets.forUri('https://book-nook.example/jwks.json')).not.toBe(fjord)
    expect(new RemoteKeySets().forUri('https://fjord.example/jwks.json')).not.toBe(fjord)
  })
})

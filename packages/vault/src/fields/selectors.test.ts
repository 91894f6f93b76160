import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { assertSelectors, selectorMatches, selectorsCover } from './selectors.js'
import { VOCABULARY } from './vocabulary.js'

const paths = Object.keys(VOCABULARY)

describe('field selectors', () => {
  it('matches exact paths and subtrees, never prefixes of a segment', () => {
    expect(selectorMatches('email', 'email')).toBe(true)
    expect(selectorMatches('email', 'emails.other')).toBe(false)
    expect(selectorMatches('prefs.sizes.*', 'prefs.sizes.shoe')).toBe(true)
    expect(selectorMatches('prefs.sizes.*', 'prefs.sizesX.shoe')).toBe(false)
    expect(selectorMatches('prefs.*', 'prefs.contact.channel')).toBe(true)
    expect(selectorMatches('name.*', 'name')).toBe(false)
  })

  it('refuses selectors that name nothing in the vocabulary (deny by default)', () => {
    expect(() =>
      assertSelectors(['email', 'prefs.sizes.*', 'custom.*', 'custom.club.*', 'custom.a']),
    ).not.toThrow()
    for (const bad of [
      'emial',
      'prefs.size.*',
      '*',
      'custom',
      'custom.',
      'password',
      'prefs.*.shoe',
      'name.given.*',
    ]) {
      expect(() => assertSelectors([bad]), bad).toThrow(
        expect.objectContaining({ code: 'ERR_UNKNOWN_PATH' }),
      )
    }
  })

  it('names the offending position, not the selector text', () => {
    try {
      assertSelectors(['email', 'secret-value@example.org'])
      expect.unreachable()
    } catch (err) {
      expect(err).toMatchObject({ code: 'ERR_UNKNOWN_PATH', issues: [{ path: 'fields.1' }] })
      expect(JSON.stringify(err)).not.toContain('secret-value')
    }
  })

  it('cover: a narrowed selector set never reaches a path the wider one did not', () => {
    const selector = fc.oneof(
      fc.constantFrom(...paths),
      fc.constantFrom(
        'name.*',
        'prefs.*',
        'prefs.sizes.*',
        'prefs.contact.*',
        'address.*',
        'custom.*',
      ),
    )
    fc.assert(
      fc.property(
        fc.array(selector, { maxLength: 6 }),
        fc.array(selector, { maxLength: 6 }),
        (outer, inner) => {
          if (!selectorsCover(outer, inner)) return
          for (const path of [...paths, 'custom.x', 'custom.x.y']) {
            if (inner.some((s) => selectorMatches(s, path)))
              expect(outer.some((s) => selectorMatches(s, path))).toBe(true)
          }
        },
      ),
      { numRuns: 300 },
    )
    expect(selectorsCover(['prefs.*'], ['prefs.sizes.*', 'prefs.diet'])).toBe(true)
    expect(selectorsCover(['prefs.sizes.*'], ['prefs.*'])).toBe(false)
    expect(selectorsCover(['email'], ['email', 'telephone'])).toBe(false)
  })
})

import { CUSTOM_PATH, VOCABULARY, fieldLabel, isFieldPath } from '@custos/vault'

/**
 * What a vendor may name in a request: a field path of the vocabulary (`email`), an owner-defined
 * `custom.*` path, or a subtree of either (`prefs.sizes.*`). The same rule the vault applies to
 * grants (deny by default, SECURITY.md promise 13), checked here before the owner is asked, so an
 * unknown path is an error to the vendor rather than a surprise on the consent page.
 */
const SUBTREE = /^[a-zA-Z][a-zA-Z0-9_-]*(\.[a-zA-Z][a-zA-Z0-9_-]*)*\.\*$/

export function isKnownSelector(selector: string): boolean {
  if (typeof selector !== 'string' || selector.length > 200) return false
  if (!SUBTREE.test(selector)) return isFieldPath(selector)
  const prefix = selector.slice(0, -1)
  if (
    prefix === 'custom.' ||
    (prefix.startsWith('custom.') && CUSTOM_PATH.test(prefix.slice(0, -1)))
  )
    return true
  return Object.keys(VOCABULARY).some((path) => path.startsWith(prefix))
}

/** A human label for the consent page (the vault's words for fields and subtrees). */
export const selectorLabel = fieldLabel

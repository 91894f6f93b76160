import { VaultError } from '../errors.js'
import { CUSTOM_PATH, VOCABULARY, isFieldPath } from './vocabulary.js'

/**
 * A selector names what a grant covers: one field path (`email`) or a subtree (`prefs.sizes.*`,
 * `custom.*`). Deny by default: a selector that matches no path of the vocabulary (and is not a
 * syntactically valid custom path or subtree) is refused, so typos never silently grant nothing
 * — or, worse, something unexpected later.
 */
const SUBTREE = /^[a-zA-Z][a-zA-Z0-9_-]*(\.[a-zA-Z][a-zA-Z0-9_-]*)*\.\*$/

export function selectorMatches(selector: string, path: string): boolean {
  if (selector.endsWith('.*')) return path.startsWith(selector.slice(0, -1))
  return selector === path
}

function knownSubtree(selector: string): boolean {
  const prefix = selector.slice(0, -1)
  if (
    prefix === 'custom.' ||
    (prefix.startsWith('custom.') && CUSTOM_PATH.test(prefix.slice(0, -1)))
  )
    return true
  return Object.keys(VOCABULARY).some((path) => path.startsWith(prefix))
}

/** Throws ERR_UNKNOWN_PATH for selectors that name nothing Custos knows. */
export function assertSelectors(selectors: readonly string[]): void {
  const issues = selectors.flatMap((s, i) =>
    (SUBTREE.test(s) ? knownSubtree(s) : isFieldPath(s))
      ? []
      : [{ path: `fields.${i}`, message: 'unknown field path or subtree' }],
  )
  if (issues.length > 0)
    throw new VaultError('ERR_UNKNOWN_PATH', 'Unknown field path or subtree', { issues })
}

/** True when every path `inner` covers is also covered by `outer` (used to forbid widening a grant). */
export function selectorsCover(outer: readonly string[], inner: readonly string[]): boolean {
  return inner.every((sel) => {
    if (!sel.endsWith('.*')) return outer.some((o) => selectorMatches(o, sel))
    const prefix = sel.slice(0, -1)
    return outer.some((o) => o === sel || (o.endsWith('.*') && prefix.startsWith(o.slice(0, -1))))
  })
}

import { CUSTOM_PATH, VOCABULARY } from './vocabulary.js'

/**
 * Words for a field path or a subtree selector, for people rather than developers: what the
 * consent page, the connections page and the access log show. A subtree names the fields it
 * covers ("Shoe size, Top size and 3 more"), never "prefs.sizes.*".
 *
 * @example
 * fieldLabel('email') // 'Email'
 * fieldLabel('prefs.sizes.*') // 'Shoe size, Top size, Bottom size and 2 more'
 * fieldLabel('custom.loyalty.number') // 'Your field “loyalty.number”'
 */
export function fieldLabel(selector: string): string {
  if (Object.hasOwn(VOCABULARY, selector))
    return VOCABULARY[selector as keyof typeof VOCABULARY].label
  if (selector === 'custom.*') return 'All your own fields'
  if (selector.endsWith('.*')) {
    const prefix = selector.slice(0, -1)
    if (prefix.startsWith('custom.'))
      return `Your own fields under “${prefix.slice('custom.'.length, -1)}”`
    const labels = Object.entries(VOCABULARY)
      .filter(([path]) => path.startsWith(prefix))
      .map(([, def]) => def.label)
    if (labels.length === 0) return selector
    return labels.length <= 4
      ? joinWords(labels)
      : `${labels.slice(0, 3).join(', ')} and ${labels.length - 3} more`
  }
  if (CUSTOM_PATH.test(selector)) return `Your field “${selector.slice('custom.'.length)}”`
  return selector
}

function joinWords(words: readonly string[]): string {
  return words.length <= 1
    ? (words[0] ?? '')
    : `${words.slice(0, -1).join(', ')} and ${words[words.length - 1]}`
}

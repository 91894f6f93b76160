import type { Vault } from '@custos/vault'

/**
 * "Purchases you made with Fjord Outdoor" means the purchases whose seller the owner links to that
 * vendor (plus the receipts it sent and the owner accepted). The consent page offers the sellers
 * of the owner's history that look like the vendor's name, so the owner can say which are it:
 * names equal but for case, accents, spaces and punctuation are ticked already; names that contain
 * the other, or share the first word, are offered unticked. The owner decides; nothing is linked
 * by guesswork alone.
 */
export interface SellerCandidate {
  readonly seller: string
  readonly purchases: number
  /** Equal to the vendor's name but for case, accents, spacing and punctuation. */
  readonly preselected: boolean
}

/** How many look-alike sellers are offered at most. */
export const MAX_CANDIDATES = 20

/** `Fjord-Outdoor AS` → `fjordoutdooras`. */
export function foldName(name: string): string {
  return name
    .normalize('NFKD')
    .replace(/\p{M}/gu, '')
    .toLowerCase()
    .replace(/[^\p{L}\p{N}]/gu, '')
}

const firstWord = (name: string) => foldName(name.trim().split(/[\s.,\-_/&]+/)[0] ?? '')

export function resembles(seller: string, vendorName: string): boolean {
  const s = foldName(seller)
  const v = foldName(vendorName)
  if (s === '' || v === '') return false
  if (s === v) return true
  if ((v.length >= 3 && s.includes(v)) || (s.length >= 3 && v.includes(s))) return true
  const w = firstWord(vendorName)
  return w.length >= 4 && w === firstWord(seller)
}

/** The owner's sellers that resemble the vendor's name, the equal ones first, then by purchases. */
export async function sellerCandidates(
  vault: Vault,
  vendorName: string,
): Promise<SellerCandidate[]> {
  // Asking the vault for sellers containing the vendor's first word keeps a large history's
  // rarely used sellers in view (the vault's list is otherwise cut at its busiest sellers).
  const word = vendorName.trim().split(/[\s.,\-_/&]+/)[0] ?? ''
  const all = await vault.purchases.sellers(
    word.length >= 3 ? { contains: word, limit: 1000 } : { limit: 1000 },
  )
  const v = foldName(vendorName)
  return all
    .filter((s) => resembles(s.seller, vendorName))
    .map((s) => ({ ...s, preselected: foldName(s.seller) === v }))
    .sort((a, b) => Number(b.preselected) - Number(a.preselected) || b.purchases - a.purchases)
    .slice(0, MAX_CANDIDATES)
}

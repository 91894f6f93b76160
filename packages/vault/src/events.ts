/**
 * Events the vault emits through the optional `onEvent` callback, for logs and metrics.
 * They carry ids, paths and counts — never values, passphrases or key material (STYLE.md, "Logging").
 */
export type VaultEvent =
  | { type: 'vault.created'; vaultId: string }
  | { type: 'vault.unlocked'; vaultId: string; method: 'passphrase' | 'recovery-key' }
  | { type: 'vault.unlock_failed'; throttled: boolean }
  | { type: 'vault.locked' }
  | { type: 'vault.passphrase_changed' }
  | { type: 'vault.destroyed' }
  | { type: 'keys.rotation_progress'; term: number; done: number; total: number }
  | { type: 'keys.rotated'; term: number; retiredTerms: number[] }
  | { type: 'field.set'; path: string }
  | { type: 'field.deleted'; path: string }
  | { type: 'purchase.added'; purchaseId: string; provenance: 'owner' | 'import' | 'vendor' }
  | { type: 'purchase.deleted'; purchaseId: string }
  | { type: 'purchases.linked'; vendorId: string | null; count: number }
  | { type: 'vendor.registered'; vendorId: string }
  | { type: 'vendor.blocked'; vendorId: string; blocked: boolean }
  | { type: 'grant.created'; grantId: string; vendorId: string }
  | { type: 'grant.narrowed'; grantId: string; revision: number }
  | { type: 'grant.revoked'; grantId: string }
  | { type: 'grant.consumed'; grantId: string }
  | { type: 'grant.read'; grantId: string; fieldCount: number; purchaseCount: number }
  | { type: 'inbox.appended'; purchaseId: string; vendorId: string }
  | { type: 'inbox.decided'; purchaseId: string; accepted: boolean }
  | { type: 'conversation.posted'; threadId: string; vendorId: string; author: 'owner' | 'vendor' }
  | { type: 'conversation.closed'; threadId: string }
  | { type: 'intent.created'; intentId: string }
  | { type: 'intent.closed'; intentId: string; acceptedOfferId?: string }
  | { type: 'intent.offered'; intentId: string; offerId: string; vendorId: string }
  | { type: 'audit.flushed'; entries: number }
  | { type: 'audit.break_acknowledged'; firstBadSeq: number }
  | { type: 'rows.adopted'; grants: number; vendors: number; purchases: number }
  | { type: 'backup.created'; bytes: number }
  | { type: 'vault.restored' }
  | { type: 'vault.imported'; fields: number; purchases: number }

export type VaultEventListener = (event: VaultEvent) => void

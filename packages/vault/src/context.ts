import type { Kysely } from 'kysely'
import type { AuditLog } from './audit/audit-log.js'
import type { RefusalBurst } from './audit/refusal-burst.js'
import type { Sodium } from './crypto/sodium.js'
import type { DatabaseHandle } from './db/open-database.js'
import type { Engine, VaultDatabase } from './db/schema.js'
import type { VaultEvent } from './events.js'
import type { GrantReadCache } from './grants/grant-read-cache.js'
import type { RowAuth } from './integrity/row-auth.js'
import type { UnsealedKeys } from './keys/unsealed-keys.js'

/** What every part of the vault shares: wired by hand in createVault, passed down explicitly. */
export interface VaultContext {
  readonly handle: DatabaseHandle
  readonly db: Kysely<VaultDatabase>
  readonly engine: Engine
  readonly sodium: Sodium
  readonly now: () => Date
  readonly emit: (event: VaultEvent) => void
  /** The unsealed keys; throws ERR_VAULT_LOCKED while sealed. */
  readonly keys: () => UnsealedKeys
  /** The keys if unsealed, else undefined (for code that also runs while sealed, like failed-unlock audit entries). */
  readonly keysIfUnsealed: () => UnsealedKeys | undefined
  readonly audit: AuditLog
  /** Where vendor refusals are logged: aggregated per (vendor, grant, reason), see audit/refusal-burst.ts. */
  readonly refusals: RefusalBurst
  /** Authenticates the vault's access-deciding rows (integrity/row-auth.ts). */
  readonly rows: RowAuth
  /** Whether grant reads may reuse a slice under an unchanged change token (see read-through-grant.ts). */
  readonly grantReadCache: boolean
  /** The grant read path's compiled queries and decrypted bodies and slices, cleared whenever the keys leave custody. */
  readonly grantReads: GrantReadCache
}

/** A new random id: 16 bytes, base64url, with a readable type prefix. */
export function newId(sodium: Sodium, prefix: string): string {
  return `${prefix}_${sodium.to_base64(sodium.randombytes_buf(16), sodium.base64_variants.URLSAFE_NO_PADDING)}`
}

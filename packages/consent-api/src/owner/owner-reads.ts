import type { AuditEntry, Grant, Vault, VaultStatus, Vendor } from '@custos/vault'

/** Who is connected: every vendor, every grant, and each grant's newest read (absent: never read). */
export interface Connections {
  readonly vendors: Vendor[]
  readonly grants: Grant[]
  readonly lastReads: ReadonlyMap<string, AuditEntry>
}

/**
 * What the owner may look at, for the owner API's GET routes and the web pages alike: the vault's
 * read operations and nothing that writes. Thin on purpose — a read has no steps to orchestrate —
 * but a caller holding it (a page) cannot change the vault past the owner actions.
 *
 * @example
 * const fields = await actions.read.fields.list()
 */
export interface OwnerReads {
  status(): Promise<VaultStatus>
  /** In memory, no query: for checks that run on every request. */
  isUnsealed(): boolean
  readonly fields: Pick<Vault['fields'], 'list' | 'get'>
  readonly purchases: Pick<Vault['purchases'], 'list' | 'get'>
  readonly vendors: Pick<Vault['vendors'], 'list' | 'get'>
  readonly grants: Pick<Vault['grants'], 'list' | 'get'>
  readonly inbox: Pick<Vault['inbox'], 'list'>
  /** The owner's intents and the offers on each, for comparing side by side. */
  readonly intents: Pick<Vault['intents'], 'list' | 'get' | 'offers'>
  /** The log's entries (never values, SECURITY.md 21), its hash-chain check (20) and whether vendor reads are barred by a break. */
  readonly audit: Pick<Vault['audit'], 'list' | 'verify' | 'trusted'>
  /**
   * Vendors, grants and when each grant was last read through (the Connections page, `GET
   * /owner/vendors`): one indexed lookup per grant in the audit log (the vault's
   * `audit.lastReadPerGrant`), however long the log grows.
   */
  connections(): Promise<Connections>
}

/** The read-only view of `vault`: each member calls the vault's own operation. */
export function ownerReads(vault: Vault): OwnerReads {
  return Object.freeze({
    status: () => vault.status(),
    isUnsealed: () => vault.isUnsealed(),
    fields: Object.freeze({
      list: (selectors?: readonly string[]) => vault.fields.list(selectors),
      get: (path: Parameters<Vault['fields']['get']>[0]) => vault.fields.get(path),
    }),
    purchases: Object.freeze({
      list: (filter?: Parameters<Vault['purchases']['list']>[0]) => vault.purchases.list(filter),
      get: (id: string) => vault.purchases.get(id),
    }),
    vendors: Object.freeze({
      list: () => vault.vendors.list(),
      get: (id: string) => vault.vendors.get(id),
    }),
    grants: Object.freeze({
      list: (filter?: Parameters<Vault['grants']['list']>[0]) => vault.grants.list(filter),
      get: (id: string) => vault.grants.get(id),
    }),
    inbox: Object.freeze({
      list: (options?: Parameters<Vault['inbox']['list']>[0]) => vault.inbox.list(options),
    }),
    intents: Object.freeze({
      list: () => vault.intents.list(),
      get: (id: string) => vault.intents.get(id),
      offers: (id: string) => vault.intents.offers(id),
    }),
    audit: Object.freeze({
      list: (filter?: Parameters<Vault['audit']['list']>[0]) => vault.audit.list(filter),
      verify: () => vault.audit.verify(),
      trusted: () => vault.audit.trusted(),
    }),
    async connections() {
      const [vendors, grants] = await Promise.all([vault.vendors.list(), vault.grants.list()])
      return {
        vendors,
        grants,
        lastReads: await vault.audit.lastReadPerGrant(grants.map((g) => g.id)),
      }
    },
  })
}

/**
 * The canonical form the hash chain covers (SECURITY.md promise 20). Entries are hashed over
 * `canonicalEntry(entry)`, so fields added later (`origin`, `count`) must leave every entry that
 * lacks them byte-identical — otherwise every existing log would stop verifying.
 */
import { describe, expect, it } from 'vitest'
import { type AuditEntry, canonicalEntry, entryFromCanonical } from './audit-entry.js'

const READ: AuditEntry = {
  seq: 7,
  at: '2026-05-01T10:00:00.000Z',
  action: 'grant.read',
  actor: 'vendor:ven_a',
  vendorId: 'ven_a',
  grantId: 'grt_a',
  paths: ['email'],
  outcome: 'ok',
}

describe('canonicalEntry', () => {
  it('is byte-identical to the original form for entries without the later fields', () => {
    expect(canonicalEntry(READ)).toBe(
      '{"seq":7,"at":"2026-05-01T10:00:00.000Z","action":"grant.read","actor":"vendor:ven_a","vendorId":"ven_a","grantId":"grt_a","paths":["email"],"purchaseIds":null,"outcome":"ok","detail":null}',
    )
    expect(
      canonicalEntry({
        seq: 1,
        at: '2026-05-01T10:00:00.000Z',
        action: 'vault.created',
        actor: 'owner',
        outcome: 'ok',
      }),
    ).toBe(
      '{"seq":1,"at":"2026-05-01T10:00:00.000Z","action":"vault.created","actor":"owner","vendorId":null,"grantId":null,"paths":null,"purchaseIds":null,"outcome":"ok","detail":null}',
    )
  })

  it('appends origin and count after the original keys, only when present, and reads them back', () => {
    const locked: AuditEntry = {
      seq: 8,
      at: '2026-05-01T10:00:00.000Z',
      action: 'vault.locked',
      actor: 'owner',
      outcome: 'ok',
      origin: 'cli',
    }
    expect(canonicalEntry(locked)).toBe(
      '{"seq":8,"at":"2026-05-01T10:00:00.000Z","action":"vault.locked","actor":"owner","vendorId":null,"grantId":null,"paths":null,"purchaseIds":null,"outcome":"ok","detail":null,"origin":"cli"}',
    )
    const burst: AuditEntry = {
      seq: 9,
      at: '2026-05-01T10:00:00.000Z',
      action: 'grant.refused',
      actor: 'system',
      outcome: 'refused',
      detail: 'ERR_TOKEN_UNKNOWN',
      count: 41,
    }
    expect(canonicalEntry(burst).endsWith('"detail":"ERR_TOKEN_UNKNOWN","count":41}')).toBe(true)
    for (const entry of [READ, locked, burst])
      expect(entryFromCanonical(canonicalEntry(entry))).toEqual(entry)
  })

  it('refuses an origin outside the enum and a count below 2 when reading an entry back', () => {
    const text = canonicalEntry({
      seq: 8,
      at: '2026-05-01T10:00:00.000Z',
      action: 'vault.locked',
      actor: 'owner',
      outcome: 'ok',
    })
    expect(() => entryFromCanonical(text.replace(/}$/, ',"origin":"telepathy"}'))).toThrow()
    expect(() => entryFromCanonical(text.replace(/}$/, ',"count":1}'))).toThrow()
  })
})

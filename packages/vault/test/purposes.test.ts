/**
 * Issue 12, machine-readable purposes in the library: the DPV catalogue, purposes on grants
 * (default, narrowing, the log, export and import), and the "never for" rule's taxonomy.
 */
import { afterEach, describe, expect, it } from 'vitest'
import {
  DEFAULT_PURPOSE,
  DPV,
  PURPOSES,
  PurposeList,
  VaultError,
  isWithin,
  purposeOf,
  refusedPurposes,
} from '../src/index.js'
import { type TestVault, createTestVault } from './support/test-vault.js'

let tv: TestVault | undefined
afterEach(async () => {
  await tv?.dispose()
  tv = undefined
})

describe('the purpose catalogue', () => {
  it('holds DPV IRIs, each once, whose broader purposes are in the catalogue, without cycles', () => {
    const iris = PURPOSES.map((p) => p.iri)
    expect(new Set(iris).size).toBe(iris.length)
    for (const p of PURPOSES) {
      expect(p.iri).toMatch(/^https:\/\/w3id\.org\/dpv(\/ai)?#[A-Z][A-Za-z]+$/)
      expect(p.curie.split(':')[1]).toBe(p.iri.split('#')[1])
      expect(p.plain.length).toBeGreaterThan(3)
      for (const b of p.broader) expect(iris).toContain(b)
      // No purpose is (transitively) broader than itself.
      for (const b of p.broader) expect(isWithin(b, p.iri)).toBe(false)
    }
    for (const term of [
      'CustomerCare',
      'CustomerOrderManagement',
      'DeliveryOfGoods',
      'Personalisation',
      'Marketing',
    ])
      expect(purposeOf(`dpv:${term}`)?.iri).toBe(`${DPV}${term}`)
  })

  it('refuses along the taxonomy: never for marketing refuses advertising and targeted ads, not customer care', () => {
    const marketing = `${DPV}Marketing`
    const asked = [
      `${DPV}CustomerCare`,
      `${DPV}Advertising`,
      `${DPV}TargetedAdvertising`,
      `${DPV}Personalisation`,
    ]
    expect(refusedPurposes(asked, [marketing])).toEqual([
      `${DPV}Advertising`,
      `${DPV}TargetedAdvertising`,
    ])
    expect(refusedPurposes(asked, [])).toEqual([])
    // Personalised advertising is narrower than personalisation as well.
    expect(refusedPurposes([`${DPV}PersonalisedAdvertising`], [`${DPV}Personalisation`])).toEqual([
      `${DPV}PersonalisedAdvertising`,
    ])
  })

  it('reads compact names and IRIs, keeps each once, and names no input it refuses', () => {
    expect(PurposeList.parse(['dpv:Marketing', `${DPV}Marketing`, 'ai:ModelTraining'])).toEqual([
      `${DPV}Marketing`,
      'https://w3id.org/dpv/ai#ModelTraining',
    ])
    const bad = PurposeList.safeParse(['dpv:Marketing', 'secret-word'])
    expect(bad.success).toBe(false)
    expect(JSON.stringify(bad.error?.issues)).not.toContain('secret-word')
    expect(PurposeList.safeParse([]).success).toBe(false)
  })
})

describe('purposes on grants', () => {
  async function vaultWithVendor() {
    tv = await createTestVault()
    const vendor = await tv.vault.vendors.register({ name: 'Fjord Outdoor' })
    return { vault: tv.vault, vendor }
  }

  it('a grant carries its purposes as IRIs; none given is service provision; the log names them', async () => {
    const { vault, vendor } = await vaultWithVendor()
    const named = await vault.grants.create({
      vendorId: vendor.id,
      fields: ['email'],
      actions: ['read'],
      purpose: 'Order updates',
      purposes: ['dpv:CustomerOrderManagement', 'dpv:DeliveryOfGoods'],
      durationSeconds: 3600,
    })
    expect(named.purposes).toEqual([`${DPV}CustomerOrderManagement`, `${DPV}DeliveryOfGoods`])
    expect((await vault.grants.get(named.id)).purposes).toEqual(named.purposes)
    const plain = await vault.grants.create({
      vendorId: vendor.id,
      fields: ['email'],
      actions: ['read'],
      purpose: 'Newsletter',
      durationSeconds: 3600,
    })
    expect(plain.purposes).toEqual([DEFAULT_PURPOSE])
    const created = await vault.audit.list({ action: 'grant.created' })
    expect(created.map((e) => e.purposes).sort()).toEqual(
      [named.purposes, [DEFAULT_PURPOSE]].sort(),
    )
    expect((await vault.audit.verify()).ok).toBe(true)
  })

  it('narrowing may keep, drop or narrow a purpose, never add one', async () => {
    const { vault, vendor } = await vaultWithVendor()
    const grant = await vault.grants.create({
      vendorId: vendor.id,
      fields: ['email'],
      actions: ['read'],
      purpose: 'Offers and support',
      purposes: ['dpv:Marketing', 'dpv:CustomerCare'],
      durationSeconds: 3600,
    })
    const narrower = await vault.grants.narrow(grant.id, { purposes: ['dpv:DirectMarketing'] })
    expect(narrower.purposes).toEqual([`${DPV}DirectMarketing`])
    const widen = vault.grants.narrow(grant.id, { purposes: ['dpv:CustomerCare'] })
    await expect(widen).rejects.toBeInstanceOf(VaultError)
    await expect(widen).rejects.toMatchObject({ code: 'ERR_GRANT_SCOPE' })
    expect((await vault.grants.get(grant.id)).purposes).toEqual([`${DPV}DirectMarketing`])
    const narrowed = await vault.audit.list({ action: 'grant.narrowed' })
    expect(narrowed[0]?.purposes).toEqual([`${DPV}DirectMarketing`])
  })

  it('an export carries the purposes and an import restores them', async () => {
    const { vault, vendor } = await vaultWithVendor()
    const grant = await vault.grants.create({
      vendorId: vendor.id,
      fields: ['email'],
      actions: ['read'],
      purpose: 'Deliveries',
      purposes: ['dpv:DeliveryOfGoods'],
      durationSeconds: 3600,
    })
    const exported = await vault.exportJson()
    expect(exported.grants[0]?.purposes).toEqual([`${DPV}DeliveryOfGoods`])
    const other = await createTestVault()
    try {
      await other.vault.importJson(exported, { mode: 'replace' })
      expect((await other.vault.grants.get(grant.id)).purposes).toEqual([`${DPV}DeliveryOfGoods`])
    } finally {
      await other.dispose()
    }
  })
})

/**
 * The library demo that `pnpm start` runs until the server exists: a vault in ./data, a
 * profile, a vendor, a grant, an audited read through it, and a chain check — no HTTP.
 *
 * The passphrase comes from CUSTOS_PASSPHRASE; on first run without it, a random demo
 * passphrase is generated and stored in ./data/demo-passphrase (demo only: a real vault's
 * passphrase lives in the owner's head or password manager).
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { randomBytes } from 'node:crypto'
import { join, resolve } from 'node:path'
import { createVault, openSqlite } from '../src/index.js'

const dataDir = resolve(process.env.CUSTOS_DATA ?? 'data')
mkdirSync(dataDir, { recursive: true, mode: 0o700 })
const passFile = join(dataDir, 'demo-passphrase')
let passphrase = process.env.CUSTOS_PASSPHRASE
if (!passphrase && existsSync(passFile)) passphrase = readFileSync(passFile, 'utf8').trim()

const say = (line = '') => process.stdout.write(`${line}\n`)
const vault = await createVault({ database: openSqlite(join(dataDir, 'custos.db')) })
const status = await vault.status()
if (status.state === 'uninitialized') {
  if (!passphrase) {
    passphrase = randomBytes(18).toString('base64url')
    writeFileSync(passFile, `${passphrase}\n`, { mode: 0o600 })
    say(`Demo passphrase generated and saved to ${passFile} (demo only).`)
  }
  say('Creating the vault (Argon2id, moderate cost)…')
  const { recoveryKey, vaultId } = await vault.initialize(passphrase)
  say(`Vault ${vaultId} created. Recovery key — shown once, write it down:\n  ${recoveryKey}`)
} else {
  if (!passphrase) throw new Error(`Set CUSTOS_PASSPHRASE to unlock the vault in ${dataDir}`)
  say('Unlocking the vault…')
  await vault.unlock(passphrase)
}

if ((await vault.fields.list()).length === 0) {
  await vault.fields.setMany({
    'name.given': 'Ada',
    'name.family': 'Lovelace',
    email: 'ada@example.org',
    'address.shipping': {
      streetAddress: '12 St James Square',
      addressLocality: 'London',
      postalCode: 'SW1Y 4JH',
      addressCountry: 'GB',
    },
    'prefs.sizes.shoe': 'EU 39',
    'prefs.sizes.top': 'S',
    'prefs.diet': ['vegetarian'],
    'prefs.contact.channel': 'email',
    'prefs.brands.avoid': ['FastFashionCo'],
    'custom.loyalty.bookshop': 'BK-2231',
  })
}
say()
say(`Profile: ${(await vault.fields.list()).map((f) => f.path).join(', ')}`)

const shop = await vault.vendors.register({ name: 'Fjord Outdoor', uri: 'https://fjord.example' })
await vault.purchases.add(
  {
    seller: 'Fjord Outdoor',
    orderDate: '2026-03-14',
    currency: 'EUR',
    total: 129.9,
    category: 'outdoor',
    items: [{ name: 'Rain jacket', quantity: 1, price: 129.9 }],
  },
  { vendorId: shop.id },
)
const grant = await vault.grants.create({
  vendorId: shop.id,
  fields: ['name.given', 'prefs.sizes.*'],
  purchases: { madeWithVendor: true },
  actions: ['read', 'append'],
  purpose: 'Size recommendations and order history',
  durationSeconds: 30 * 24 * 3600,
})
say(
  `Granted ${shop.name}: ${grant.fields.join(', ')} + purchases made with it, until ${grant.expiresAt}`,
)

const slice = await vault.readThroughGrant(grant.id)
say(
  `${shop.name} reads: ${JSON.stringify(slice.fields)} and ${slice.purchases?.items.length ?? 0} purchase(s) — nothing else`,
)

await vault.inbox.append(grant.id, {
  seller: 'Fjord Outdoor',
  orderDate: new Date().toISOString(),
  currency: 'EUR',
  total: 24.5,
  items: [{ name: 'Wool socks', quantity: 2, price: 12.25 }],
})
say(`${shop.name} left a receipt in the inbox: ${(await vault.inbox.list()).items.length} pending`)

await vault.grants.revoke(grant.id)
try {
  await vault.readThroughGrant(grant.id)
} catch (err) {
  say(`After revocation the next read fails: ${(err as { code?: string }).code}`)
}

const log = await vault.audit.list({ limit: 5 })
say()
say('Latest audit entries:')
for (const e of log)
  say(
    `  #${e.seq} ${e.at} ${e.action} ${e.actor}${e.paths?.length ? ` [${e.paths.join(', ')}]` : ''}${e.detail ? ` (${e.detail})` : ''}`,
  )
const verification = await vault.audit.verify()
say(
  `Audit chain: ${verification.ok ? `intact (${verification.entries} entries)` : `DAMAGED at entry ${verification.firstBadSeq}`}`,
)
await vault.close()

/**
 * The data the benchmark runs on: a profile of sixteen fields of which a grant names ten, and
 * a purchase history generated from a fixed seed (same sellers, dates and totals every run).
 */
import { join } from 'node:path'
import {
  type FieldPath,
  type OrderInput,
  type Vault,
  type VaultEventListener,
  createVault,
  openSqlite,
} from '@custos/vault'
import { seededRandom } from './measure.js'

export const PASSPHRASE = 'benchmark passphrase, not a secret'

/** The issuer of the benchmark servers: requests go to 127.0.0.1 on a free port, so no port in it. */
export const BENCH_ISSUER = 'http://127.0.0.1'

/** The ten fields the benchmark grant names (exact paths, no wildcards). */
export const GRANTED_FIELDS: Readonly<Record<string, unknown>> = {
  'name.given': 'Ada',
  'name.family': 'Lovelace',
  email: 'ada@example.org',
  telephone: '+44 20 7946 0958',
  'address.shipping': {
    streetAddress: '12 St James’s Square',
    addressLocality: 'London',
    postalCode: 'SW1Y 4JH',
    addressCountry: 'GB',
  },
  birthDate: '1815-12-10',
  'prefs.sizes.shoe': 'EU 39',
  'prefs.sizes.top': 'M',
  'prefs.diet': ['vegetarian'],
  'prefs.contact.channel': 'email',
}

/** Fields the vault holds but the grant does not name: they must be skipped, not decrypted. */
export const OTHER_FIELDS: Readonly<Record<string, unknown>> = {
  'address.home': {
    streetAddress: '1 Analytical Row',
    addressLocality: 'London',
    addressCountry: 'GB',
  },
  jobTitle: 'Mathematician',
  worksFor: 'Analytical Engines Ltd',
  nationality: 'GB',
  'prefs.currency': 'GBP',
  'prefs.interests': ['mathematics', 'poetry', 'engines'],
}

/**
 * A new initialized, unsealed vault on a SQLite file in `dir`. Throughput benches use the
 * `interactive` KDF preset: the KDF runs once at unlock and is measured separately.
 */
export async function openBenchVault(
  dir: string,
  name: string,
  onEvent?: VaultEventListener,
  grantReadCache = true,
): Promise<Vault> {
  const vault = await createVault({
    database: openSqlite(join(dir, `${name}.db`)),
    kdf: 'interactive',
    grantReadCache,
    ...(onEvent ? { onEvent } : {}),
  })
  await vault.initialize(PASSPHRASE)
  return vault
}

export const FIELD_FOR_SET: FieldPath = 'prefs.sizes.shoe'

const CATEGORIES = [
  'outdoor',
  'books',
  'groceries',
  'electronics',
  'clothing',
  'home',
  'toys',
  'beauty',
  'sports',
  'garden',
  'music',
  'travel',
]
const PRODUCTS = [
  'Rain jacket',
  'Paperback',
  'Coffee beans',
  'USB-C cable',
  'Wool socks',
  'Desk lamp',
  'Puzzle',
  'Shampoo',
  'Running shoes',
  'Seeds',
  'Vinyl record',
  'Luggage tag',
]
const FROM = Date.UTC(2016, 0, 1)
const TO = Date.UTC(2026, 0, 1)

export function sellerName(i: number): string {
  return `Seller ${String(i).padStart(4, '0')} Trading`
}

/**
 * `count` purchases spread evenly at random over `sellers` sellers and ten years of dates, made
 * one at a time: a million orders never sit in memory at once.
 */
export function* purchaseStream(count: number, sellers: number, seed = 42): Generator<OrderInput> {
  const random = seededRandom(seed)
  const pick = <T>(list: readonly T[]): T => list[Math.floor(random() * list.length)] as T
  for (let i = 0; i < count; i++) {
    const items = Array.from({ length: 1 + Math.floor(random() * 3) }, () => ({
      name: pick(PRODUCTS),
      quantity: 1 + Math.floor(random() * 3),
      price: Math.round(random() * 20000) / 100,
    }))
    yield {
      seller: sellerName(Math.floor(random() * sellers)),
      orderDate: new Date(FROM + Math.floor(random() * (TO - FROM))).toISOString(),
      orderNumber: `ORD-${100000 + i}`,
      category: pick(CATEGORIES),
      currency: 'EUR',
      total:
        Math.round(items.reduce((sum, item) => sum + item.quantity * item.price, 0) * 100) / 100,
      items,
    }
  }
}

/** The next `size` orders of a stream (fewer at its end). */
export function take<T>(stream: Iterator<T>, size: number): T[] {
  const out: T[] = []
  for (let next = stream.next(); !next.done; next = stream.next()) {
    out.push(next.value)
    if (out.length === size) break
  }
  return out
}

/** `count` purchases as an array (small sets). */
export function generatePurchases(count: number, sellers: number, seed = 42): OrderInput[] {
  return [...purchaseStream(count, sellers, seed)]
}

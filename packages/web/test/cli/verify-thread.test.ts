/**
 * Issue 13: `custos verify-thread FILE` checks an exported conversation offline — the chain,
 * the vault's signatures — exits 4 naming the first bad message, and with `--vault-jwks` refuses
 * a file signed by a key the vault does not publish.
 */
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { SigningKeyStore, THREAD_BUNDLE_FORMAT, entrySigner } from '@custos/consent-api'
import { type TestVault, createTestVault } from '@custos/vault/testing'
import { runCli, tempDir } from './support/run-cli.js'

let tv: TestVault | undefined
const temps: { dispose(): void }[] = []
afterEach(async () => {
  await tv?.dispose()
  tv = undefined
  for (const t of temps.splice(0)) t.dispose()
})

async function exported() {
  tv = await createTestVault()
  const vault = tv.vault
  const shop = await vault.vendors.register({ name: 'Fjord Outdoor' })
  const grant = await vault.grants.create({
    vendorId: shop.id,
    actions: ['converse'],
    purpose: 'Talk',
    durationSeconds: 3600,
  })
  const key = await new SigningKeyStore(vault).signingKey()
  const sign = entrySigner(key)
  const thread = await vault.conversations.open(
    {
      vendorId: shop.id,
      topic: 'return',
      subject: 'Boots',
      message: { text: 'May I return them?' },
    },
    sign,
  )
  await vault.conversations
    .asVendor({ vendorId: shop.id, grantId: grant.id })
    .post(thread.id, { text: 'Yes.' }, sign)
  const read = await vault.conversations.read(thread.id)
  // The file as GET /owner/conversations/{id}/export writes it (consent-api thread-bundle.ts).
  return {
    jwk: key.publicJwk,
    bundle: {
      format: THREAD_BUNDLE_FORMAT,
      version: 1,
      exported_at: new Date().toISOString(),
      issuer: 'https://vault.example',
      thread_id: thread.id,
      vendor: { id: shop.id, name: 'Fjord Outdoor' },
      verify_with: {
        jwks_uri: 'https://vault.example/.well-known/jwks.json',
        keys: [key.publicJwk],
      },
      messages: read.items.map((m) => ({ seq: m.seq, entry: m.entry, hash: m.hash, jws: m.jws })),
    },
  }
}

describe('custos verify-thread', () => {
  it('verifies an exported thread offline, and names the first message that does not', async () => {
    const { bundle, jwk } = await exported()
    const temp = tempDir()
    temps.push(temp)
    const file = join(temp.dir, 'thread.json')
    writeFileSync(file, JSON.stringify(bundle))
    const jwks = join(temp.dir, 'jwks.json')
    writeFileSync(jwks, JSON.stringify({ keys: [jwk] }))
    const ok = await runCli(['verify-thread', file, '--vault-jwks', jwks])
    expect(ok.stderr).toBe('')
    expect(ok.code).toBe(0)
    expect(ok.stdout).toContain(`Thread ${bundle.thread_id} verifies: 2 messages`)

    const edited = structuredClone(bundle)
    edited.messages[1] = {
      ...(edited.messages[1] as (typeof edited.messages)[number]),
      entry: (edited.messages[1]?.entry ?? '').replace('Yes.', 'No.'),
    }
    writeFileSync(file, JSON.stringify(edited))
    const bad = await runCli(['verify-thread', file])
    expect(bad.code).toBe(4)
    expect(bad.stderr).toContain('message 2')

    // Another key than the vault publishes: refused before anything else.
    writeFileSync(file, JSON.stringify(bundle))
    writeFileSync(jwks, JSON.stringify({ keys: [{ ...jwk, x: 'A'.repeat(43) }] }))
    const foreign = await runCli(['verify-thread', file, '--vault-jwks', jwks])
    expect(foreign.code).toBe(4)
    expect(foreign.stderr).toContain('not in')
  })
})

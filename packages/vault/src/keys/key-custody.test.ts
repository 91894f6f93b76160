import { describe, expect, it } from 'vitest'
import { loadSodium } from '../crypto/sodium.js'
import { KeyCustody, RECOVERY_WINDOW_SECONDS } from './key-custody.js'
import { UnsealedKeys } from './unsealed-keys.js'

const sodium = await loadSodium()
const freshKeys = () => new UnsealedKeys(sodium, 'vault_test', sodium.randombytes_buf(32), 1)

function custody(start = Date.parse('2026-06-01T00:00:00Z')) {
  let t = start
  let seals = 0
  const c = new KeyCustody({ now: () => new Date(t), onSeal: () => void seals++ })
  return { c, seals: () => seals, advance: (seconds: number) => void (t += seconds * 1000) }
}

describe('KeyCustody (SECURITY.md promise 6)', () => {
  it('is sealed until keys are put in custody, and sealing wipes them and tells the owner of derived state', async () => {
    const { c, seals } = custody()
    expect(c.isUnsealed).toBe(false)
    expect(() => c.require()).toThrow(expect.objectContaining({ code: 'ERR_VAULT_LOCKED' }))
    const keys = freshKeys()
    await c.unseal(keys)
    expect(c.require()).toBe(keys)
    const before = seals()
    c.seal()
    expect([c.isUnsealed, c.ifUnsealed(), keys.wiped, seals()]).toEqual([
      false,
      undefined,
      true,
      before + 1,
    ])
  })

  it('new keys replace the old ones only after wiping them; an unseal whose record fails leaves the vault sealed and the new keys wiped', async () => {
    const { c, seals } = custody()
    const first = freshKeys()
    await c.unseal(first)
    const second = freshKeys()
    let seenDuringRecord: UnsealedKeys | undefined
    await c.unseal(second, async () => void (seenDuringRecord = c.require()))
    expect([first.wiped, seenDuringRecord === second, c.require() === second]).toEqual([
      true,
      true,
      true,
    ])

    const third = freshKeys()
    const sealsBefore = seals()
    await expect(
      c.unseal(third, async () => Promise.reject(new Error('disk full'))),
    ).rejects.toThrow('disk full')
    expect([c.isUnsealed, third.wiped, second.wiped]).toEqual([false, true, true])
    expect(seals()).toBeGreaterThan(sealsBefore)
  })

  it('abandon takes back only the keys it names', async () => {
    const { c } = custody()
    const keys = freshKeys()
    await c.unseal(keys)
    c.abandon(freshKeys())
    expect(c.require()).toBe(keys)
    c.abandon(keys)
    expect(c.isUnsealed).toBe(false)
  })

  it('runs one unlock at a time, in order, and a failed one does not stop the next', async () => {
    const { c } = custody()
    const order: string[] = []
    let release: () => void = () => undefined
    const first = c.oneUnlockAtATime(async () => {
      order.push('first starts')
      await new Promise<void>((resolve) => (release = resolve))
      order.push('first ends')
      throw new Error('wrong passphrase')
    })
    const second = c.oneUnlockAtATime(async () => {
      order.push('second starts')
      return 'already-unsealed'
    })
    await Promise.resolve()
    release()
    await expect(first).rejects.toThrow('wrong passphrase')
    expect(await second).toBe('already-unsealed')
    expect(order).toEqual(['first starts', 'first ends', 'second starts'])
  })

  it('a recovery proof lasts the window, is spent once, and is forgotten by a seal', async () => {
    const { c, advance } = custody()
    expect(c.spendRecoveryProof()).toBe(false)
    c.recoveryProved()
    advance(RECOVERY_WINDOW_SECONDS)
    expect(c.spendRecoveryProof()).toBe(true)
    expect(c.spendRecoveryProof()).toBe(false)
    c.recoveryProved()
    advance(RECOVERY_WINDOW_SECONDS + 1)
    expect(c.spendRecoveryProof()).toBe(false)
    c.recoveryProved()
    c.seal()
    expect(c.spendRecoveryProof()).toBe(false)
  })
})

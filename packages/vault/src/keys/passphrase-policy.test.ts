/**
 * The passphrase policy (security issue: weak passphrases were accepted everywhere but one web
 * form): at least 14 characters, a zxcvbn score of at least 3, at most 1024 bytes; refusals are
 * ERR_WEAK_PASSPHRASE with a reason that never repeats the passphrase.
 */
import { describe, expect, it } from 'vitest'
import { VaultError } from '../errors.js'
import {
  MIN_PASSPHRASE_SCORE,
  assertPassphraseAllowed,
  checkPassphrase,
} from './passphrase-policy.js'

/** The error `assertPassphraseAllowed` throws, or undefined when it accepts. */
async function refusal(passphrase: string | Uint8Array): Promise<VaultError | undefined> {
  try {
    await assertPassphraseAllowed(passphrase)
    return undefined
  } catch (err) {
    if (err instanceof VaultError) return err
    throw err
  }
}

const TOO_SHORT = [
  '',
  'password',
  'correcthorse',
  'Tr0ub4dor&3',
  'short1234',
  'Ñandú café öl' /* 13 characters, 17 bytes */,
]
const TOO_EASY = [
  'a'.repeat(20),
  'aaaaaaaaaaaaaaaaaaaa',
  'passwordpassword',
  'abcdefghijklmnopqrst',
  '12345678901234567890',
  'qwertyuiopasdfgh',
  'iloveyouiloveyou',
]

describe('checkPassphrase', () => {
  it('refuses passphrases shorter than 14 characters, saying so', async () => {
    for (const p of TOO_SHORT) {
      const verdict = await checkPassphrase(p)
      expect([p, verdict.ok]).toEqual([p, false])
      expect(!verdict.ok && verdict.reason).toMatch(/too short: use at least 14 characters/)
      expect(verdict.score).toBeLessThan(MIN_PASSPHRASE_SCORE)
    }
  })

  it("refuses long but guessable passphrases, with zxcvbn's warning or suggestion", async () => {
    for (const p of TOO_EASY) {
      const verdict = await checkPassphrase(p)
      expect([p, verdict.ok]).toEqual([p, false])
      const reason = verdict.ok ? '' : verdict.reason
      expect(reason).toMatch(/^The passphrase is too easy to guess\. \S/)
      // More than the headline: the estimator's warning or suggestion follows it.
      expect(reason.length).toBeGreaterThan('The passphrase is too easy to guess. '.length + 10)
      expect(verdict.score).toBeLessThan(MIN_PASSPHRASE_SCORE)
    }
    expect(await checkPassphrase('a'.repeat(20))).toMatchObject({
      reason: expect.stringContaining('Repeated characters are easy to guess.'),
    })
  })

  it('accepts a few random ordinary words, and 14 characters are enough', async () => {
    for (const p of [
      'orbit velvet canyon sparrow',
      'tangerine glacier whistle parade',
      'fig yak quartz' /* exactly 14 */,
    ]) {
      const verdict = await checkPassphrase(p)
      expect([p, verdict]).toEqual([p, { ok: true, score: expect.any(Number) }])
      expect(verdict.score).toBeGreaterThanOrEqual(MIN_PASSPHRASE_SCORE)
    }
    // Bytes are read as UTF-8, as the vault hashes them.
    expect(
      await checkPassphrase(new TextEncoder().encode('orbit velvet canyon sparrow')),
    ).toMatchObject({ ok: true })
    expect(await checkPassphrase(new TextEncoder().encode('a'.repeat(20)))).toMatchObject({
      ok: false,
    })
  })

  it('refuses more than 1024 bytes (counted after NFKC, in UTF-8), and accepts exactly 1024', async () => {
    const words = 'orbit velvet canyon sparrow '.repeat(40)
    expect(await checkPassphrase(words.slice(0, 1024))).toMatchObject({ ok: true })
    expect(await checkPassphrase(words.slice(0, 1025))).toEqual({
      ok: false,
      reason: 'The passphrase is too long: at most 1024 bytes.',
      score: 0,
    })
    // 513 two-byte characters: few characters, too many bytes.
    expect(await checkPassphrase(`${'é'.repeat(513)}`)).toMatchObject({
      ok: false,
      reason: expect.stringContaining('too long'),
    })
  })

  it('answers quickly even for a long, odd passphrase (it runs on every form submit)', async () => {
    await checkPassphrase('warm the dictionaries up')
    const odd = ['1234567890'.repeat(100), 'p4$$w0rd'.repeat(128), '@$!|0134578+'.repeat(85)]
    for (const p of odd) {
      const started = performance.now()
      await checkPassphrase(p.slice(0, 1024))
      // Measured well under 0.5 s on a busy two-core machine; 256 characters unbounded took seconds.
      expect(performance.now() - started).toBeLessThan(2_000)
    }
  })

  it('refuses non-text input as caller misuse (TypeError)', async () => {
    await expect(checkPassphrase(42 as unknown as string)).rejects.toThrow(TypeError)
  })
})

describe('assertPassphraseAllowed', () => {
  it('throws ERR_WEAK_PASSPHRASE whose message is the reason, never containing the passphrase', async () => {
    for (const p of [...TOO_SHORT, ...TOO_EASY, 'correct horse', 'p@ssw0rdp@ssw0rd!']) {
      const err = await refusal(p)
      expect([p, err?.code]).toEqual([p, 'ERR_WEAK_PASSPHRASE'])
      const verdict = await checkPassphrase(p)
      expect(err?.message).toBe(verdict.ok ? '' : verdict.reason)
      if (p !== '') expect([p, err?.message.includes(p)]).toEqual([p, false])
    }
  })

  it('says what kind of weakness, never which characters: the same reason for different characters', async () => {
    const twins = [
      ['a'.repeat(20), 'q'.repeat(20)],
      ['passwordpassword', 'iloveyouiloveyou', 'abcabcabcabcabcabc', 'zq'.repeat(10)],
      ['abcdefghijklmnopqrst', 'mnopqrstuvwxyzabcdef'],
      ['password', 'Tr0ub4dor&3'],
    ]
    for (const group of twins) {
      const messages = await Promise.all(group.map(async (p) => (await refusal(p))?.message))
      expect(new Set(messages).size).toBe(1)
      expect(messages[0]).toBeDefined()
    }
    // zxcvbn's own English texts quote examples ("aaa", "abc", "abcabcabc") that would repeat a
    // piece of exactly these passphrases: the policy words them without examples.
    expect((await refusal('a'.repeat(20)))?.message).not.toMatch(/aaa/i)
    expect((await refusal('abcdefghijklmnopqrst'))?.message).not.toMatch(/abc/i)
    expect((await refusal('abcabcabcabcabcabc'))?.message).not.toMatch(/abc/i)
  })

  it('lets a strong passphrase through', async () => {
    expect(await refusal('orbit velvet canyon sparrow')).toBeUndefined()
  })
})

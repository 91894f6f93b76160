/**
 * Issue 10 (a forgotten passphrase was a dead end in the browser): after the owner proved the
 * recovery key, `resetPassphrase` sets a new passphrase without the old one — within the recovery
 * window only, once per proof, under the passphrase policy, and never while sealed.
 */
import { afterEach, describe, expect, it } from 'vitest'
import { RECOVERY_WINDOW_SECONDS, VaultError } from '../src/index.js'
import { PASSPHRASE, type TestVault, createTestVault } from './support/test-vault.js'

const NEXT = 'quiet harbour lantern maple 42'
let tv: TestVault | undefined
afterEach(async () => {
  await tv?.dispose()
  tv = undefined
})

async function code(run: () => Promise<unknown>): Promise<string> {
  try {
    await run()
    return 'ok'
  } catch (err) {
    return err instanceof VaultError ? err.code : String(err)
  }
}

describe('issue 10: resetPassphrase after a recovery-key proof', () => {
  it('sets a new passphrase after verifyOwner with the recovery key; the old one fails, the new one and the recovery key unlock', async () => {
    tv = await createTestVault()
    await tv.vault.verifyOwner({ recoveryKey: tv.recoveryKey }, { origin: 'browser' })
    await tv.vault.resetPassphrase(NEXT, { origin: 'browser' })
    const entry = (await tv.vault.audit.list()).find((e) => e.action === 'vault.passphrase_changed')
    expect(entry).toMatchObject({ detail: 'recovery-key' })
    await tv.vault.lock()
    expect(await code(() => tv!.vault.unlock(PASSPHRASE))).toBe('ERR_UNLOCK_FAILED')
    await tv.vault.unlock(NEXT)
    await tv.vault.lock()
    await tv.vault.unlock({ recoveryKey: tv.recoveryKey })
  })

  it('also after an unlock with the recovery key', async () => {
    tv = await createTestVault()
    await tv.vault.lock()
    await tv.vault.unlock({ recoveryKey: tv.recoveryKey })
    expect(await code(() => tv!.vault.resetPassphrase(NEXT))).toBe('ok')
  })

  it('refuses without a proof, after a passphrase proof, after the window, a second time on one proof, and after a lock', async () => {
    let now = new Date('2026-12-04T10:00:00Z')
    tv = await createTestVault({ now: () => now })
    expect(await code(() => tv!.vault.resetPassphrase(NEXT))).toBe('ERR_RECOVERY_REQUIRED')
    await tv.vault.verifyOwner(PASSPHRASE)
    expect(await code(() => tv!.vault.resetPassphrase(NEXT))).toBe('ERR_RECOVERY_REQUIRED')

    await tv.vault.verifyOwner({ recoveryKey: tv.recoveryKey })
    now = new Date(now.getTime() + (RECOVERY_WINDOW_SECONDS + 1) * 1000)
    expect(await code(() => tv!.vault.resetPassphrase(NEXT))).toBe('ERR_RECOVERY_REQUIRED')

    await tv.vault.verifyOwner({ recoveryKey: tv.recoveryKey })
    expect(await code(() => tv!.vault.resetPassphrase('short'))).toBe('ERR_WEAK_PASSPHRASE')
    expect(await code(() => tv!.vault.resetPassphrase(NEXT))).toBe('ok')
    expect(await code(() => tv!.vault.resetPassphrase(`${NEXT} again`))).toBe(
      'ERR_RECOVERY_REQUIRED',
    )

    await tv.vault.verifyOwner({ recoveryKey: tv.recoveryKey })
    await tv.vault.lock()
    await tv.vault.unlock(NEXT)
    expect(await code(() => tv!.vault.resetPassphrase(`${NEXT} again`))).toBe(
      'ERR_RECOVERY_REQUIRED',
    )
  })

  it('refuses while sealed', async () => {
    tv = await createTestVault()
    await tv.vault.verifyOwner({ recoveryKey: tv.recoveryKey })
    await tv.vault.lock()
    expect(await code(() => tv!.vault.resetPassphrase(NEXT))).toBe('ERR_VAULT_LOCKED')
  })
})

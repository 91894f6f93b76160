/**
 * Issue "P1 — Trust", finding 2, at the command: `custos serve` takes the number of trusted
 * reverse proxies (flag, environment or config file; default 0 — X-Forwarded-For ignored) and
 * the rate limits (config file only, `limits`, checked by the consent API's own schema), and
 * hands both to the app. A bad value is a usage error naming the setting, never its value.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { resolveSettings } from '../../src/cli/config.js'

const dirs: string[] = []
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true })
})

function dataWith(config?: unknown): string {
  const data = mkdtempSync(join(tmpdir(), 'custos-limits-'))
  dirs.push(data)
  if (config !== undefined) writeFileSync(join(data, 'custos.json'), JSON.stringify(config))
  return data
}

describe('serve settings: trusted proxies and limits', () => {
  it('trusted proxies default to 0 and come from the flag, the environment or the file, in that order', () => {
    expect(resolveSettings({ data: dataWith() }, {}).trustedProxies).toBe(0)
    const data = dataWith({ trustedProxies: 1 })
    expect(resolveSettings({ data }, {}).trustedProxies).toBe(1)
    expect(resolveSettings({ data }, { CUSTOS_TRUSTED_PROXIES: '2' }).trustedProxies).toBe(2)
    expect(
      resolveSettings({ data, 'trusted-proxies': '0' }, { CUSTOS_TRUSTED_PROXIES: '2' })
        .trustedProxies,
    ).toBe(0)
  })

  it('refuses a bad number of proxies, naming the setting and its source but not the value', () => {
    for (const value of ['-1', '6', 'one', '1.5']) {
      expect(() => resolveSettings({ data: dataWith(), 'trusted-proxies': value }, {})).toThrow(
        /^custos: invalid setting trusted-proxies \(from --trusted-proxies\): /,
      )
    }
    expect(() =>
      resolveSettings({ data: dataWith() }, { CUSTOS_TRUSTED_PROXIES: 'CANARY' }),
    ).toThrow(expect.objectContaining({ message: expect.not.stringContaining('CANARY') }))
  })

  it('reads limits from the config file only, validated by the consent API schema', () => {
    const limits = { registrations: { max: 5, seconds: 60 }, pendingPerVendor: 20 }
    expect(resolveSettings({ data: dataWith({ limits }) }, {}).limits).toMatchObject(limits)
    expect(resolveSettings({ data: dataWith() }, {}).limits).toBeUndefined()
    for (const bad of [
      { registrations: { max: 0, seconds: 60 } },
      { pendingPerVendor: 'many' },
      { canary_limit: 1 },
    ]) {
      let message = ''
      try {
        resolveSettings({ data: dataWith({ limits: bad }) }, {})
      } catch (err) {
        message = (err as Error).message
      }
      expect(message).toMatch(/^custos: invalid setting limits \(from .*custos\.json\)/)
      expect(message).not.toContain('canary_limit')
      expect(message).not.toContain('many')
    }
  })
})

import { readFileSync } from 'node:fs'
import { runInNewContext } from 'node:vm'
import { describe, expect, it } from 'vitest'

/**
 * The idle sign-out of `/assets/custos.js` (SECURITY.md 24). The server ends a session 15 minutes
 * after this browser's last *request*; moving the mouse or typing on a page sends none. So the
 * page must leave for the sign-in page 15 minutes after it loaded, whatever happened on it —
 * else the owner's data stays on screen long after the session died. Timers also stop while a
 * laptop sleeps: coming back must compare the wall clock. Run against a minimal fake page with a
 * fake clock (no real time passes).
 */
const script = readFileSync(new URL('../../assets/custos.js', import.meta.url), 'utf8')
const MINUTE = 60_000

function fakePage() {
  let now = 1_700_000_000_000
  let timers: { at: number; fn: () => void; id: number }[] = []
  let nextId = 1
  const listeners = new Map<string, (() => void)[]>()
  const visited: string[] = []
  const context = {
    document: {
      body: { dataset: { signedIn: 'true' } },
      querySelectorAll: () => [],
      querySelector: () => null,
      getElementById: () => null,
      addEventListener: () => undefined,
    },
    location: { assign: (url: string) => visited.push(url), reload: () => undefined },
    Date: { now: () => now },
    setTimeout: (fn: () => void, ms: number) => {
      timers.push({ at: now + ms, fn, id: nextId })
      return nextId++
    },
    clearTimeout: (id: number) => {
      timers = timers.filter((t) => t.id !== id)
    },
    setInterval: () => 0,
    addEventListener: (type: string, fn: () => void) =>
      listeners.set(type, [...(listeners.get(type) ?? []), fn]),
    confirm: () => true,
  }
  runInNewContext(script, context)
  return {
    visited,
    /** Time passes with timers running. */
    advance(ms: number) {
      const until = now + ms
      for (;;) {
        const due = timers.filter((t) => t.at <= until).sort((a, b) => a.at - b.at)[0]
        if (!due) break
        timers = timers.filter((t) => t !== due)
        now = due.at
        due.fn()
      }
      now = until
    },
    /** Time passes with timers frozen (the computer slept). */
    sleep(ms: number) {
      now += ms
      timers = timers.map((t) => ({ ...t, at: t.at + ms }))
    },
    fire(type: string) {
      for (const fn of listeners.get(type) ?? []) fn()
    },
  }
}

describe('idle sign-out in the browser', () => {
  it('leaves a signed-in page 15 minutes after it loaded, even if the owner typed meanwhile', () => {
    const page = fakePage()
    page.advance(14 * MINUTE)
    page.fire('keydown')
    page.fire('pointerdown')
    page.advance(2 * MINUTE)
    expect(page.visited).toEqual(['/signin?idle=1'])
  })

  it('leaves at once when the owner comes back after the computer slept', () => {
    const page = fakePage()
    page.sleep(60 * MINUTE)
    page.fire('focus')
    expect(page.visited).toEqual(['/signin?idle=1'])
  })

  it('stays while the session is alive', () => {
    const page = fakePage()
    page.advance(10 * MINUTE)
    page.fire('focus')
    expect(page.visited).toEqual([])
  })
})

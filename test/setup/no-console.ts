/**
 * Fails any test that writes to the console (as zod's own suite does): the library must stay
 * quiet, and its events — not logs — are how callers learn what happened.
 */
import { afterEach, vi } from 'vitest'

const spies = (['log', 'info', 'warn', 'error', 'debug'] as const).map((method) =>
  vi.spyOn(console, method),
)

afterEach(() => {
  const called = spies.filter((s) => s.mock.calls.length > 0)
  for (const s of spies) s.mockClear()
  if (called.length > 0)
    throw new Error('A test wrote to the console; assert on events or return values instead')
})

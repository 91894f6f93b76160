/**
 * Limits no load test or benchmark reaches (each at the consent API's maximum): for runs that
 * measure the server under many vendors and flows from one address, not the limits themselves
 * (those are packages/consent-api/test/*-limits.test.ts).
 */
export const LOAD_TEST_LIMITS = {
  registrationsPerAddress: { max: 1_000_000, seconds: 1 },
  registrations: { max: 1_000_000, seconds: 1 },
  appendsPerVendor: { max: 1_000_000, seconds: 1 },
  pendingPerVendor: 100_000,
} as const

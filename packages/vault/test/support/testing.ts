/**
 * `@custos/vault/testing`: the vault's test support for the other packages' tests — a vault on
 * either engine (the `CUSTOS_TEST_ENGINE` the test project sets) and the canary scan that looks
 * for plaintext in stored bytes. Workspace-only: the export has just the `source` condition and
 * nothing under test/ ships, so an installed package cannot reach it.
 */
export * from './canary-scan.js'
export * from './test-vault.js'

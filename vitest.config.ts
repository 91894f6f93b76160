import { defineConfig } from 'vitest/config'

/**
 * One root config, several projects: the vault and consent-API suites run twice — on SQLite files and on a
 * real PostgreSQL server started by test/setup/postgres.ts — so both engines are held to the
 * same tests in the same `pnpm test`.
 */
/**
 * Tests run on the TypeScript sources: the `source` export condition, for the client and the
 * server (SSR) resolver alike — Vite applies `resolve.conditions` to the client only, and without
 * it the server side would load the packages' last build from dist/ (or not find a workspace-only
 * export such as `@custos/vault/testing` at all).
 */
const source = { resolve: { conditions: ['source'] }, ssr: { resolve: { conditions: ['source'] } } }

/**
 * Dependencies that publish their own `source` condition (TypeScript files): with the condition
 * above, Vite resolves them to `.ts`, which Node cannot load when they are external — so Vite
 * transforms them instead. `eventsource-parser` comes with the MCP SDK's HTTP client (issue 14).
 */
const inlineSourceDeps = {
  server: { deps: { inline: [/@modelcontextprotocol[\\/]sdk/, /eventsource-parser/] } },
}

const engineTests = [
  'packages/vault/src/**/*.test.ts',
  'packages/vault/test/**/*.test.ts',
  'packages/consent-api/src/**/*.test.ts',
  'packages/consent-api/test/**/*.test.ts',
]

export default defineConfig({
  test: {
    setupFiles: ['./test/setup/no-console.ts'],
    testTimeout: 60_000,
    ...inlineSourceDeps,
    hookTimeout: 120_000,
    projects: [
      {
        extends: true,
        ...source,
        test: { name: 'sqlite', include: engineTests, env: { CUSTOS_TEST_ENGINE: 'sqlite' } },
      },
      {
        extends: true,
        ...source,
        test: {
          name: 'postgres',
          include: engineTests,
          env: { CUSTOS_TEST_ENGINE: 'postgres' },
          globalSetup: ['./test/setup/postgres.ts'],
        },
      },
      {
        extends: true,
        ...source,
        test: {
          name: 'stories',
          include: [
            'test/**/*.test.ts',
            'packages/web/src/**/*.test.ts',
            'packages/web/test/**/*.test.ts',
          ],
          globalSetup: ['./test/setup/postgres.ts', './test/setup/chromium.ts'],
        },
      },
    ],
  },
})

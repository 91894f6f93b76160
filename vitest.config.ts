import { defineConfig } from 'vitest/config'

/**
 * One root config, several projects: the vault suite runs twice — on SQLite files and on a
 * real PostgreSQL server started by test/setup/postgres.ts — so both engines are held to the
 * same tests in the same `pnpm test`.
 */
const vaultTests = ['packages/vault/src/**/*.test.ts', 'packages/vault/test/**/*.test.ts']

export default defineConfig({
  test: {
    setupFiles: ['./test/setup/no-console.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    projects: [
      {
        extends: true,
        resolve: { conditions: ['source'] },
        test: { name: 'vault-sqlite', include: vaultTests, env: { CUSTOS_TEST_ENGINE: 'sqlite' } },
      },
      {
        extends: true,
        resolve: { conditions: ['source'] },
        test: {
          name: 'vault-postgres',
          include: vaultTests,
          env: { CUSTOS_TEST_ENGINE: 'postgres' },
          globalSetup: ['./test/setup/postgres.ts'],
        },
      },
      {
        extends: true,
        resolve: { conditions: ['source'] },
        test: { name: 'stories', include: ['test/**/*.test.ts'], globalSetup: ['./test/setup/postgres.ts'] },
      },
    ],
  },
})

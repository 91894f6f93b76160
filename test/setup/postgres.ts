/**
 * Vitest global set-up for the PostgreSQL project: a throw-away cluster
 * (test/support/postgres-cluster.ts) shared by the whole run, its URL handed to the tests.
 */
import type { TestProject } from 'vitest/node'
import { startPostgresCluster } from '../support/postgres-cluster.js'

declare module 'vitest' {
  export interface ProvidedContext {
    postgresUrl: string
  }
}

export default async function setup(project: TestProject): Promise<() => void> {
  const cluster = await startPostgresCluster()
  project.provide('postgresUrl', cluster.url)
  return () => cluster.dispose()
}

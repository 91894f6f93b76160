/**
 * The same command on PostgreSQL (`--database-url` / CUSTOS_DATABASE_URL): init, status and a
 * served, auto-unsealed vault, in a throw-away schema of the suite's test server.
 */
import { join } from 'node:path'
import { openPostgres } from '@custos/vault'
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest'
import { runCli, startServe, tempDir } from './support/run-cli.js'

const temp = tempDir()
const schema = `cli_${process.pid}_${Date.now().toString(36)}`
const base = inject('postgresUrl')
// `options` reaches the server as a startup parameter: every connection of the pool uses the schema.
const databaseUrl = `${base}?options=${encodeURIComponent(`-c search_path=${schema}`)}`

beforeAll(async () => {
  const admin = openPostgres({ connectionString: base, max: 1 })
  await admin.db.schema.createSchema(schema).execute()
  await admin.close()
})
afterAll(async () => {
  const admin = openPostgres({ connectionString: base, max: 1 })
  await admin.db.schema.dropSchema(schema).cascade().execute()
  await admin.close()
  temp.dispose()
})

describe('custos on PostgreSQL', () => {
  it('init, status and an auto-unsealed serve use the database URL, never printing it', async () => {
    const data = join(temp.dir, 'data')
    const keyFile = join(temp.dir, 'key')
    const init = await runCli([
      'init',
      '--data',
      data,
      '--database-url',
      databaseUrl,
      '--passphrase-file',
      temp.passFile,
      '--write-unseal-key-file',
      keyFile,
    ])
    expect(init.code).toBe(0)
    expect(init.stdout).toMatch(/created in PostgreSQL/)
    const admin = openPostgres({ connectionString: base, max: 1 })
    const tables = await admin.db.introspection.getTables()
    await admin.close()
    expect(tables.filter((t) => t.name === 'vault_meta').map((t) => t.schema)).toContain(schema)
    const status = await runCli(['status', '--json', '--data', data], {
      env: { CUSTOS_DATABASE_URL: databaseUrl },
    })
    expect(JSON.parse(status.stdout)).toMatchObject({
      state: 'sealed',
      engine: 'postgres',
      database: 'PostgreSQL',
    })
    const server = await startServe([
      '--data',
      data,
      '--database-url',
      databaseUrl,
      '--unseal-key-file',
      keyFile,
    ])
    try {
      expect(await (await fetch(`${server.url}/readyz`)).json()).toEqual({
        ready: true,
        state: 'unsealed',
      })
      expect(await server.stop()).toBe(0)
      expect(server.output()).toContain('"engine":"postgres"')
      expect(server.output()).not.toContain(base)
    } finally {
      server.kill()
    }
  })
})

/**
 * Issue 11: the import rules prove the layers (import-rules.ts holds them, with why). The tree
 * breaks none; each rule refuses a crossing written to break it, so none can pass by matching
 * nothing. The vault also reads no environment (STYLE.md: settings are passed in).
 */
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import {
  IMPORT_RULES,
  type ImportSite,
  importViolations,
  importsOf,
  packageExports,
  sourceFiles,
} from './import-rules.js'

const root = join(import.meta.dirname, '..', '..')
const exportsOf = packageExports(root)
const trees = [
  'packages/vault/src',
  'packages/vault/test',
  'packages/vault/examples',
  'packages/consent-api/src',
  'packages/consent-api/test',
  'packages/web/src',
  'packages/web/test',
  'test',
]

/** One crossing per rule, each as a file would write it; every one must be refused by its rule. */
const CROSSINGS: Record<string, { file: string; text: string }> = {
  'vault-knows-no-http': {
    file: 'packages/vault/src/grants/grant.ts',
    text: "import { Hono } from 'hono'",
  },
  'layers-point-down': {
    file: 'packages/consent-api/src/app.ts',
    text: "import { webApp } from '@custos/web'",
  },
  'public-entry-only': {
    file: 'packages/web/test/pages/profile.test.ts',
    text: "import { createTestVault } from '../../../vault/test/support/test-vault.js'",
  },
  'route-areas-apart': {
    file: 'packages/consent-api/src/oauth/token.ts',
    text: "import { SESSION_COOKIE } from '../owner/session.js'",
  },
  'shipped-code-imports-no-tests': {
    file: 'packages/web/src/pages/profile.ts',
    text: "const fixture = await import('../../test/support/web-fixture.js')",
  },
}

describe('import rules', () => {
  it('no file in the tree breaks one', () => {
    const sites = trees
      .flatMap((dir) => sourceFiles(root, dir))
      .flatMap((file) => importsOf(file, readFileSync(join(root, file), 'utf8')))
    expect(sites.length).toBeGreaterThan(500)
    expect(importViolations(sites, exportsOf)).toEqual([])
  })

  it.each(IMPORT_RULES.map((rule) => [rule.name, rule] as const))(
    '%s refuses the crossing written to break it, and only that rule does',
    (name, rule) => {
      const crossing = CROSSINGS[name]
      expect(crossing, `write a crossing for ${name}`).toBeDefined()
      const sites = importsOf(crossing?.file as string, crossing?.text as string)
      expect(sites).toHaveLength(1)
      expect(importViolations(sites, exportsOf, [rule])).toEqual([
        `${name}: ${crossing?.file} → ${sites[0]?.specifier}`,
      ])
    },
  )

  it('allows what the layers allow: a package its own files, a lower package through a declared export, a test its own package', () => {
    const allowed: ImportSite[] = [
      ...importsOf(
        'packages/consent-api/src/oauth/token.ts',
        "import { createVault } from '@custos/vault'\nimport { problem } from '../problem.js'",
      ),
      ...importsOf(
        'packages/web/src/cli/config.ts',
        "import { Limits } from '@custos/consent-api/limits'",
      ),
      ...importsOf(
        'packages/vault/test/keys.test.ts',
        "import { x } from '../src/keys/key-custody.js'",
      ),
    ]
    expect(importViolations(allowed, exportsOf)).toEqual([])
    // A sub-path the package does not declare is a deep import too.
    expect(
      importViolations(
        importsOf('packages/web/src/x.ts', "import { y } from '@custos/vault/src/index.js'"),
        exportsOf,
      ),
    ).toEqual(['public-entry-only: packages/web/src/x.ts → @custos/vault/src/index.js'])
  })

  it('packages/vault/src reads no environment', () => {
    const offenders = sourceFiles(root, 'packages/vault/src').filter((file) =>
      /process\.env/.test(readFileSync(join(root, file), 'utf8')),
    )
    expect(offenders).toEqual([])
  })
})

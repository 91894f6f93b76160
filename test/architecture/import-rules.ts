/**
 * The import rules that keep the layers honest (issue 11; STYLE.md): each rule names the files it
 * governs and the imports it refuses, with why. `importViolations` reads what a file imports
 * (static, re-export and dynamic imports) and returns every import a rule refuses;
 * import-rules.test.ts runs it over the tree and proves, for each rule, that it can fail.
 */
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs'
import { dirname, join, normalize, relative, sep } from 'node:path'

/** The packages bottom-up: a package may import only those before it. */
export const LAYERS = ['vault', 'consent-api', 'web'] as const
type Layer = (typeof LAYERS)[number]

/** One import of one file: the specifier as written, and the repository path it reaches when relative. */
export interface ImportSite {
  /** Repository-relative path of the importing file, with `/` separators. */
  readonly file: string
  readonly specifier: string
  /** Repository-relative path of the imported file, for `./` and `../` specifiers. */
  readonly target?: string
}

export interface ImportRule {
  readonly name: string
  readonly why: string
  refuses(site: ImportSite, exportsOf: (pkg: Layer) => readonly string[]): boolean
}

/** The package a repository path belongs to, and whether it is shipped code (`src/`). */
function placeOf(path: string): { pkg?: Layer; area?: string } {
  const match = /^packages\/([a-z-]+)\/([a-z-]+)\//.exec(path)
  const pkg = LAYERS.find((layer) => layer === match?.[1])
  return pkg ? { pkg, ...(match?.[2] ? { area: match[2] } : {}) } : {}
}

/** The layer a `@custos/*` specifier names, and its sub-path (`.` for the main entry). */
function custosSpecifier(specifier: string): { pkg: Layer; subpath: string } | undefined {
  const match = /^@custos\/([a-z-]+)(\/.*)?$/.exec(specifier)
  const pkg = LAYERS.find((layer) => layer === match?.[1])
  return pkg ? { pkg, subpath: match?.[2] ? `.${match[2]}` : '.' } : undefined
}

/** The consent API's route areas: each serves its own clients and reaches shared code only below it. */
const ROUTE_AREAS = ['oauth', 'owner', 'resource'] as const

function routeArea(path: string | undefined): string | undefined {
  const match = /^packages\/consent-api\/src\/([a-z-]+)\//.exec(path ?? '')
  return ROUTE_AREAS.find((area) => area === match?.[1])
}

export const IMPORT_RULES: readonly ImportRule[] = [
  {
    name: 'vault-knows-no-http',
    why: 'the vault is a library any transport can embed (STYLE.md): it imports no HTTP framework or server module',
    refuses: (site) =>
      placeOf(site.file).pkg === 'vault' &&
      /^(hono|@hono\/.*|node:https?|https?|undici)$/.test(site.specifier),
  },
  {
    name: 'layers-point-down',
    why: 'vault ← consent-api ← web: nothing imports a package above its own, so there is no arrow back up and no cycle',
    refuses: (site) => {
      const from = placeOf(site.file).pkg
      const to =
        custosSpecifier(site.specifier)?.pkg ?? (site.target ? placeOf(site.target).pkg : undefined)
      return from !== undefined && to !== undefined && LAYERS.indexOf(to) > LAYERS.indexOf(from)
    },
  },
  {
    name: 'public-entry-only',
    why: 'a package reaches another only through its exports (`@custos/vault`, `@custos/vault/testing`, …), never by a path into its src/ or test/, so a move inside one package breaks no other',
    refuses: (site, exportsOf) => {
      const from = placeOf(site.file).pkg
      const named = custosSpecifier(site.specifier)
      if (named) return !exportsOf(named.pkg).includes(named.subpath)
      const to = site.target ? placeOf(site.target).pkg : undefined
      return from !== undefined && to !== undefined && to !== from
    },
  },
  {
    name: 'route-areas-apart',
    why: 'oauth/, owner/ and resource/ serve different clients; what they share lives below them (store/, db/, problems), so none imports another',
    refuses: (site) => {
      const from = routeArea(site.file)
      const to = routeArea(site.target)
      return from !== undefined && to !== undefined && from !== to
    },
  },
  {
    name: 'shipped-code-imports-no-tests',
    why: 'src/ is what npm installs; test/ is not shipped, so an import of it would break the installed package',
    refuses: (site) =>
      placeOf(site.file).area === 'src' &&
      !site.file.endsWith('.test.ts') &&
      site.target !== undefined &&
      placeOf(site.target).area === 'test',
  },
]

/** Static imports and re-exports start a line; dynamic imports may stand anywhere. */
const SPECIFIERS = [
  /^\s*(?:import|export)\s[^'"]*?\bfrom\s*['"]([^'"]+)['"]/gm,
  /^\s*import\s*['"]([^'"]+)['"]/gm,
  /\bimport\(\s*['"]([^'"]+)['"]\s*\)/g,
]

/** What `text` (the source of `file`) imports, with relative specifiers resolved to repository paths. */
export function importsOf(file: string, text: string): ImportSite[] {
  const sites: ImportSite[] = []
  for (const pattern of SPECIFIERS) {
    for (const match of text.matchAll(pattern)) {
      const specifier = match[1] as string
      const target = specifier.startsWith('.')
        ? normalize(join(dirname(file), specifier))
            .split(sep)
            .join('/')
        : undefined
      sites.push({ file, specifier, ...(target ? { target } : {}) })
    }
  }
  return sites
}

/** Every import in `sites` that a rule refuses, as `rule: file → specifier`. */
export function importViolations(
  sites: readonly ImportSite[],
  exportsOf: (pkg: Layer) => readonly string[],
  rules: readonly ImportRule[] = IMPORT_RULES,
): string[] {
  return sites.flatMap((site) =>
    rules
      .filter((rule) => rule.refuses(site, exportsOf))
      .map((rule) => `${rule.name}: ${site.file} → ${site.specifier}`),
  )
}

/** The export sub-paths each package's package.json declares. */
export function packageExports(root: string): (pkg: Layer) => readonly string[] {
  const byPackage = new Map(
    LAYERS.map((pkg) => {
      const manifest = JSON.parse(
        readFileSync(join(root, 'packages', pkg, 'package.json'), 'utf8'),
      ) as { exports: Record<string, unknown> }
      return [pkg, Object.keys(manifest.exports)] as const
    }),
  )
  return (pkg) => byPackage.get(pkg) ?? []
}

/** Every TypeScript or JavaScript file under `dir` (repository-relative paths), node_modules and dist left out. */
export function sourceFiles(root: string, dir: string): string[] {
  const full = join(root, dir)
  if (!existsSync(full)) return []
  return readdirSync(full).flatMap((name) => {
    if (name === 'node_modules' || name === 'dist') return []
    const path = join(full, name)
    if (statSync(path).isDirectory()) return sourceFiles(root, relative(root, path))
    return /\.(ts|mts|mjs|js)$/.test(name) ? [relative(root, path).split(sep).join('/')] : []
  })
}

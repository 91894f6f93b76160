/**
 * The two lists the OpenAPI tests compare: the operations the document describes, and the routes
 * hono actually registered (`app.routes`), both as `METHOD /path` with every path parameter
 * written `{}` — hono's `:id` and OpenAPI's `{id}` alike — so only the shape of a path counts.
 */
export interface RegisteredRoute {
  readonly method: string
  readonly path: string
}

/** `/owner/fields/:path{.+}` and `/owner/fields/{path}` → `/owner/fields/{}`; no trailing slash. */
export function pathShape(path: string): string {
  const shaped = path
    .replace(/:[A-Za-z0-9_]+(?:\{(?:[^{}]|\{[^}]*\})*\})?\??/g, '{}')
    .replace(/\{[A-Za-z0-9_]+\}/g, '{}')
  return shaped.length > 1 ? shaped.replace(/\/+$/, '') : shaped
}

/**
 * The handlers hono registered. `app.use` middleware is registered with the method `ALL` and is
 * not an endpoint; everything else is, including a handler on a wildcard path.
 */
export function servedOperations(routes: readonly RegisteredRoute[]): Set<string> {
  return new Set(
    routes
      .filter((r) => r.method !== 'ALL')
      .map((r) => `${r.method.toUpperCase()} ${pathShape(r.path)}`),
  )
}

export function documentedOperations(doc: {
  paths: Record<string, Record<string, unknown>>
}): Set<string> {
  return new Set(
    Object.entries(doc.paths).flatMap(([path, ops]) =>
      Object.keys(ops).map((method) => `${method.toUpperCase()} ${pathShape(path)}`),
    ),
  )
}

/** What is in `a` and not in `b`, sorted. */
export const missingFrom = (a: Set<string>, b: Set<string>): string[] =>
  [...a].filter((x) => !b.has(x)).sort()

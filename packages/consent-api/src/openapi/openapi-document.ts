import { z } from 'zod'

/**
 * The OpenAPI 3.1 document of the whole API, generated from the same zod schemas the routes
 * validate with (zod 4's `toJSONSchema`), so the document cannot drift from what is enforced.
 * Each route module describes itself with {@link RouteDoc}s; `routeDocs.ts` gathers them.
 *
 * What every route would otherwise repeat is derived here, so a new route cannot forget it:
 * the path parameters from the `{name}` templates of its path (OpenAPI 3.1 §4.8.12.1: each
 * template must have a `required` parameter `in: path`) and a unique `operationId` (§4.8.10.1)
 * from its method and path. Request schemas are the input side of the zod schemas (defaults
 * optional), response schemas the output side (what the server actually sends).
 */
export interface RouteDoc {
  readonly method: 'get' | 'post' | 'put' | 'patch' | 'delete'
  /** The path, with OpenAPI `{name}` templates where hono has `:name`. */
  readonly path: string
  readonly tag: 'OAuth' | 'Discovery' | 'Vendor resources' | 'Owner' | 'Operations'
  readonly summary: string
  readonly description?: string
  /** The request body: its media type and schema. */
  readonly body?: {
    readonly type:
      | 'application/json'
      | 'application/x-www-form-urlencoded'
      | 'text/csv'
      | 'application/octet-stream'
      | 'application/secevent+jwt'
    readonly schema: z.ZodType
    /** Other media types the route takes as text or bytes, each with what it holds. */
    readonly alternatives?: Readonly<Record<string, string>>
  }
  readonly query?: z.ZodObject
  /** Descriptions of the `{name}` path parameters; the parameters themselves come from the path. */
  readonly pathParams?: Readonly<Record<string, string>>
  /** `bearer` for vendor resources (Bearer or DPoP), `client` for client authentication, `owner` for the session cookie. */
  readonly auth?: 'bearer' | 'client' | 'owner'
  readonly responses: Readonly<
    Record<
      string,
      { readonly description: string; readonly schema?: z.ZodType; readonly type?: string }
    >
  >
}

/** RFC 9457 problem details, as problem.ts writes them. */
export const Problem = z.object({
  type: z.string(),
  title: z.string(),
  status: z.number().int(),
  code: z.string(),
  detail: z.string().optional(),
  issues: z.array(z.object({ path: z.string(), message: z.string() })).optional(),
})

const TAGS: Readonly<Record<RouteDoc['tag'], string>> = {
  OAuth: 'The OAuth 2.0 authorization server vendors use (form bodies; RFC 6749 §5.2 errors).',
  Discovery: 'Metadata documents and the public signing key.',
  'Vendor resources': "What a vendor's access token lets it read or append.",
  Owner: "The vault owner's API (session cookie and X-CSRF-Token; RFC 9457 problem+json errors).",
  Operations: 'Liveness, readiness and this document.',
}

const jsonSchema = (schema: z.ZodType, io: 'input' | 'output') => {
  const { $schema: _ignored, ...rest } = z.toJSONSchema(schema, {
    io,
    unrepresentable: 'any',
  }) as Record<string, unknown>
  return rest
}

const TEMPLATE = /\{([^}]+)\}/g

/** The `{name}` templates of a path, in order. */
export function pathTemplates(path: string): string[] {
  return [...path.matchAll(TEMPLATE)].map((m) => m[1] as string)
}

/**
 * `get /owner/grants/{id}/receipt` → `getOwnerGrantsByIdReceipt`: unique as long as method and
 * path are (the document keys operations by them), and URL-safe (letters and digits only).
 */
export function operationIdOf(method: string, path: string): string {
  const words = path
    .split('/')
    .filter(Boolean)
    .flatMap((segment) => {
      const template = /^\{(.+)\}$/.exec(segment)
      return template
        ? ['by', ...(template[1] as string).split(/[^A-Za-z0-9]+/)]
        : segment.split(/[^A-Za-z0-9]+/)
    })
    .filter(Boolean)
  return [method.toLowerCase(), ...words.map((w) => w[0]!.toUpperCase() + w.slice(1))].join('')
}

export function openApiDocument(
  issuer: string,
  routes: readonly RouteDoc[],
): Record<string, unknown> {
  const paths: Record<string, Record<string, unknown>> = {}
  for (const route of routes) {
    const parameters = [
      ...pathTemplates(route.path).map((name) => ({
        name,
        in: 'path',
        required: true,
        ...(route.pathParams?.[name] ? { description: route.pathParams[name] } : {}),
        schema: { type: 'string' },
      })),
      ...Object.entries(route.query?.shape ?? {}).map(([name, schema]) => ({
        name,
        in: 'query',
        required: !(schema as z.ZodType).safeParse(undefined).success,
        schema: jsonSchema(schema as z.ZodType, 'input'),
      })),
    ]
    const operation: Record<string, unknown> = {
      operationId: operationIdOf(route.method, route.path),
      tags: [route.tag],
      summary: route.summary,
      ...(route.description ? { description: route.description } : {}),
      ...(route.auth
        ? {
            security: [
              route.auth === 'bearer'
                ? { bearer: [] }
                : route.auth === 'client'
                  ? { clientBasic: [] }
                  : { ownerSession: [] },
            ],
          }
        : { security: [] }),
      ...(parameters.length > 0 ? { parameters } : {}),
      ...(route.body
        ? {
            requestBody: {
              required: true,
              content: {
                [route.body.type]: { schema: jsonSchema(route.body.schema, 'input') },
                ...Object.fromEntries(
                  Object.entries(route.body.alternatives ?? {}).map(([type, description]) => [
                    type,
                    { schema: { type: 'string', description } },
                  ]),
                ),
              },
            },
          }
        : {}),
      responses: Object.fromEntries(
        Object.entries(route.responses).map(([status, r]) => [
          status,
          {
            description: r.description,
            ...(r.schema
              ? {
                  content: {
                    [r.type ?? 'application/json']: { schema: jsonSchema(r.schema, 'output') },
                  },
                }
              : Number(status) >= 400 && !r.type
                ? {
                    content: {
                      'application/problem+json': {
                        schema: { $ref: '#/components/schemas/Problem' },
                      },
                    },
                  }
                : r.type
                  ? { content: { [r.type]: {} } }
                  : {}),
          },
        ]),
      ),
    }
    paths[route.path] = { ...(paths[route.path] ?? {}), [route.method]: operation }
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'Custos consent API',
      version: '1',
      description:
        'OAuth 2.0 authorization server (RFC 6749, 7636, 7591, 8414, 9126, 9396, 9449, 7009, 7662), the vendor resource API and the owner API of a Custos personal data vault.',
    },
    servers: [{ url: issuer }],
    tags: Object.entries(TAGS).map(([name, description]) => ({ name, description })),
    paths,
    components: {
      securitySchemes: {
        bearer: {
          type: 'http',
          scheme: 'bearer',
          description:
            'An access token in the Authorization header (Bearer, or DPoP with a DPoP proof header, RFC 9449).',
        },
        clientBasic: {
          type: 'http',
          scheme: 'basic',
          description:
            'client_secret_basic; client_secret_post and private_key_jwt are accepted in the form too.',
        },
        ownerSession: { type: 'apiKey', in: 'cookie', name: 'custos_session' },
      },
      schemas: { Problem: jsonSchema(Problem, 'output') },
    },
  }
}

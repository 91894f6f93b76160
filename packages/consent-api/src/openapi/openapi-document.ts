import { z } from 'zod'

/**
 * The OpenAPI 3.1 document of the whole API, generated from the same zod schemas the routes
 * validate with (zod 4's `toJSONSchema`), so the document cannot drift from what is enforced.
 * Each route module describes itself with {@link RouteDoc}s; `routeDocs.ts` gathers them.
 */
export interface RouteDoc {
  readonly method: 'get' | 'post' | 'put' | 'patch' | 'delete'
  readonly path: string
  readonly tag: 'OAuth' | 'Discovery' | 'Vendor resources' | 'Owner' | 'Operations'
  readonly summary: string
  readonly description?: string
  /** The request body: its media type and schema. */
  readonly body?: { readonly type: 'application/json' | 'application/x-www-form-urlencoded'; readonly schema: z.ZodType }
  readonly query?: z.ZodObject
  /** `bearer` for vendor resources (Bearer or DPoP), `client` for client authentication, `owner` for the session cookie. */
  readonly auth?: 'bearer' | 'client' | 'owner'
  readonly responses: Readonly<Record<string, { readonly description: string; readonly schema?: z.ZodType; readonly type?: string }>>
}

const PROBLEM = z.object({
  type: z.string(),
  title: z.string(),
  status: z.number().int(),
  code: z.string(),
  detail: z.string().optional(),
  issues: z.array(z.object({ path: z.string(), message: z.string() })).optional(),
})

const jsonSchema = (schema: z.ZodType) => {
  const { $schema: _ignored, ...rest } = z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }) as Record<string, unknown>
  return rest
}

export function openApiDocument(issuer: string, routes: readonly RouteDoc[]): Record<string, unknown> {
  const paths: Record<string, Record<string, unknown>> = {}
  for (const route of routes) {
    const operation: Record<string, unknown> = {
      tags: [route.tag],
      summary: route.summary,
      ...(route.description ? { description: route.description } : {}),
      ...(route.auth ? { security: [route.auth === 'bearer' ? { bearer: [] } : route.auth === 'client' ? { clientBasic: [] } : { ownerSession: [] }] } : { security: [] }),
      ...(route.query
        ? {
            parameters: Object.entries(route.query.shape).map(([name, schema]) => ({
              name,
              in: 'query',
              required: !(schema as z.ZodType).safeParse(undefined).success,
              schema: jsonSchema(schema as z.ZodType),
            })),
          }
        : {}),
      ...(route.body ? { requestBody: { required: true, content: { [route.body.type]: { schema: jsonSchema(route.body.schema) } } } } : {}),
      responses: Object.fromEntries(
        Object.entries(route.responses).map(([status, r]) => [
          status,
          {
            description: r.description,
            ...(r.schema
              ? { content: { [r.type ?? 'application/json']: { schema: jsonSchema(r.schema) } } }
              : Number(status) >= 400 && !r.type
                ? { content: { 'application/problem+json': { schema: jsonSchema(PROBLEM) } } }
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
    paths,
    components: {
      securitySchemes: {
        bearer: { type: 'http', scheme: 'bearer', description: 'An access token in the Authorization header (Bearer, or DPoP with a DPoP proof header, RFC 9449).' },
        clientBasic: { type: 'http', scheme: 'basic', description: 'client_secret_basic; client_secret_post and private_key_jwt are accepted in the form too.' },
        ownerSession: { type: 'apiKey', in: 'cookie', name: 'custos_session' },
      },
      schemas: { Problem: jsonSchema(PROBLEM) },
    },
  }
}

import { Hono } from 'hono'
import { z } from 'zod'
import { CUSTOM_PATH, type FieldPath, VOCABULARY, isFieldPath, schemaFor } from '@custos/vault'
import type { AppContext } from '../app-context.js'
import type { OwnerActions } from './owner-actions.js'
import { type OwnerEnv, ownerGuard } from './owner-auth.js'
import { apiProblem } from '../problem.js'
import { RequestProblem } from './owner-errors.js'
import { jsonBody } from './owner-input.js'

/** `PUT /owner/fields/:path`: the new value (the vault validates it against the path's schema). */
export const FieldBody = z
  .object({ value: z.unknown() })
  .strict()
  .refine((b) => b.value !== undefined, { message: 'value is required', path: ['value'] })

const describe = (path: string) =>
  Object.hasOwn(VOCABULARY, path)
    ? {
        label: VOCABULARY[path as keyof typeof VOCABULARY].label,
        group: VOCABULARY[path as keyof typeof VOCABULARY].group,
      }
    : { label: path, group: 'custom' }

function fieldPath(raw: string): FieldPath {
  // Checked here too, so an unknown path is refused before the body is read.
  if (raw.length > 400 || !isFieldPath(raw)) {
    throw new RequestProblem(
      apiProblem('ERR_UNKNOWN_PATH', 'Unknown field path', [
        { path: 'path', message: 'not a field of the vocabulary or a custom.* path' },
      ]),
    )
  }
  return raw
}

const jsonSchemaOf = (schema: z.ZodType) => {
  const { $schema: _ignored, ...rest } = z.toJSONSchema(schema, {
    io: 'input',
    unrepresentable: 'any',
  }) as Record<string, unknown>
  return rest
}

/** The vocabulary as the web app renders forms from it; built once, it never changes at run time. */
let vocabulary: unknown
function vocabularyView(): unknown {
  vocabulary ??= {
    fields: Object.entries(VOCABULARY).map(([path, def]) => ({
      path,
      label: def.label,
      group: def.group,
      schema: jsonSchemaOf(def.schema),
    })),
    custom: {
      pattern: CUSTOM_PATH.source,
      schema: jsonSchemaOf(schemaFor('custom.example') as z.ZodType),
    },
  }
  return vocabulary
}

/**
 * Profile fields: `GET /owner/fields` (every stored field with its vocabulary label and group),
 * `PUT /owner/fields/:path` `{ value }`, `DELETE /owner/fields/:path`.
 */
export function fieldRoutes(app: AppContext, actions: OwnerActions): Hono<OwnerEnv> {
  const routes = new Hono<OwnerEnv>()
  routes.use('*', ownerGuard(app))

  routes.get('/', async (c) => {
    const fields = await actions.read.fields.list()
    return c.json({
      fields: fields.map((f) => ({
        path: f.path,
        value: f.value,
        updatedAt: f.updatedAt,
        ...describe(f.path),
      })),
    })
  })

  routes.put('/:path', async (c) => {
    const path = fieldPath(c.req.param('path'))
    const { value } = await jsonBody(c, FieldBody)
    await actions.fields.set(path, value)
    return c.json({ path, value: await actions.read.fields.get(path), ...describe(path) })
  })

  routes.delete('/:path', async (c) => {
    await actions.fields.delete(fieldPath(c.req.param('path')))
    return c.body(null, 204)
  })

  return routes
}

/** `GET /owner/vocabulary`: every known path with its label, group and JSON Schema, and the custom-path rule. */
export function vocabularyRoutes(app: AppContext): Hono<OwnerEnv> {
  const routes = new Hono<OwnerEnv>()
  routes.use('*', ownerGuard(app))
  routes.get('/', (c) => c.json(vocabularyView()))
  return routes
}

/**
 * Checks real responses against the OpenAPI document the app serves: the status must be one the
 * operation documents, and where the document gives a media type and a schema for it, the
 * response's Content-Type must be that type and its JSON body must validate (ajv, JSON Schema
 * 2020-12, the dialect of OpenAPI 3.1 §4.8.24). An answer whose documentation names no content
 * is checked for its status only: the document is silent there, not wrong.
 *
 * {@link watchResponses} wraps an app's `request`, so the fixtures' own helpers (which call
 * `app.request`) are checked without being rewritten.
 */
import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js'
import addFormatsModule from 'ajv-formats'

interface MediaType {
  readonly schema?: Record<string, unknown>
}
interface Operation {
  readonly responses: Record<string, { readonly content?: Record<string, MediaType> }>
}
export interface OpenApiDocument {
  readonly paths: Record<string, Record<string, Operation>>
  readonly components?: { readonly schemas?: Record<string, unknown> }
}

// ajv-formats is CommonJS with a default export; under NodeNext its type is the module object.
const addFormats = addFormatsModule as unknown as (ajv: Ajv2020) => Ajv2020

export class ResponseConformance {
  readonly #doc: OpenApiDocument
  readonly #ajv: Ajv2020
  readonly #validators = new Map<string, ValidateFunction>()
  readonly #templates: { readonly template: string; readonly regex: RegExp }[]
  /** What did not conform, one line each. */
  readonly problems: string[] = []
  /** `METHOD template status` of every checked response. */
  readonly checked = new Set<string>()

  constructor(doc: OpenApiDocument) {
    this.#doc = doc
    this.#ajv = addFormats(new Ajv2020({ strict: false, allErrors: true }))
    // The document's own components, so `#/components/schemas/…` references resolve.
    this.#ajv.addSchema({ $id: 'openapi:components', $defs: doc.components?.schemas ?? {} })
    this.#templates = Object.keys(doc.paths).map((template) => ({
      template,
      regex: new RegExp(
        `^${template.replace(/[.*+?^$()|[\]\\]/g, '\\$&').replace(/\{[^}]+\}/g, '[^/]+')}$`,
      ),
    }))
  }

  /** The documented path template a concrete path falls under (literal paths win over templates). */
  template(pathname: string): string | undefined {
    const matches = this.#templates.filter((t) => t.regex.test(pathname))
    return (matches.find((t) => !t.template.includes('{')) ?? matches[0])?.template
  }

  async check(method: string, url: string, res: Response): Promise<void> {
    const pathname = new URL(url, 'http://localhost').pathname
    const m = method.toLowerCase()
    if (m === 'head' || m === 'options') return
    const template = this.template(pathname)
    const operation = template === undefined ? undefined : this.#doc.paths[template]?.[m]
    if (template === undefined || operation === undefined) {
      this.problems.push(
        `${method} ${pathname}: no such operation in the document (answered ${res.status})`,
      )
      return
    }
    const key = `${method.toUpperCase()} ${template} ${res.status}`
    this.checked.add(key)
    const documented = operation.responses[String(res.status)] ?? operation.responses.default
    if (!documented) {
      this.problems.push(`${key}: status not documented`)
      return
    }
    if (!documented.content || Object.keys(documented.content).length === 0) return
    const type = (res.headers.get('content-type') ?? '').split(';')[0]?.trim().toLowerCase() ?? ''
    const media = documented.content[type]
    if (!media) {
      this.problems.push(
        `${key}: Content-Type ${type || '(none)'}, documented ${Object.keys(documented.content).join(', ')}`,
      )
      return
    }
    if (!media.schema || !(type === 'application/json' || type.endsWith('+json'))) return
    const body: unknown = await res.clone().json()
    const validate = this.#validator(`${key} ${type}`, media.schema)
    if (!validate(body)) {
      this.problems.push(
        `${key}: body does not match its schema: ${this.#ajv.errorsText(validate.errors, { separator: '; ' })}`,
      )
    }
  }

  #validator(key: string, schema: Record<string, unknown>): ValidateFunction {
    let validate = this.#validators.get(key)
    if (!validate) {
      const rebased = JSON.parse(
        JSON.stringify(schema).replaceAll('"#/components/schemas/', '"openapi:components#/$defs/'),
      ) as Record<string, unknown>
      validate = this.#ajv.compile(rebased)
      this.#validators.set(key, validate)
    }
    return validate
  }
}

interface RequestingApp {
  request: (
    input: string | Request | URL,
    init?: RequestInit,
    ...rest: never[]
  ) => Response | Promise<Response>
}

/**
 * Makes every `app.request` also check its response against the document; returns the checker,
 * whose `problems` the test asserts empty at the end.
 */
export function watchResponses(app: RequestingApp, doc: OpenApiDocument): ResponseConformance {
  const conformance = new ResponseConformance(doc)
  const request = app.request.bind(app)
  app.request = async (input, init, ...rest) => {
    const res = await request(input, init, ...rest)
    const url = input instanceof Request ? input.url : String(input)
    const method = input instanceof Request ? input.method : (init?.method ?? 'GET')
    await conformance.check(method, url, res)
    return res
  }
  return conformance
}

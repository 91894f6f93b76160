import { z } from 'zod'
import { agreementOf } from './roster.js'

/**
 * A vendor's own MyTerms discovery document (IEEE 7012: the second party publishes which
 * agreements it accepts), at the `myterms_uri` it registered. The shape is the tinyMyTerms one
 * (`dmarti/tinyMyTerms:templates/myterms.json`) — the same as the owner's own
 * `/.well-known/myterms` (terms/myterms-discovery.ts):
 *
 * ```json
 * { "effective_date": "Tue, 01 Dec 2026 00:00:00 GMT",
 *   "agreements": [{ "id": "SD-BASE", "url": "https://myterms.info/agreements/SD-BASE" }],
 *   "tos_url": "https://shop.example/terms" }
 * ```
 *
 * Only `agreements[].id` is read. Unknown members (the template's `tos`, the HTML of the terms
 * page) are ignored, as are ids this vault's roster does not hold (see {@link acceptedIn}).
 */
export const VendorTermsDocument = z.object({
  effective_date: z.string().max(200).optional(),
  agreements: z.array(z.object({ id: z.string().max(64), url: z.string().max(2000).optional() })),
  tos_url: z.string().max(2000).nullable().optional(),
})
export type VendorTermsDocument = z.output<typeof VendorTermsDocument>

/** How long the whole fetch — connection, headers and body — may take (as for a `jwks_uri`). */
export const FETCH_TIMEOUT_MS = 5000
/**
 * The most of a document read. The tinyMyTerms template embeds the HTML of the vendor's terms
 * page (`tos`), so a real document may be tens of KiB; anything past this is no discovery document.
 */
export const MAX_DOCUMENT_BYTES = 256 * 1024
/** The most agreements taken from one document (as `myterms_accepted` allows). */
const MAX_ACCEPTED = 20

/** Why a document could not be used; stable codes for callers and tests. */
export type VendorTermsErrorCode =
  | 'ERR_MYTERMS_UNREACHABLE'
  | 'ERR_MYTERMS_REDIRECT'
  | 'ERR_MYTERMS_TOO_LARGE'
  | 'ERR_MYTERMS_MALFORMED'

/** Fixed words for each code: what the vendor is told, never anything its server sent. */
const DESCRIPTIONS: Record<VendorTermsErrorCode, string> = {
  ERR_MYTERMS_UNREACHABLE:
    'the MyTerms document could not be fetched (no answer within 5 seconds, or a status other than 200)',
  ERR_MYTERMS_REDIRECT: 'the MyTerms document answered with a redirect; redirects are not followed',
  ERR_MYTERMS_TOO_LARGE: 'the MyTerms document is larger than 256 KiB',
  ERR_MYTERMS_MALFORMED:
    'the MyTerms document is not a JSON object with an agreements array of { id, url }',
}

/** A vendor's MyTerms document could not be fetched or read (a domain error: untrusted input). */
export class VendorTermsError extends Error {
  readonly code: VendorTermsErrorCode
  constructor(code: VendorTermsErrorCode) {
    super(DESCRIPTIONS[code])
    this.name = 'VendorTermsError'
    this.code = code
  }
}

/**
 * The roster agreements a document says the vendor accepts, in its order, each once, at most 20.
 * An id the roster does not hold is ignored, not refused: the document is served to every
 * person's agent, not written for this vault, and the roster may have grown past the one shipped
 * here. Ignoring it binds the vendor to nothing — the list only chooses which of the owner's
 * agreements is proffered; the vendor still answers that proffer itself. Each `url` is
 * informative: the record names the roster's own URL and content hash for the id.
 */
export function acceptedIn(doc: VendorTermsDocument): string[] {
  const ids = doc.agreements.map((a) => a.id).filter((id) => agreementOf(id) !== undefined)
  return [...new Set(ids)].slice(0, MAX_ACCEPTED)
}

export interface FetchOptions {
  /** The HTTP client (tests pass their own); the platform's fetch by default. */
  readonly fetch?: typeof fetch
  readonly timeoutMs?: number
  readonly maxBytes?: number
}

/**
 * Fetches and parses the document at `uri` — a vendor's URL, so bounded like every call to a
 * stranger (store/remote-key-sets.ts, signals/signal-delivery.ts): one timeout for the whole
 * exchange, no redirect followed (a 3xx is refused: the registered URL is the one vouched for),
 * only a 200, the body read to at most {@link MAX_DOCUMENT_BYTES}, strict UTF-8 and JSON.
 * Throws {@link VendorTermsError}; its message never repeats what the server sent.
 *
 * @example
 * const doc = await fetchVendorTermsDocument('https://shop.example/.well-known/myterms')
 * acceptedIn(doc) // ['SD-BASE']
 */
export async function fetchVendorTermsDocument(
  uri: string,
  options: FetchOptions = {},
): Promise<VendorTermsDocument> {
  const maxBytes = options.maxBytes ?? MAX_DOCUMENT_BYTES
  const signal = AbortSignal.timeout(options.timeoutMs ?? FETCH_TIMEOUT_MS)
  let text: string
  try {
    const res = await (options.fetch ?? fetch)(uri, {
      method: 'GET',
      redirect: 'manual',
      signal,
      headers: { accept: 'application/json' },
    })
    if (res.status >= 300 && res.status < 400) {
      await res.body?.cancel()
      throw new VendorTermsError('ERR_MYTERMS_REDIRECT')
    }
    if (res.status !== 200) {
      await res.body?.cancel()
      throw new VendorTermsError('ERR_MYTERMS_UNREACHABLE')
    }
    text = await boundedText(res, maxBytes)
  } catch (err) {
    if (err instanceof VendorTermsError) throw err
    // A network failure, a refused connection, the timeout (also while the body streams).
    throw new VendorTermsError('ERR_MYTERMS_UNREACHABLE')
  }
  let json: unknown
  try {
    json = JSON.parse(text)
  } catch {
    throw new VendorTermsError('ERR_MYTERMS_MALFORMED')
  }
  const parsed = VendorTermsDocument.safeParse(json)
  if (!parsed.success) throw new VendorTermsError('ERR_MYTERMS_MALFORMED')
  return parsed.data
}

/** The body as UTF-8, refused once it passes `maxBytes` (by its declared length at once). */
async function boundedText(res: Response, maxBytes: number): Promise<string> {
  const declared = Number(res.headers.get('content-length') ?? Number.NaN)
  if (declared > maxBytes) {
    await res.body?.cancel()
    throw new VendorTermsError('ERR_MYTERMS_TOO_LARGE')
  }
  const chunks: Uint8Array[] = []
  let size = 0
  if (res.body) {
    const reader = res.body.getReader()
    for (;;) {
      const { done, value } = await reader.read()
      if (done) break
      size += value.byteLength
      if (size > maxBytes) {
        await reader.cancel()
        throw new VendorTermsError('ERR_MYTERMS_TOO_LARGE')
      }
      chunks.push(value)
    }
  }
  const bytes = new Uint8Array(size)
  let at = 0
  for (const chunk of chunks) {
    bytes.set(chunk, at)
    at += chunk.byteLength
  }
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes)
  } catch {
    throw new VendorTermsError('ERR_MYTERMS_MALFORMED')
  }
}

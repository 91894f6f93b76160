/**
 * Issue 11 (one error table at the HTTP edge): every row of `api-problems.ts` walked through the
 * translators that answer it — RFC 9457 problem+json for problem codes, RFC 6749 §5.2 JSON and
 * RFC 6750 §3 challenges for OAuth codes — and the one zod translator checked for echoes.
 * test/error-table.test.ts reaches the same rows through the real app where a request can.
 */
import { readFileSync, readdirSync } from 'node:fs'
import { join } from 'node:path'
import { type Context, Hono } from 'hono'
import { describe, expect, it } from 'vitest'
import { z } from 'zod'
import { VaultError } from '@custos/vault'
import type { AppContext } from './app-context.js'
import {
  OAUTH_ERRORS,
  type OAuthErrorCode,
  PROBLEMS,
  type ProblemCode,
  VAULT_PROBLEM_CODES,
  problemRow,
  problemType,
} from './api-problems.js'
import { RateLimitedError } from './limits/rate-limiter.js'
import { OAuthError, oauthErrorResponse } from './oauth/oauth-error.js'
import { apiProblem, errorAnswer, errorResponse, problemResponse, zodIssues } from './problem.js'
import { ResourceAuthError, resourceAuthErrorResponse } from './resource/resource-error.js'

const CODES = Object.keys(PROBLEMS) as ProblemCode[]
const OAUTH_CODES = Object.keys(OAUTH_ERRORS) as OAuthErrorCode[]
/** A vault message is fixed text; this one proves the title is the error's own where the row allows it. */
const VAULT_MESSAGE = 'A fixed vault message'

/** One route that answers whatever `answer` returns, so each row goes through hono's real response path. */
async function answered(answer: (c: Context) => Response): Promise<Response> {
  const app = new Hono()
  app.get('/', (c) => answer(c))
  return app.request('/')
}

async function expectProblem(res: Response, code: ProblemCode, title: string): Promise<void> {
  const row = problemRow(code)
  expect(res.status).toBe(row.status)
  expect(res.headers.get('content-type')).toBe('application/problem+json')
  expect(res.headers.get('cache-control')).toBe('no-store')
  // RFC 9457 §3.1: type, title and status are the members every problem carries; status repeats the response's.
  expect(await res.json()).toMatchObject({
    type: problemType(code),
    title,
    status: row.status,
    code,
  })
}

describe('the problem table', () => {
  it('has a 4xx or 5xx status, a non-empty title and its own type URI on every row', () => {
    for (const code of CODES) {
      const row = problemRow(code)
      expect(row.status, code).toBeGreaterThanOrEqual(400)
      expect(row.status, code).toBeLessThan(600)
      expect(row.title.trim(), code).not.toBe('')
      // 503s say when to come back (RFC 9110 §15.6.4, §10.2.3).
      if (row.status === 503) expect(row.retryAfterSeconds, code).toBeGreaterThan(0)
      // Opaque rows are failures of the server, never of the request.
      if (row.opaque) expect(row.status, code).toBeGreaterThanOrEqual(500)
    }
    const types = CODES.map(problemType)
    expect(new Set(types).size).toBe(types.length)
    expect(types.every((t) => new URL(t).protocol === 'https:')).toBe(true)
  })

  it('keeps the vault half and the API half apart', () => {
    const api = CODES.filter((c) => !(VAULT_PROBLEM_CODES as readonly string[]).includes(c))
    expect(VAULT_PROBLEM_CODES.length + api.length).toBe(CODES.length)
    expect(api.every((c) => c.startsWith('ERR_'))).toBe(true)
  })

  it('renders every row as RFC 9457 problem+json', async () => {
    for (const code of CODES)
      await expectProblem(
        await answered((c) => problemResponse(c, apiProblem(code))),
        code,
        problemRow(code).title,
      )
  })

  it('answers every vault code through app.onError as its row says: status, title, Retry-After', async () => {
    for (const code of VAULT_PROBLEM_CODES) {
      const row = problemRow(code)
      const res = await answered((c) => errorResponse(c, new VaultError(code, VAULT_MESSAGE)))
      await expectProblem(res, code, row.opaque ? row.title : VAULT_MESSAGE)
      expect(res.headers.get('retry-after'), code).toBe(
        row.retryAfterSeconds === undefined ? null : String(row.retryAfterSeconds),
      )
    }
  })

  it('answers a rate limit, a storage fault and anything else from their rows', async () => {
    const limited = await answered((c) => errorResponse(c, new RateLimitedError(7)))
    await expectProblem(limited, 'ERR_RATE_LIMITED', PROBLEMS.ERR_RATE_LIMITED.title)
    expect(limited.headers.get('retry-after')).toBe('7')
    const storage = await answered((c) =>
      errorResponse(c, Object.assign(new Error('disk I/O error'), { code: 'SQLITE_IOERR' })),
    )
    await expectProblem(storage, 'ERR_STORAGE_UNAVAILABLE', PROBLEMS.ERR_STORAGE_UNAVAILABLE.title)
    expect(storage.headers.get('retry-after')).toBe(
      String(PROBLEMS.ERR_STORAGE_UNAVAILABLE.retryAfterSeconds),
    )
    // A vault 500 caused by the database being away is the storage row, not the vault's.
    const wrapped = errorAnswer(
      new VaultError('ERR_INTEGRITY', VAULT_MESSAGE, {
        cause: Object.assign(new Error('x'), { code: 'SQLITE_BUSY' }),
      }),
    )
    expect(wrapped).toMatchObject({
      problem: { code: 'ERR_STORAGE_UNAVAILABLE' },
      unexpected: false,
    })
    const other = await answered((c) => errorResponse(c, new TypeError('secret detail')))
    await expectProblem(other, 'ERR_INTERNAL', 'Internal error')
    expect(errorAnswer(new TypeError('x')).unexpected).toBe(true)
  })

  it('answers a code no row knows as an opaque 500', () => {
    const unknown = errorAnswer(
      new VaultError('ERR_FROM_A_NEWER_VAULT' as never, 'detail that must not leave'),
    )
    expect(unknown.problem).toMatchObject({ status: 500, title: 'Internal error' })
    expect(unknown.unexpected).toBe(true)
  })
})

describe('the OAuth error table', () => {
  const app = { config: { issuer: 'https://vault.example' } } as AppContext

  it('gives every code a shape, and every status is 4xx or 5xx', () => {
    for (const code of OAUTH_CODES) {
      const row: { json?: number; challenge?: number; redirect?: true } = OAUTH_ERRORS[code]
      expect(
        row.json !== undefined || row.challenge !== undefined || row.redirect === true,
        code,
      ).toBe(true)
      for (const status of [row.json, row.challenge])
        if (status !== undefined) expect(status >= 400 && status < 600, code).toBe(true)
    }
  })

  it('renders every JSON code as RFC 6749 §5.2 error JSON with its row status', async () => {
    for (const code of OAUTH_CODES) {
      const status = (OAUTH_ERRORS[code] as { json?: number }).json
      if (status === undefined) continue
      const res = await answered((c) =>
        oauthErrorResponse(c, new OAuthError(code as never, 'Fixed text')),
      )
      expect(res.status, code).toBe(status)
      expect(res.headers.get('cache-control')).toBe('no-store')
      expect(await res.json()).toEqual({ error: code, error_description: 'Fixed text' })
    }
  })

  it('renders every challenge code as an RFC 6750 §3 challenge with its row status', async () => {
    for (const code of OAUTH_CODES) {
      const status = (OAUTH_ERRORS[code] as { challenge?: number }).challenge
      if (status === undefined) continue
      const res = await answered((c) =>
        resourceAuthErrorResponse(
          app,
          c,
          new ResourceAuthError(code as never, 'Fixed text', 'Bearer'),
        ),
      )
      expect(res.status, code).toBe(status)
      expect(res.headers.get('www-authenticate')).toMatch(
        new RegExp(`^Bearer realm="custos", error="${code}", error_description="Fixed text"`),
      )
      expect(await res.json()).toEqual({ error: code, error_description: 'Fixed text' })
    }
  })

  it('maps every vault code with a bearer answer to a challenge code', () => {
    for (const code of VAULT_PROBLEM_CODES) {
      const bearer = problemRow(code).bearer
      if (bearer) expect(OAUTH_ERRORS[bearer.error], code).toHaveProperty('challenge')
    }
    expect(problemRow('ERR_GRANT_SCOPE').bearer?.error).toBe('insufficient_scope')
    expect(problemRow('ERR_GRANT_REVOKED').bearer?.error).toBe('invalid_token')
  })
})

describe('the one zod translator', () => {
  const SECRET = 'sk_live_4eC39HqLyjWDarjtT1zdp7dc'
  const Schema = z.strictObject({
    email: z.email(),
    kind: z.enum(['a', 'b']),
    code: z.string().regex(/^[0-9]{4}$/),
    note: z.string().max(5),
    count: z.number(),
    sizes: z.record(z.string().regex(/^[a-z]+$/), z.string().max(3)),
  })

  it('names where the input is wrong in fixed words, never the input itself', () => {
    const input = {
      email: SECRET,
      kind: SECRET,
      code: SECRET,
      note: SECRET,
      count: SECRET,
      sizes: { [SECRET]: SECRET, shoe: SECRET },
      [SECRET]: SECRET,
    }
    const parsed = Schema.safeParse(input)
    expect(parsed.success).toBe(false)
    const issues = zodIssues(parsed.error as z.ZodError, { prefix: 'body' })
    expect(issues.length).toBeGreaterThanOrEqual(6)
    expect(JSON.stringify(issues)).not.toContain(SECRET)
    expect(JSON.stringify(issues)).not.toMatch(/sk_live/)
    expect(issues.every((i) => i.path.startsWith('body'))).toBe(true)
  })

  it('caps the number of issues', () => {
    const parsed = z.array(z.number()).safeParse(Array.from({ length: 80 }, () => SECRET))
    expect(zodIssues(parsed.error as z.ZodError)).toHaveLength(50)
    expect(zodIssues(parsed.error as z.ZodError, { max: 20 })).toHaveLength(20)
  })
})

describe('the call sites', () => {
  /** Every source file of the API and the pages, but the table itself and tests. */
  function sources(dir: string): string[] {
    return readdirSync(dir, { withFileTypes: true, recursive: true })
      .filter((e) => e.isFile() && e.name.endsWith('.ts') && !e.name.endsWith('.test.ts'))
      .map((e) => join(e.parentPath, e.name))
  }

  it('write no status of their own beside a problem code: the table gives it', () => {
    const here = new URL('.', import.meta.url).pathname
    const files = [...sources(here), ...sources(join(here, '../../web/src'))].filter(
      (f) => !f.endsWith('api-problems.ts'),
    )
    const inline = files.filter((f) =>
      /status:\s*[45]\d\d\s*,\s*code:\s*'ERR_|new OAuthError\([^)]*,\s*[45]\d\d\b/.test(
        readFileSync(f, 'utf8'),
      ),
    )
    expect(inline).toEqual([])
  })
})

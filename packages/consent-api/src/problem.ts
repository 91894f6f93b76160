import type { Context } from 'hono'
import type { ContentfulStatusCode } from 'hono/utils/http-status'
import { VaultError, type VaultErrorCode } from '@custos/vault'

/**
 * RFC 9457 problem details for everything that is not an OAuth endpoint. One table maps vault
 * error codes to statuses; messages are the vault's (which never carry values) or fixed text —
 * input is never echoed back and nothing internal (stack, SQL) ever leaves (SECURITY.md 23).
 */
export interface Problem {
  readonly status: ContentfulStatusCode
  readonly code: string
  readonly title: string
  readonly detail?: string
  readonly issues?: readonly { path: string; message: string }[]
}

const STATUS: Record<VaultErrorCode, ContentfulStatusCode> = {
  ERR_VAULT_LOCKED: 503,
  ERR_VAULT_UNINITIALIZED: 503,
  ERR_VAULT_EXISTS: 409,
  ERR_UNLOCK_FAILED: 401,
  ERR_UNLOCK_THROTTLED: 429,
  ERR_RECOVERY_KEY_FORMAT: 400,
  ERR_WEAK_PASSPHRASE: 400,
  ERR_INTEGRITY: 500,
  ERR_UNSUPPORTED_FORMAT: 500,
  ERR_VALIDATION: 400,
  ERR_UNKNOWN_PATH: 400,
  ERR_VALUE_TOO_LARGE: 413,
  ERR_NOT_FOUND: 404,
  ERR_GRANT_EXPIRED: 403,
  ERR_GRANT_REVOKED: 403,
  ERR_GRANT_SCOPE: 403,
  ERR_VENDOR_BLOCKED: 403,
  ERR_AUDIT_WRITE: 503,
  ERR_BACKUP_INVALID: 400,
  ERR_IMPORT_INVALID: 400,
  ERR_CONFLICT: 409,
  ERR_CRYPTO_UNAVAILABLE: 500,
}

export function problemFromVaultError(err: VaultError): Problem {
  const status = STATUS[err.code] ?? 500
  // 5xx from the vault are integrity or platform failures: say so without any detail.
  if (status >= 500 && err.code !== 'ERR_VAULT_LOCKED' && err.code !== 'ERR_VAULT_UNINITIALIZED' && err.code !== 'ERR_AUDIT_WRITE') {
    return { status, code: err.code, title: 'Internal error' }
  }
  return { status, code: err.code, title: err.message, ...(err.issues.length > 0 ? { issues: err.issues } : {}) }
}

export function problemResponse(c: Context, problem: Problem, headers: Record<string, string> = {}): Response {
  const body = {
    type: `https://custos.dev/problems/${problem.code.toLowerCase().replace(/^err_/, '').replace(/_/g, '-')}`,
    title: problem.title,
    status: problem.status,
    code: problem.code,
    ...(problem.detail ? { detail: problem.detail } : {}),
    ...(problem.issues ? { issues: problem.issues } : {}),
  }
  return c.body(JSON.stringify(body), problem.status, { 'content-type': 'application/problem+json', 'cache-control': 'no-store', ...headers })
}

export function isVaultError(err: unknown): err is VaultError {
  return err instanceof VaultError
}

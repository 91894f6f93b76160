import { z } from 'zod'
import { GrantNarrowing, Order, VaultExport } from '@custos/vault'
import type { RouteDoc } from '../openapi/openapi-document.js'
import { Anything, INVALID, NOT_FOUND, guarded, json, ok } from './owner-doc-kit.js'
import { relationshipRouteDocs } from './relationship-docs.js'
import { AuditQuery } from './audit-routes.js'
import { ImportModeQuery } from './exit-routes.js'
import { FieldBody } from './field-routes.js'
import { GrantListQuery, ReceiptExportQuery, ReceiptListQuery } from './grant-routes.js'
import { InboxQuery } from './inbox-routes.js'
import { PassphraseBody } from './key-routes.js'
import { ImportQuery, PurchaseListQuery } from './purchase-routes.js'
import { RegistrationModeBody, RegistrationTokenBody } from './registration-routes.js'
import { ReceiptSettings } from '../receipts/receipt-settings.js'
import { SignIn } from './session.js'
import { StatusView, UnlockBody } from './status-routes.js'
import { BlockBody } from './vendor-routes.js'

const Page = z.object({ items: z.array(Anything), nextCursor: z.string().optional() })

/**
 * The owner API for the OpenAPI document, from the schemas the routes validate with (the
 * relationship settings are in relationship-docs.ts; the shared refusals in owner-doc-kit.ts).
 */
export const ownerRouteDocs: readonly RouteDoc[] = [
  {
    method: 'get',
    path: '/owner/status',
    tag: 'Owner',
    summary: 'Where the vault stands (no session; works sealed)',
    responses: ok('The state', StatusView),
  },
  {
    method: 'post',
    path: '/owner/unlock',
    tag: 'Owner',
    summary:
      'Unseal with the passphrase or the recovery key (no session); then sign in with POST /owner/session',
    body: json(UnlockBody),
    responses: {
      ...ok('Unsealed', StatusView),
      ...INVALID,
      '401': { description: 'Wrong passphrase or recovery key (ERR_UNLOCK_FAILED)' },
      '409': { description: 'Already unsealed (ERR_ALREADY_UNSEALED)' },
      '429': { description: 'Too many failures: see Retry-After (ERR_UNLOCK_THROTTLED)' },
    },
  },
  guarded({
    method: 'post',
    path: '/owner/lock',
    summary: 'Seal the vault and end every owner session',
    responses: { '204': { description: 'Sealed' } },
  }),
  guarded({
    method: 'get',
    path: '/owner/fields',
    summary: 'Every stored field, with its vocabulary label and group',
    responses: ok('The fields', z.object({ fields: z.array(Anything) })),
  }),
  guarded({
    method: 'put',
    path: '/owner/fields/{path}',
    summary: 'Set a field (validated against its vocabulary schema)',
    body: json(FieldBody),
    responses: { ...ok('Stored'), ...INVALID },
  }),
  guarded({
    method: 'delete',
    path: '/owner/fields/{path}',
    summary: 'Delete a field',
    responses: { '204': { description: 'Deleted' }, ...INVALID, ...NOT_FOUND },
  }),
  guarded({
    method: 'get',
    path: '/owner/vocabulary',
    summary: 'Known field paths with labels, groups and JSON Schemas; the custom-path rule',
    responses: ok('The vocabulary'),
  }),
  guarded({
    method: 'get',
    path: '/owner/purchases',
    summary: 'Purchases, newest first, filtered and cursor-paginated',
    query: PurchaseListQuery,
    responses: { ...ok('One page', Page), ...INVALID },
  }),
  guarded({
    method: 'post',
    path: '/owner/purchases',
    summary: 'Add a purchase (schema.org Order)',
    body: json(Order),
    responses: { '201': { description: 'Added' }, ...INVALID },
  }),
  guarded({
    method: 'post',
    path: '/owner/purchases/import',
    summary:
      'Import purchases: a JSON array of Orders, a CSV (any shop or bank, Amazon order history, PayPal activity) or order-confirmation emails; all or nothing',
    description:
      'CSV headers are matched case- and accent-insensitively against common names (seller/merchant/shop/Händler, date/Datum/order date, amount/total/Betrag, currency/Währung, order number/Bestellnummer, category, notes); `columns` maps the rest, and the mapping of a confirmed import is remembered for the next file with the same header (`mappingRecalled` in the preview). Amounts may use a decimal comma (`129,90`); dates are YYYY-MM-DD, DD.MM.YYYY, or with slashes, day- or month-first detected from the file (`dateOrder`, `dateOrderCertain` in the preview) or set with `dateOrder`. `format=amazon` reads `Retail.OrderHistory.1.csv` from Amazon\'s "Request your data" archive (the items of one order become one purchase; cancelled orders are skipped); `format=paypal` reads PayPal\'s activity download (completed payments made become purchases; refunds, transfers, money received and payments not completed are skipped with a reason). A `message/rfc822` body (one .eml) or `application/mbox` body (a mailbox, read as it streams) is read for schema.org Order, Invoice and ParcelDelivery markup (JSON-LD or microdata); messages without it are skipped as "no order markup", never guessed at, and a file with no importable message is refused. With `?preview=true` every row comes back parsed, with its issues (messages in words naming the row), or `skipped` with its reason; rows repeating a purchase already in the vault or an earlier row are marked `duplicate`, and nothing is written; `duplicates=skip` leaves them out of a real import. Imported purchases have provenance `import` and say where they came from in their notes. Body limit 16 MiB.',
    query: ImportQuery,
    body: {
      ...json(z.array(Order)),
      alternatives: {
        'text/csv': 'A CSV file with a header row (see `format`)',
        'message/rfc822': 'One email message (.eml)',
        'application/mbox': 'A mailbox (.mbox, RFC 4155)',
      },
    },
    responses: {
      '200': { description: 'Preview' },
      '201': { description: 'Imported' },
      ...INVALID,
      '413': { description: 'Too large' },
      '415': { description: 'Not JSON, CSV or mail' },
    },
  }),
  guarded({
    method: 'get',
    path: '/owner/purchases/{id}',
    summary: 'One purchase',
    responses: { ...ok('The purchase'), ...INVALID, ...NOT_FOUND },
  }),
  guarded({
    method: 'put',
    path: '/owner/purchases/{id}',
    summary: 'Replace a purchase',
    body: json(Order),
    responses: { ...ok('Replaced'), ...INVALID, ...NOT_FOUND },
  }),
  guarded({
    method: 'delete',
    path: '/owner/purchases/{id}',
    summary: 'Delete a purchase',
    responses: { '204': { description: 'Deleted' }, ...INVALID, ...NOT_FOUND },
  }),
  guarded({
    method: 'get',
    path: '/owner/vendors',
    summary:
      'Vendors with grant counts, last read time, and where their signals stand (waiting, last error, last delivered, the newest erasure request and its acknowledgement)',
    responses: ok('The vendors', z.object({ vendors: z.array(Anything) })),
  }),
  guarded({
    method: 'post',
    path: '/owner/vendors/{id}/erasure',
    summary:
      'Ask the vendor to erase what it holds about you: a signed event (SET) pushed to its endpoint or waiting for its poll; it answers with its own signed acknowledgement',
    responses: {
      '201': { description: 'The request’s id', schema: z.object({ requestId: z.string() }) },
      ...INVALID,
      ...NOT_FOUND,
    },
  }),
  guarded({
    method: 'post',
    path: '/owner/vendors/{id}/block',
    summary: 'Block or unblock a vendor',
    body: json(BlockBody),
    responses: { ...ok('The vendor'), ...INVALID, ...NOT_FOUND },
  }),
  guarded({
    method: 'get',
    path: '/owner/grants',
    summary: 'Grants, by vendor and status',
    query: GrantListQuery,
    responses: { ...ok('The grants', z.object({ grants: z.array(Anything) })), ...INVALID },
  }),
  guarded({
    method: 'get',
    path: '/owner/grants/{id}',
    summary: 'One grant',
    responses: { ...ok('The grant'), ...INVALID, ...NOT_FOUND },
  }),
  guarded({
    method: 'post',
    path: '/owner/grants/{id}/narrow',
    summary: 'Narrow a grant (never widen)',
    body: json(GrantNarrowing),
    responses: { ...ok('The narrowed grant'), ...INVALID, ...NOT_FOUND },
  }),
  guarded({
    method: 'post',
    path: '/owner/grants/{id}/revoke',
    summary: 'Revoke a grant and every token issued under it',
    responses: { ...ok('The revoked grant'), ...INVALID, ...NOT_FOUND },
  }),
  guarded({
    method: 'get',
    path: '/owner/grants/{id}/receipt',
    summary: 'The signed consent receipt (JWS) of the current revision',
    responses: { ...ok('The receipt', z.object({ receipt: z.string() })), ...NOT_FOUND },
  }),
  guarded({
    method: 'get',
    path: '/owner/grants/{id}/consent-record',
    summary:
      'The same consent event as a signed ISO/IEC TS 27560 consent record in the W3C DPV profile (JWS, typ consent-record+jwt)',
    responses: {
      ...ok('The consent record', z.object({ consent_record: z.string() })),
      ...NOT_FOUND,
    },
  }),
  guarded({
    method: 'get',
    path: '/owner/receipts',
    summary:
      'Every consent event’s receipts — grants given, narrowed, withdrawn or expired, requests refused — oldest first, each signed in both shapes',
    query: ReceiptListQuery,
    responses: {
      ...ok(
        'A page of receipts; pass `next` back as `after`',
        z.object({
          receipts: z.array(
            z.object({
              id: z.string(),
              event: z.enum(['given', 'narrowed', 'withdrawn', 'expired', 'consumed', 'refused']),
              vendorId: z.string(),
              grantId: z.string().nullable(),
              revision: z.number().int().nullable(),
              at: z.string(),
              refusal: z.string().optional(),
              receipt: z.string(),
              consentRecord: z.string(),
            }),
          ),
          next: z.string().optional(),
        }),
      ),
      ...INVALID,
      ...NOT_FOUND,
    },
  }),
  guarded({
    method: 'get',
    path: '/owner/receipts/export',
    summary:
      'Every receipt (of one vendor, or all) as one file — custos-receipts v1 — with the vault’s public key to check them offline',
    query: ReceiptExportQuery,
    responses: {
      ...ok(
        'The file: { format, version, exported_at, issuer, verify_with: { jwks_uri, keys }, vendor_id?, count, receipts }',
        z.object({
          format: z.literal('custos-receipts'),
          version: z.literal(1),
          exported_at: z.string(),
          issuer: z.string(),
          verify_with: z.object({
            jwks_uri: z.string(),
            keys: z.array(z.object({}).passthrough()),
          }),
          vendor_id: z.string().optional(),
          count: z.number().int(),
          receipts: z.array(z.object({}).passthrough()),
        }),
      ),
      ...INVALID,
      ...NOT_FOUND,
    },
  }),
  guarded({
    method: 'get',
    path: '/owner/inbox',
    summary: 'Pending receipts vendors appended',
    query: InboxQuery,
    responses: { ...ok('One page', Page), ...INVALID },
  }),
  guarded({
    method: 'post',
    path: '/owner/inbox/{id}/accept',
    summary: 'Accept a pending receipt into the history',
    responses: { ...ok('The purchase'), ...NOT_FOUND },
  }),
  guarded({
    method: 'post',
    path: '/owner/inbox/{id}/reject',
    summary: 'Reject (delete) a pending receipt',
    responses: { '204': { description: 'Rejected' }, ...NOT_FOUND },
  }),
  guarded({
    method: 'get',
    path: '/owner/audit',
    summary: 'Audit entries, newest first; page with before=nextBefore',
    query: AuditQuery,
    responses: { ...ok('Entries'), ...INVALID },
  }),
  guarded({
    method: 'get',
    path: '/owner/audit/verify',
    summary:
      'Verify the whole hash chain; names the first bad entry (a damaged log stops vendor reads)',
    responses: ok('The verdict'),
  }),
  guarded({
    method: 'post',
    path: '/owner/audit/acknowledge',
    summary:
      'Acknowledge a damaged log: a new anchored entry records the damage and vendor reads resume',
    responses: ok('The verdict that was acknowledged'),
  }),
  guarded({
    method: 'post',
    path: '/owner/passphrase',
    summary: 'Change the passphrase (the current one is checked, throttled like unlock)',
    body: json(PassphraseBody),
    responses: {
      '204': { description: 'Changed; every other owner session is signed out (this one stays)' },
      '400': {
        description:
          "Invalid input (ERR_VALIDATION), or a new passphrase the vault's policy refuses — under 14 characters or too easy to guess (ERR_WEAK_PASSPHRASE; the title says why)",
      },
      '401': { description: 'Wrong current passphrase (ERR_UNLOCK_FAILED), or no session' },
      '429': { description: 'Throttled' },
    },
  }),
  guarded({
    method: 'get',
    path: '/owner/receipt-settings',
    summary:
      'What consent receipts say about the owner: the jurisdiction (ISO 3166-1 alpha-2 or 3166-2 code; default EU)',
    responses: ok('The settings', ReceiptSettings),
  }),
  guarded({
    method: 'put',
    path: '/owner/receipt-settings',
    summary: 'Set the jurisdiction that new consent receipts name',
    body: json(ReceiptSettings),
    responses: { ...ok('The settings', ReceiptSettings), ...INVALID },
  }),
  guarded({
    method: 'get',
    path: '/owner/registration',
    summary:
      'Who may register clients (open, or only with an initial access token, RFC 7591 §3) and the live tokens (never their values)',
    responses: ok('Mode and tokens'),
  }),
  guarded({
    method: 'put',
    path: '/owner/registration',
    summary: 'Set the registration mode',
    body: json(RegistrationModeBody),
    responses: { ...ok('Mode and tokens'), ...INVALID },
  }),
  guarded({
    method: 'post',
    path: '/owner/registration/tokens',
    summary: 'Create an initial access token; its value is shown only in this answer',
    body: json(RegistrationTokenBody),
    responses: { '201': { description: 'The token' }, ...INVALID },
  }),
  guarded({
    method: 'delete',
    path: '/owner/registration/tokens/{id}',
    summary: 'Revoke an initial access token',
    responses: { '204': { description: 'Revoked' }, ...INVALID, ...NOT_FOUND },
  }),
  guarded({
    method: 'post',
    path: '/owner/keys/rotate',
    summary: 'Start a key rotation in the background',
    responses: {
      '202': { description: 'Started' },
      '409': { description: 'A rotation or restore is running (ERR_KEYS_BUSY)' },
    },
  }),
  guarded({
    method: 'get',
    path: '/owner/keys/rotation',
    summary: "The latest rotation's progress",
    responses: ok('Progress'),
  }),
  guarded({
    method: 'get',
    path: '/owner/export',
    summary: 'The portable plaintext export (custos-export v1), as a download',
    responses: ok('The export'),
  }),
  guarded({
    method: 'post',
    path: '/owner/import',
    summary:
      'Import a custos-export document (validated whole first); mode merge (default) or replace',
    description: 'Body limit 16 MiB.',
    query: ImportModeQuery,
    body: json(VaultExport),
    responses: { ...ok('What was imported'), ...INVALID },
  }),
  guarded({
    method: 'get',
    path: '/owner/backup',
    summary: 'The encrypted backup, streamed',
    responses: { '200': { description: 'The backup', type: 'application/octet-stream' } },
  }),
  guarded({
    method: 'post',
    path: '/owner/restore',
    summary: 'Replace the vault with a backup (application/octet-stream body, up to 512 MiB)',
    description:
      "The backup's secret in `X-Backup-Passphrase` (percent-encoded UTF-8) or `X-Backup-Recovery-Key`. The whole stream is verified before anything is replaced; every owner session ends.",
    responses: {
      ...ok('Restored', StatusView),
      '400': {
        description:
          'Damaged, truncated or not a backup (ERR_BACKUP_INVALID), or bad credentials headers',
      },
      '401': { description: 'Wrong backup passphrase or recovery key, or no session' },
      '409': { description: 'A key rotation is running (ERR_KEYS_BUSY)' },
      '413': { description: 'Too large' },
      '415': { description: 'Not application/octet-stream' },
    },
  }),
  ...relationshipRouteDocs,
]

/** Owner sign-in and sign-out (owner/session.ts), mounted beside the owner API. */
export const ownerSessionRouteDocs: readonly RouteDoc[] = [
  {
    method: 'post',
    path: '/owner/session',
    tag: 'Owner',
    summary:
      'Sign in with the passphrase: sets the session cookie (HttpOnly, Secure, SameSite=Strict) and returns the CSRF token',
    description:
      'JSON for the owner API (201). The consent page posts the same fields as a form and is sent back to the page (303), or shown an HTML error.',
    body: json(SignIn),
    responses: {
      '201': {
        description: 'Signed in',
        schema: z.object({ csrf_token: z.string(), idle_timeout_seconds: z.number().int() }),
      },
      '303': { description: 'Form sign-in: back to the consent page' },
      '400': { description: 'No passphrase (ERR_VALIDATION)' },
      '401': { description: 'Wrong passphrase (ERR_UNLOCK_FAILED)' },
      '403': { description: 'A form that did not come from the consent page', type: 'text/html' },
      '415': { description: 'Neither JSON nor a form' },
      '429': { description: 'Too many failures: see Retry-After (ERR_UNLOCK_THROTTLED)' },
      '503': { description: 'The vault is sealed (ERR_VAULT_LOCKED)' },
    },
  },
  {
    method: 'delete',
    path: '/owner/session',
    tag: 'Owner',
    summary: 'Sign out: ends this session',
    auth: 'owner',
    responses: {
      '204': { description: 'Signed out' },
      '401': { description: 'No live owner session (ERR_NO_SESSION)' },
      '403': { description: 'Without the X-CSRF-Token (ERR_CSRF)' },
    },
  },
]

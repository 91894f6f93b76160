/**
 * `@custos/consent-api` — the HTTP face of a Custos vault: OAuth 2.0 authorization server for
 * vendors, the vendor resource API and the owner API, as a hono app built by {@link createApp}.
 *
 * @packageDocumentation
 */
export { createApp, type AppDeps } from './app.js'
export { prepareApiStorage } from './db/api-storage.js'
export { AppConfig, type AppConfigInput } from './config.js'
export type { OwnerPageKit, OwnerPages } from './owner/page-kit.js'
export type {
  OwnerActions,
  RegistrationSettings,
  TimeZoneSettings,
  ReceiptSettingsAccess,
} from './owner/owner-actions.js'
export type { OwnerAccountActions, KeyActions } from './owner/owner-account-actions.js'
export type { OwnerDataActions, VendorSignals } from './owner/owner-data-actions.js'
export type { OwnerReads, Connections } from './owner/owner-reads.js'
export type { RegistrationMode, RegistrationTokenView } from './store/registration-policy.js'
export { Limits, RateWindow, type LimitsInput } from './limits/limits-config.js'
export type { OwnerSession, OwnerSessionInfo, StartSessionOptions } from './store/session-store.js'
export type { RotationState } from './owner/rotation-job.js'
export type { ImportRow, CsvImportOptions } from './owner/purchase-import.js'
export { csvRecords } from './owner/purchase-import.js'
export {
  importSourceLabel,
  previewFiles,
  withImportSource,
  type ImportFile,
} from './owner/import-files.js'
export { CSV_COLUMNS, COLUMN_WORDS, type CsvColumn, type CsvLayout } from './owner/csv-columns.js'
export { CsvMappingMemory } from './owner/csv-mapping-memory.js'
export {
  IMPORT_FORMATS,
  detectImportFormat,
  importRefusal,
  ordersToImport,
  purchasesToImport,
  previewImport,
  type CsvMapping,
  type DuplicateChoice,
  type ImportFormat,
  type ImportPreview,
  type ImportPreviewRows,
  type ImportSource,
  type TextImportFormat,
} from './owner/purchase-import-service.js'
export { AMAZON_SOURCE, rowsFromAmazon } from './owner/import-amazon.js'
export { EMAIL_SOURCE, rowsFromMail, type MailProgress } from './owner/import-email.js'
export { ordersInHtml, type MarkupOrder } from './owner/order-markup.js'
export { mailMessages } from './owner/mail-messages.js'
export { PAYPAL_SOURCE, rowsFromPaypal, type PaypalImportOptions } from './owner/import-paypal.js'
export {
  DATE_ORDERS,
  DATE_ORDER_WORDS,
  type DateOrder,
  type DetectedDateOrder,
} from './owner/date-order.js'
export {
  AMOUNT_HINT,
  amountProblem,
  parseAmountText,
  type AmountText,
} from './owner/amount-text.js'
export { humanDuration } from './oauth/consent-page.js'
export { vendorMonogram } from './vendor-monogram.js'
export {
  apiProblem,
  errorAnswer,
  problemFromVaultError,
  isStorageUnavailable,
  reportUnexpected,
  zodIssues,
  type ErrorAnswer,
  type Problem,
} from './problem.js'
export {
  PROBLEMS,
  OAUTH_ERRORS,
  problemRow,
  problemType,
  type ProblemCode,
  type ApiProblemCode,
  type ProblemRow,
  type OAuthErrorCode,
  type OAuthErrorRow,
} from './api-problems.js'
export { downloadHeaders, day, type BackupDownload } from './owner/backup-download.js'
export {
  THREAD_BUNDLE_FORMAT,
  ThreadBundle,
  verifyThreadBundle,
  type ThreadVerification,
} from './conversations/thread-bundle.js'
export type {
  OwnerConversations,
  VerifiedThread,
} from './conversations/owner-conversations.js'
export {
  MESSAGE_TYP,
  VENDOR_MESSAGE_TYP,
  entrySigner,
} from './conversations/message-signature.js'
export { SigningKeyStore } from './store/signing-key-store.js'
export type { Draft, DraftContent } from './mcp/draft.js'
export { DraftStore, MAX_PENDING_DRAFTS } from './mcp/draft-store.js'
export type { DraftEdits, OwnerDrafts, SentDraft } from './owner/draft-actions.js'

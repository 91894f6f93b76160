/**
 * `@custos/vault` — the customer-owned personal data vault as a library.
 *
 * @example
 * import { createVault, openSqlite } from '@custos/vault'
 * const vault = await createVault({ database: openSqlite('./custos.db') })
 * const { recoveryKey } = await vault.initialize('orbit velvet canyon sparrow')
 * const shop = await vault.vendors.register({ name: 'Fjord Outdoor' })
 * await vault.fields.set('prefs.sizes.shoe', 'EU 42')
 * const grant = await vault.grants.create({ vendorId: shop.id, fields: ['prefs.sizes.*'], actions: ['read'], purpose: 'Sizing', durationSeconds: 86400 })
 * const { fields } = await vault.readThroughGrant(grant.id) // { 'prefs.sizes.shoe': 'EU 42' }, audited
 *
 * @packageDocumentation
 */
export { createVault, type CreateVaultOptions } from './create-vault.js'
export type { OwnerActionOptions, Vault, VaultStatus } from './vault.js'
export { RECOVERY_WINDOW_SECONDS, type UnlockResult } from './keys/key-custody.js'
export {
  openSqlite,
  openPostgres,
  type DatabaseHandle,
  type PostgresOptions,
} from './db/open-database.js'
export type { Engine } from './db/schema.js'
export {
  VaultError,
  VaultLockedError,
  UnlockFailedError,
  UnlockThrottledError,
  IntegrityError,
  ValidationError,
  NotFoundError,
  ThreadNotFoundError,
  IntentNotFoundError,
  issuesFromZod,
  type VaultErrorCode,
  type ValidationIssue,
} from './errors.js'
export type { VaultEvent, VaultEventListener } from './events.js'
export type { Credentials } from './keys/lifecycle.js'
export {
  checkPassphrase,
  MIN_PASSPHRASE_CHARS,
  MAX_PASSPHRASE_BYTES,
  MIN_PASSPHRASE_SCORE,
  type PassphraseCheck,
  type PassphraseScore,
} from './keys/passphrase-policy.js'
export type { RotateKeysOptions, RotationProgress, RotationResult } from './keys/rotation.js'
export { KDF_PRESETS, type KdfPreset } from './crypto/kdf.js'
export {
  VOCABULARY,
  PostalAddress,
  CUSTOM_PATH,
  MAX_VALUE_BYTES,
  isFieldPath,
  schemaFor,
  type FieldPath,
  type KnownFieldPath,
} from './fields/vocabulary.js'
export { selectorMatches } from './fields/selectors.js'
export { fieldLabel } from './fields/field-labels.js'
export type { FieldEntry } from './fields/field-store.js'
export {
  Order,
  OrderItem,
  type OrderInput,
  type Purchase,
  type Provenance,
} from './purchases/order.js'
export type { PurchaseFilter, Page } from './purchases/purchase-query.js'
export type { AddPurchaseOptions } from './purchases/purchase-store.js'
export type { SellerSummary } from './purchases/seller-directory.js'
export {
  GrantInput,
  GrantNarrowing,
  PurchaseSlice,
  GrantAction,
  AccessMode,
  type Grant,
} from './grants/grant.js'
export {
  DEFAULT_PURPOSE,
  DPV,
  PURPOSES,
  PurposeList,
  PurposeRef,
  type Purpose,
  isWithin,
  purposeOf,
  purposeText,
  refusedPurposes,
} from './grants/purposes.js'
export { VendorInput, type Vendor } from './grants/vendor.js'
export type { GrantedSlice, ReadThroughGrantOptions } from './grants/read-through-grant.js'
export type { AccessPolicy, AuthorizedAccess } from './grants/access-policy.js'
export { AttemptRecord, CredentialRefusal, VendorAttempt } from './grants/vendor-attempt.js'
export { AuditAction, AuditOrigin, type AuditEntry } from './audit/audit-entry.js'
export type { AuditFilter, AuditVerification } from './audit/audit-reader.js'
export { VaultExport } from './backup/export-json.js'
export type { ImportResult } from './backup/portable.js'
export type { FieldStore } from './fields/field-store.js'
export type { PurchaseStore } from './purchases/purchase-store.js'
export type { VendorStore } from './grants/vendor-store.js'
export type { GrantStore } from './grants/grant-store.js'
export {
  ConsentEventKind,
  MAX_REFUSALS_PER_VENDOR,
  RefusalReason,
  type ConsentEvent,
  type ConsentHistoryPage,
  type ConsentRefusalInput,
  type GrantSnapshot,
  type HistoryFilter,
  type RefusedRequest,
} from './grants/consent-history.js'
export type { Inbox } from './grants/inbox.js'
export {
  MAX_PENDING_PER_VENDOR,
  SignalKind,
  type Signal,
  type SignalBacklog,
  type ErasureStatus,
  type SignalOutbox,
} from './signals/signal-outbox.js'
export type { AuditReader } from './audit/audit-reader.js'
export type { RowAuthenticator, RowAdopter } from './integrity/external-rows.js'
export type { RowValue } from './crypto/row-mac.js'
export type { ValueSealer, SealedPlace } from './crypto/external-values.js'
export {
  Conversations,
  VendorConversations,
  type VendorMessageOptions,
} from './conversations/conversation-store.js'
export {
  MAX_MESSAGE_BYTES,
  MAX_MESSAGE_CHARS,
  MAX_THREAD_MESSAGES,
  MAX_VENDOR_JWS_CHARS,
  MAX_VENDOR_OPEN_THREADS,
  MessageInput,
  RequestedAction,
  ThreadInput,
  ThreadStatus,
  ThreadTopic,
  VendorThreadInput,
  type ConversationCaller,
  type ConversationMessage,
  type EntrySigner,
  type Thread,
  type ThreadSummary,
} from './conversations/conversation.js'
export {
  ENTRY_TYPE,
  GENESIS_HEX,
  MessageEntry,
  canonicalMessageEntry,
  entryHashHex,
  jwsPayload,
  verifyChain,
  type ChainLink,
} from './conversations/message-chain.js'
export {
  type AcceptedOffer,
  IntentAudience,
  IntentInput,
  MAX_OFFERS_PER_INTENT,
  MAX_OFFERS_PER_VENDOR,
  MAX_OPEN_DAYS,
  MAX_OPEN_INTENTS,
  Money,
  OfferInput,
  OfferSignature,
  OfferTerms,
  Requirements,
  type Intent,
  type IntentState,
  type Offer,
  type VendorIntent,
} from './intents/intent.js'
export type { IntentStore } from './intents/intent-store.js'
export type { IntentCaller, VendorIntents } from './intents/vendor-intents.js'

import type { AppContext } from '../app-context.js'
import { receiptExport } from '../receipts/receipt-export.js'
import { currentReceipts, signedReceipts } from '../receipts/receipt-history.js'
import { type ReceiptSettings, ReceiptSettingsStore } from '../receipts/receipt-settings.js'
import type { PurposePolicy } from '../store/purpose-policy.js'
import type { SignedAgreement } from '../terms/agreement-record.js'
import { type AgreementExport, agreementExport } from '../terms/agreement-export.js'
import { type Agreement, ROSTER } from '../terms/roster.js'
import type { TermsPolicy } from '../terms/terms-policy.js'
import type { RegistrationPolicy } from '../store/registration-policy.js'
import {
  type AccountActionsDeps,
  type OwnerAccountActions,
  ownerAccountActions,
} from './owner-account-actions.js'
import {
  type DataActionsDeps,
  type OwnerDataActions,
  ownerDataActions,
} from './owner-data-actions.js'
import { type OwnerReads, ownerReads } from './owner-reads.js'
import { RotationJob } from './rotation-job.js'
import {
  type OwnerConversations,
  ownerConversations,
} from '../conversations/owner-conversations.js'
import { vaultSigner } from '../conversations/message-signature.js'
import { CsvMappingMemory } from './csv-mapping-memory.js'
import { TimeZoneSetting } from './time-zone-setting.js'
import type { DraftStore } from '../mcp/draft-store.js'
import { type OwnerDrafts, ownerDrafts } from './draft-actions.js'

/** Who may register clients (RFC 7591 §3) and the initial access tokens, as the owner manages them. */
export type RegistrationSettings = Pick<
  RegistrationPolicy,
  'mode' | 'setMode' | 'tokens' | 'createToken' | 'revokeToken'
>

/** The owner's time zone for the pages' times (UTC until chosen in Settings). */
export type TimeZoneSettings = Pick<TimeZoneSetting, 'choices' | 'valid' | 'get' | 'set'>

/** What new consent receipts say about the owner (receipts/receipt-settings.ts). */
export interface ReceiptSettingsAccess {
  get(): Promise<ReceiptSettings>
  set(settings: ReceiptSettings): Promise<ReceiptSettings>
}

/** The purposes the owner never allows (store/purpose-policy.ts): a compact name or IRI in, IRIs out. */
export interface PurposePolicyAccess {
  get(): Promise<PurposePolicy>
  set(policy: { readonly neverFor: readonly string[] }): Promise<PurposePolicy>
}

/** The owner's MyTerms (terms/terms-policy.ts) and the agreement records (IEEE 7012, issue 12). */
export interface TermsAccess {
  get(): Promise<TermsPolicy>
  /** Throws a ZodError for an unknown agreement (nothing saved). */
  set(policy: {
    readonly proffered: readonly string[]
    readonly requireAgreement?: boolean
    readonly allowAfterDecline?: boolean
  }): Promise<TermsPolicy>
  /** The MyTerms roster the owner chooses from (terms/roster.ts). */
  readonly roster: readonly Agreement[]
  /** Every agreement record, or one grant's, newest first. */
  records(filter?: { readonly grantId?: string }): Promise<SignedAgreement[]>
  /** All of them, uncapped, as the file she keeps (terms/agreement-export.ts). */
  export(): Promise<AgreementExport>
}

/**
 * Every use case of the vault's owner, once: the owner API (`/owner/*`, owner/*-routes.ts) and
 * the owner's web pages (`@custos/web`, through the page kit) both call these and add only their
 * own skin — parsing, sessions' cookies, JSON or HTML. Where a use case has steps (lock then end
 * every session; destroy then erase the API's state; revoke a grant then its tokens; change the
 * passphrase then sign out the other sessions; restore beside no rotation), they are here, so no
 * door can do half of one.
 *
 * @example
 * const actions = ownerActionsFor(ctx)
 * await actions.lock({ origin: 'api' })              // sealed, and every owner session ended
 * const fields = await actions.read.fields.list()
 */
export interface OwnerActions extends OwnerAccountActions, OwnerDataActions {
  /** What the owner looks at: the vault's reads, nothing that writes. */
  readonly read: OwnerReads
  readonly registration: RegistrationSettings
  readonly receiptSettings: ReceiptSettingsAccess
  readonly purposePolicy: PurposePolicyAccess
  readonly terms: TermsAccess
  readonly timeZone: TimeZoneSettings
  /** Conversations with vendors (issue 13): list, read, open, reply, close, export. */
  readonly conversations: OwnerConversations
  /** What her assistants proposed (issue 14): list, send through the actions above, discard. */
  readonly drafts: OwnerDrafts
}

export interface OwnerActionsDeps extends AccountActionsDeps, DataActionsDeps {
  readonly registration: RegistrationSettings
  readonly receiptSettings: ReceiptSettingsAccess
  readonly purposePolicy: PurposePolicyAccess
  readonly terms: TermsAccess
  readonly timeZone: TimeZoneSettings
  readonly conversations: OwnerConversations
  readonly drafts: Pick<DraftStore, 'list' | 'get' | 'remove'>
}

/** The owner actions over their dependencies (tests pass their own; the app uses {@link ownerActionsFor}). */
export function ownerActions(deps: OwnerActionsDeps): OwnerActions {
  const data = ownerDataActions(deps)
  return Object.freeze({
    ...ownerAccountActions(deps),
    ...data,
    read: ownerReads(deps.vault),
    registration: deps.registration,
    receiptSettings: deps.receiptSettings,
    purposePolicy: deps.purposePolicy,
    terms: deps.terms,
    timeZone: deps.timeZone,
    conversations: deps.conversations,
    drafts: ownerDrafts({
      drafts: deps.drafts,
      intents: data.intents,
      conversations: deps.conversations,
      now: deps.now,
    }),
  })
}

/** The API's tables, children before the clients they name. */
/**
 * The owner actions of one app, built once in createApp over its stores, with the one key job
 * that keeps rotation, restore and destroy apart.
 */
export function ownerActionsFor(app: AppContext): OwnerActions {
  return ownerActions({
    vault: app.vault,
    now: app.now,
    keyJob: new RotationJob(),
    sessions: app.stores.sessions,
    eraseApiState: () => app.stores.eraseAll(),
    revokeGrantTokens: (grantId) => app.stores.tokens.revokeGrant(grantId),
    signReceipt: async (grant, vendor) => (await currentReceipts(app, grant, vendor)).receipt,
    deliverSignals: () => {
      app.signals.deliverDue().catch((err: unknown) => app.onUnexpectedError?.(err))
    },
    lastDeliveredAt: (vendorId) => app.signals.status(vendorId).lastDeliveredAt,
    entrySigner: () => vaultSigner(app),
    signEvent: (event, vendor) => signedReceipts(app, event, vendor),
    exportReceipts: (filter) => receiptExport(app, filter),
    signConsentRecord: async (grant, vendor) =>
      (await currentReceipts(app, grant, vendor)).consentRecord,
    registration: app.stores.registration,
    receiptSettings: new ReceiptSettingsStore(app),
    purposePolicy: {
      get: () => app.stores.purposePolicy.get(),
      set: (policy) => app.stores.purposePolicy.set({ neverFor: [...policy.neverFor] }),
    },
    terms: {
      get: () => app.stores.termsPolicy.get(),
      set: (policy) => app.stores.termsPolicy.set({ ...policy, proffered: [...policy.proffered] }),
      roster: ROSTER,
      records: (filter) => app.stores.agreements.list(filter),
      export: () => agreementExport(app),
    },
    timeZone: new TimeZoneSetting(app),
    conversations: ownerConversations(app),
    drafts: app.stores.drafts,
    csvMappings: new CsvMappingMemory(app),
  })
}

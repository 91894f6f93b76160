import type { StoreContext } from '../app-context.js'
import { ClientStore } from './client-store.js'
import { CodeStore } from './code-store.js'
import { JtiStore } from './jti-store.js'
import { PurposePolicyStore } from './purpose-policy.js'
import { RegistrationPolicy } from './registration-policy.js'
import { RemoteKeySets } from './remote-key-sets.js'
import { RequestStore } from './request-store.js'
import { SessionStore } from './session-store.js'
import { SigningKeyStore } from './signing-key-store.js'
import { TokenStore } from './token-store.js'
import { AgreementStore } from '../terms/agreement-store.js'
import { TermsPolicyStore } from '../terms/terms-policy.js'
import { VendorTermsStore } from '../terms/vendor-terms-store.js'
import { DraftStore } from '../mcp/draft-store.js'

/**
 * The API's stores: everything it keeps between requests, each over its own tables (or, for the
 * remote key sets and the signing key's public half, in memory). The route areas — oauth/,
 * owner/, resource/ — reach state only through these, never through one another.
 */
export interface Stores {
  readonly tokens: TokenStore
  readonly codes: CodeStore
  readonly requests: RequestStore
  readonly clients: ClientStore
  readonly jti: JtiStore
  readonly sessions: SessionStore
  readonly registration: RegistrationPolicy
  readonly remoteKeySets: RemoteKeySets
  readonly signingKeys: SigningKeyStore
  /** The owner's "never for" purposes (issue 12). */
  readonly purposePolicy: PurposePolicyStore
  /** The owner's MyTerms: what she proffers and requires (issue 12, IEEE 7012). */
  readonly termsPolicy: TermsPolicyStore
  /** The IEEE 7012 agreement records both parties keep. */
  readonly agreements: AgreementStore
  /** What vendors accept, from the MyTerms documents they serve (`myterms_uri`). */
  readonly vendorTerms: VendorTermsStore
  /** What the owner's assistants proposed, waiting for her (issue 14). */
  readonly drafts: DraftStore
  /**
   * Forgets all of the API's own state once the vault it belonged to is destroyed — registered
   * clients, pending requests, codes, tokens, DPoP `jti`s, owner sessions, the registration mode
   * and its tokens, rate counts — in one transaction, so a crash leaves all or nothing: a vault
   * created next must not inherit the old one's vendors or their tokens.
   */
  eraseAll(): Promise<void>
}

/** Every table of the API's own state, children before the clients they name. */
const API_TABLES = [
  'assistant_drafts',
  'myterms_agreements',
  'myterms_vendor_terms',
  'oauth_tokens',
  'oauth_codes',
  'oauth_requests',
  'dpop_jti',
  'owner_sessions',
  'oauth_clients',
  'registration_tokens',
  'api_settings',
  'rate_events',
] as const

/**
 * Builds the stores of one app — once, in createApp — so what they cache lives exactly as long
 * as the app (hono's app holds nothing global; neither does this).
 *
 * @example
 * const ctx: AppContext = { ...base, stores: createStores(base) }
 */
export function createStores(app: StoreContext): Stores {
  const tokens = new TokenStore(app)
  return {
    tokens,
    codes: new CodeStore(app, tokens),
    requests: new RequestStore(app),
    clients: new ClientStore(app),
    jti: new JtiStore(app),
    sessions: new SessionStore(app),
    registration: new RegistrationPolicy(app),
    remoteKeySets: new RemoteKeySets(),
    signingKeys: new SigningKeyStore(app.vault),
    purposePolicy: new PurposePolicyStore(app),
    termsPolicy: new TermsPolicyStore(app),
    agreements: new AgreementStore(app),
    vendorTerms: new VendorTermsStore(app),
    drafts: new DraftStore(app),
    async eraseAll() {
      await app.db.transaction().execute(async (trx) => {
        for (const table of API_TABLES) await trx.deleteFrom(table).execute()
      })
    },
  }
}

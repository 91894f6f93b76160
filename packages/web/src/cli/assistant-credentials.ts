/**
 * The credentials of a local assistant, in the file the owner names with `--token-file`: the
 * vault's URL, the OAuth client `custos mcp --connect` registered for it (RFC 7591: its client id
 * and per-installation secret) and its tokens (RFC 6749 §5.1). Never on the command line, where
 * `ps` shows it, and never in the environment: a file of mode 0600, refused when group or others
 * can read it (as the unseal key file), rewritten whole (atomic-file.ts) when tokens are renewed.
 *
 * It is the MCP SDK's OAuth client provider (`OAuthClientProvider`), so the SDK's own client runs
 * the authorization flow and refreshes the access token when it expires — the same code path as
 * any MCP client meeting `/mcp` over HTTP.
 */
import { randomBytes } from 'node:crypto'
import { readFileSync, statSync } from 'node:fs'
import type { OAuthClientProvider } from '@modelcontextprotocol/sdk/client/auth.js'
import type {
  OAuthClientInformationMixed,
  OAuthClientMetadata,
  OAuthTokens,
} from '@modelcontextprotocol/sdk/shared/auth.js'
import { z } from 'zod'
import { writeFileAtomically } from './atomic-file.js'
import { CliError, EXIT } from './exit-codes.js'

const Stored = z.object({
  url: z.url({ protocol: /^https?$/ }),
  client: z.looseObject({ client_id: z.string().min(1).max(200) }).optional(),
  tokens: z.looseObject({ access_token: z.string().min(1), token_type: z.string() }).optional(),
})
type Stored = z.output<typeof Stored>

/** Reads a token file, refusing one that others can read or that is not ours in shape. */
export function readTokenFile(file: string): Stored {
  let mode: number
  try {
    const stat = statSync(file)
    if (!stat.isFile())
      throw new CliError(EXIT.usage, `custos: the token file ${file} is not a regular file`)
    mode = stat.mode
  } catch (err) {
    if (err instanceof CliError) throw err
    throw new CliError(
      EXIT.usage,
      `custos: cannot read the token file ${file}: ${(err as NodeJS.ErrnoException).code ?? 'error'} (create it with custos mcp --connect)`,
    )
  }
  if ((mode & 0o077) !== 0)
    throw new CliError(
      EXIT.usage,
      `custos: the token file ${file} is readable by group or others (mode ${(mode & 0o777).toString(8)}); run chmod 600 ${file}`,
    )
  let json: unknown
  try {
    json = JSON.parse(readFileSync(file, 'utf8'))
  } catch {
    json = undefined
  }
  const parsed = Stored.safeParse(json)
  if (!parsed.success || !parsed.data.client || !parsed.data.tokens)
    throw new CliError(
      EXIT.usage,
      `custos: ${file} is not a token file of custos mcp --connect (connect the assistant again)`,
    )
  return parsed.data
}

export interface CredentialOptions {
  readonly metadata: OAuthClientMetadata
  /** What to do when the flow needs the owner's consent: show the address (connect), or fail (serve). */
  readonly onAuthorize: (url: URL) => void
}

export class AssistantCredentials implements OAuthClientProvider {
  readonly #file: string
  readonly #options: CredentialOptions
  #stored: Stored
  #verifier = ''
  readonly #state = randomBytes(16).toString('base64url')

  constructor(file: string, stored: Stored, options: CredentialOptions) {
    this.#file = file
    this.#stored = stored
    this.#options = options
  }

  get redirectUrl(): string | undefined {
    return this.#options.metadata.redirect_uris[0]
  }
  get clientMetadata(): OAuthClientMetadata {
    return this.#options.metadata
  }
  /** RFC 6749 §10.12: the callback must carry this back, or it is not the answer to our request. */
  state(): string {
    return this.#state
  }
  clientInformation(): OAuthClientInformationMixed | undefined {
    return this.#stored.client as OAuthClientInformationMixed | undefined
  }
  async saveClientInformation(client: OAuthClientInformationMixed): Promise<void> {
    await this.#save({ ...this.#stored, client: client as Stored['client'] })
  }
  tokens(): OAuthTokens | undefined {
    return this.#stored.tokens as OAuthTokens | undefined
  }
  async saveTokens(tokens: OAuthTokens): Promise<void> {
    await this.#save({ ...this.#stored, tokens: tokens as Stored['tokens'] })
  }
  redirectToAuthorization(url: URL): void {
    this.#options.onAuthorize(url)
  }
  saveCodeVerifier(verifier: string): void {
    this.#verifier = verifier
  }
  codeVerifier(): string {
    return this.#verifier
  }

  async #save(next: Stored): Promise<void> {
    this.#stored = next
    await writeFileAtomically(this.#file, [new TextEncoder().encode(JSON.stringify(next))])
  }
}

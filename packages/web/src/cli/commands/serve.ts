/**
 * `custos serve`: everything on one port — the consent API, the owner API and the owner's web
 * app (`createWebApp`). A first run finds no vault and creates none: it serves the browser's
 * set-up page. With an unseal key file it unlocks at start. It writes `custos.run.json` (its URL
 * and pid, run-file.ts) into the data folder for `custos status`. SIGINT/SIGTERM: stop accepting,
 * let in-flight requests finish (at most DRAIN_MS), then `vault.close()` flushes the audit
 * group commit, and the process exits 0.
 */
import type { Server } from 'node:http'
import type { Vault } from '@custos/vault'
import type { Command, Invocation } from '../args.js'
import { KDF_OPTION, SERVER_OPTIONS, STORAGE_OPTIONS, resolveSettings } from '../config.js'
import { FIX_PERMISSIONS_OPTION, OPEN_FOLDER_MESSAGE, guardDataFolder } from '../data-folder.js'
import { CliError, EXIT } from '../exit-codes.js'
import { type Logger, createLogger, errorFields, logVaultEvent } from '../logger.js'
import { describeError, openVault } from '../open-vault.js'
import { writeRunFile } from '../run-file.js'
import { readUnsealKeyFile } from '../unseal-key-file.js'

/** How long a shutdown waits for in-flight requests before cutting their connections. */
const DRAIN_MS = 10_000

async function unsealAtStart(
  vault: Vault,
  secret: string | undefined,
  log: Logger,
  url: string,
): Promise<void> {
  const status = await vault.status()
  if (status.state === 'uninitialized') {
    // Never created here: the owner chooses the passphrase and sees the recovery key in the browser.
    log.info('no vault yet: open the URL to set it up', { state: status.state, url })
    if (secret !== undefined) log.warn('unseal key file ignored: there is no vault to unlock yet')
    return
  }
  if (secret === undefined) {
    log.info('vault sealed: unlock it in the browser or with custos unlock', {
      state: status.state,
      url,
    })
    return
  }
  try {
    await vault.unlock(secret, { origin: 'cli' })
  } catch (err) {
    // Refusing to start is louder than a server that silently stays sealed behind a wrong file.
    const { exitCode, message } = describeError(err)
    throw new CliError(
      exitCode === EXIT.unlock ? EXIT.unlock : EXIT.failure,
      `${message} (from the unseal key file)`,
    )
  }
  log.info('vault unlocked with the unseal key file', { state: 'unsealed' })
}

function listen(server: Server, host: string, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (err: NodeJS.ErrnoException) => {
      const reason =
        err.code === 'EADDRINUSE'
          ? 'the port is in use'
          : err.code === 'EACCES'
            ? 'permission denied'
            : (err.code ?? err.message)
      reject(new CliError(EXIT.failure, `custos: cannot listen on ${host}:${port}: ${reason}`))
    }
    server.once('error', onError)
    server.listen(port, host, () => {
      server.off('error', onError)
      resolve()
    })
  })
}

async function run({ values, io }: Invocation): Promise<number> {
  const settings = resolveSettings(values, io.env)
  const log = createLogger({ level: settings.logLevel, write: (line) => io.stdout.write(line) })
  const folder = guardDataFolder(settings.data, values['fix-permissions'] === true)
  // On stderr, where an operator looks for trouble with the set-up — still one JSON object per line.
  if (folder.warning)
    createLogger({ level: settings.logLevel, write: (line) => io.stderr.write(line) }).warn(
      OPEN_FOLDER_MESSAGE,
      { ...folder.warning },
    )
  if (folder.fixedFiles !== undefined)
    log.info('data folder permissions fixed', {
      folder: settings.data,
      mode: '700',
      files: folder.fixedFiles,
    })
  // Checked before anything is opened: a misconfigured key file is a usage error, not a half-started server.
  const unsealSecret = settings.unsealKeyFile
    ? readUnsealKeyFile(settings.unsealKeyFile)
    : undefined
  const { vault, database, location } = await openVault(settings, {
    create: true,
    onEvent: (event) => logVaultEvent(log, event),
  })
  let server: Server
  let stopping = false
  const stopSignals = new AbortController()
  try {
    await unsealAtStart(vault, unsealSecret, log, settings.publicUrl)
    const [{ createAdaptorServer }, { createWebApp }] = await Promise.all([
      import('@hono/node-server'),
      import('../../web-app.js'),
    ])
    const app = await createWebApp({
      vault,
      database,
      // The client address of per-address limits is the socket's unless proxies are trusted (limits/client-address.ts).
      config: {
        issuer: settings.publicUrl,
        trustedProxies: settings.trustedProxies,
        ...(settings.limits ? { limits: settings.limits } : {}),
      },
      // The client got an opaque 500; the operator gets the error's class, code and place (never its message).
      onUnexpectedError: (err) => log.error('unexpected error', errorFields(err)),
      // Signals reach listening vendors within a second (RFC 8935 push), until shutdown.
      signalDelivery: { stop: stopSignals.signal },
    })
    server = createAdaptorServer({
      // Slow clients are bounded (reliability campaign, "abuse"): headers must arrive within 15 s
      // (Node's default is 60 s, checked every 30 s); a whole request within 10 minutes, which
      // still lets a large restore upload through on a slow link.
      serverOptions: {
        headersTimeout: 15_000,
        requestTimeout: 600_000,
        connectionsCheckingInterval: 5_000,
      },
      // One line per request: method, path without the query (codes and states travel there), status, time.
      fetch: async (request: Request, env: unknown) => {
        const started = performance.now()
        let status = 500
        try {
          const response = await app.fetch(request, env)
          status = response.status
          return response
        } finally {
          log.info('request', {
            method: request.method,
            path: new URL(request.url).pathname,
            status,
            ms: Math.round((performance.now() - started) * 10) / 10,
          })
        }
      },
    }) as Server
    // While draining, a keep-alive connection whose last response just finished is closed at
    // once rather than after its idle timeout, so shutdown ends when the last request does.
    server.on('request', (_req, res) =>
      res.once('finish', () => stopping && setImmediate(() => server.closeIdleConnections())),
    )
    await listen(server, settings.host, settings.port)
  } catch (err) {
    await vault.close().catch(() => undefined)
    throw err
  }
  if ((settings.host === '0.0.0.0' || settings.host === '::') && !settings.sources.publicUrl) {
    // The issuer is in every token and metadata document: vendors cannot reach "0.0.0.0".
    log.warn(
      'listening on all interfaces without a public URL: set --public-url to the address browsers and vendors use',
      { url: settings.publicUrl },
    )
  }
  // The run file tells `custos status` (and the owner) where this data folder is served, whatever
  // port was chosen. Before "listening", so whoever waits for that line finds it. A failure to
  // write it costs only that convenience: a warning, and the server runs on.
  let runFile: { remove(): void } | undefined
  try {
    const written = writeRunFile(settings.data, settings.publicUrl, new Date())
    runFile = written
    if (written.previous)
      log.warn('another custos serve seemed to serve this data folder; its run file is replaced', {
        pid: written.previous.pid,
        url: written.previous.url,
      })
  } catch (err) {
    log.warn(
      'cannot write the run file: custos status will not find this server by its data folder',
      { error: (err as NodeJS.ErrnoException).code ?? 'unknown' },
    )
  }
  log.info('listening', {
    url: settings.publicUrl,
    listen: `${settings.host}:${settings.port}`,
    engine: database.engine,
    data: location,
  })

  return new Promise<number>((resolve) => {
    const shutdown = (signal: NodeJS.Signals) => {
      if (stopping) return
      stopping = true
      stopSignals.abort()
      log.info('shutting down', { signal })
      const force = setTimeout(() => {
        log.warn('in-flight requests still open; closing their connections', { afterMs: DRAIN_MS })
        server.closeAllConnections()
      }, DRAIN_MS)
      // close(): stop accepting, wait for in-flight requests; idle keep-alive sockets need not wait.
      server.close(() => {
        clearTimeout(force)
        runFile?.remove()
        vault
          .close()
          .then(() => {
            log.info('stopped')
            resolve(EXIT.ok)
          })
          .catch((err: unknown) => {
            log.error('closing the vault failed', {
              error: err instanceof Error ? err.message : 'unknown',
            })
            resolve(EXIT.failure)
          })
      })
      server.closeIdleConnections()
    }
    process.once('SIGINT', shutdown)
    process.once('SIGTERM', shutdown)
  })
}

export const serveCommand: Command = {
  name: 'serve',
  summary:
    'Serve the web app, the owner API and the consent API on one port (what `pnpm start` runs).',
  positionals: [],
  options: { ...STORAGE_OPTIONS, ...SERVER_OPTIONS, ...KDF_OPTION, ...FIX_PERMISSIONS_OPTION },
  details: `The first run finds no vault and opens the set-up page in the browser; nothing is created
until the owner sets a passphrase there. Logs are JSON lines on stdout. SIGINT/SIGTERM
finish in-flight requests (up to ${DRAIN_MS / 1000} s), flush the audit log, and exit 0.
While it runs, DATA/custos.run.json (mode 0600) holds its URL and process id, so that
custos status finds it from the data folder; a clean shutdown removes it.
Settings also come from CUSTOS_* variables and DATA/custos.json (see custos --help).
A data folder that group or others can use gets a warning on stderr; --fix-permissions makes it
0700 and its files 0600.`,
  run,
}

/**
 * The `custos` subcommands as `custos --help` lists them. Each command's module is imported only
 * when that command runs: the modules reach the vault, the API and their native and WebAssembly
 * dependencies, and `custos --help` should answer without loading any of them (README "The
 * `custos` command": under 0.3 s from the bin). Names and summaries repeat the command's own
 * (command-table.test.ts holds them equal).
 */
import type { Command } from './args.js'

/** One subcommand: what the command list shows, and how to load the rest. */
export interface CommandEntry {
  readonly name: string
  readonly summary: string
  load(): Promise<Command>
}

/** Every subcommand, in the order `custos --help` lists them. */
export const COMMANDS: readonly CommandEntry[] = [
  {
    name: 'serve',
    summary:
      'Serve the web app, the owner API and the consent API on one port (what `pnpm start` runs).',
    load: async () => (await import('./commands/serve.js')).serveCommand,
  },
  {
    name: 'init',
    summary: 'Create the vault and print its recovery key once.',
    load: async () => (await import('./commands/init.js')).initCommand,
  },
  {
    name: 'unlock',
    summary: 'Unlock a running server (passphrase or recovery key).',
    load: async () => (await import('./commands/unlock.js')).unlockCommand,
  },
  {
    name: 'status',
    summary: 'Show the vault state, id, KDF, data folder, engine (and counts when unlocked).',
    load: async () => (await import('./commands/status.js')).statusCommand,
  },
  {
    name: 'passwd',
    summary: 'Change the passphrase (with the current one, or the recovery key).',
    load: async () => (await import('./commands/passwd.js')).passwdCommand,
  },
  {
    name: 'rotate-keys',
    summary: 'Rotate the data key and re-encrypt every record (with progress).',
    load: async () => (await import('./commands/rotate-keys.js')).rotateKeysCommand,
  },
  {
    name: 'import-purchases',
    summary: 'Import purchase history from a shop, payment or email export (preview first).',
    load: async () => (await import('./commands/import-purchases.js')).importPurchasesCommand,
  },
  {
    name: 'backup',
    summary: 'Write an encrypted backup of the whole vault to FILE.',
    load: async () => (await import('./commands/backup.js')).backupCommand,
  },
  {
    name: 'restore',
    summary: 'Replace the vault with an encrypted backup (verified whole first).',
    load: async () => (await import('./commands/restore.js')).restoreCommand,
  },
  {
    name: 'export',
    summary: 'Write the portable JSON export (plaintext) to FILE.',
    load: async () => (await import('./commands/export.js')).exportCommand,
  },
  {
    name: 'import',
    summary: 'Import a portable JSON export from FILE into the vault.',
    load: async () => (await import('./commands/import.js')).importCommand,
  },
  {
    name: 'verify-audit',
    summary: 'Verify the audit log hash chain (exit 4 names the first bad entry).',
    load: async () => (await import('./commands/verify-audit.js')).verifyAuditCommand,
  },
  {
    name: 'mcp',
    summary: 'Serve your assistant over MCP (stdio), through its own grant (--connect creates it).',
    load: async () => (await import('./commands/mcp.js')).mcpCommand,
  },
  {
    name: 'verify-thread',
    summary: 'Verify an exported conversation offline (exit 4 names the first bad message).',
    load: async () => (await import('./commands/verify-thread.js')).verifyThreadCommand,
  },
]

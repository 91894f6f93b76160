import type { Vault } from '@custos/vault'

/** A download: the body and its headers (an attachment, never cached or sniffed). */
export interface BackupDownload {
  readonly body: ReadableStream<Uint8Array>
  readonly headers: Record<string, string>
}

/**
 * The encrypted backup as a download, the owner actions' `backup()` (`GET /owner/backup`, the settings page). The
 * first chunk is read before any header is sent, so a refusal (sealed, integrity) still becomes a
 * proper error response; a failure later cuts the stream short, and a cut-short backup lacks its
 * final tag, so every restore refuses it.
 */
export async function backupDownload(vault: Vault, now: Date): Promise<BackupDownload> {
  const chunks = vault.backup()[Symbol.asyncIterator]()
  const first = await chunks.next()
  const body = new ReadableStream<Uint8Array>({
    start(controller) {
      if (first.done) controller.close()
      else controller.enqueue(first.value)
    },
    async pull(controller) {
      try {
        const next = await chunks.next()
        if (next.done) controller.close()
        else controller.enqueue(next.value)
      } catch (err) {
        controller.error(err)
      }
    },
    async cancel() {
      await chunks.return?.()
    },
  })
  return {
    body,
    headers: downloadHeaders('application/octet-stream', `custos-backup-${day(now)}.custos`),
  }
}

/** Headers of an owner download: an attachment, never cached or sniffed. */
export function downloadHeaders(type: string, filename: string): Record<string, string> {
  return {
    'content-type': type,
    'content-disposition': `attachment; filename="${filename}"`,
    'cache-control': 'no-store',
    'x-content-type-options': 'nosniff',
  }
}

/** The date part of a download's file name (UTC). */
export const day = (now: Date) => now.toISOString().slice(0, 10)

import { Hono } from 'hono'
import type { OwnerPageKit } from '@custos/consent-api'
import { readForm } from './form-values.js'
import { type PageEnv, ownerGate } from './owner-gate.js'
import { restoreBodyLimit, restoreRefusal, restoreUpload } from './restore-upload.js'
import { renderSettings } from './settings-view.js'

const today = (now: Date) => now.toISOString().slice(0, 10)

/** Export (plain JSON), encrypted backup (streamed) and restore, all from the settings page. */
export function settingsBackupRoutes(kit: OwnerPageKit): Hono<PageEnv> {
  const routes = new Hono<PageEnv>()
  const gate = ownerGate(kit)

  // POST (with the CSRF token), not a link: each download is an audited act on the vault.
  routes.post('/settings/export', gate, async (c) => {
    const doc = await kit.vault.exportJson()
    return c.body(JSON.stringify(doc, null, 2), 200, {
      'content-type': 'application/json; charset=utf-8',
      'content-disposition': `attachment; filename="custos-export-${today(kit.now())}.json"`,
      'cache-control': 'no-store',
      'x-content-type-options': 'nosniff',
    })
  })

  routes.post('/settings/backup', gate, async (c) => {
    const chunks = kit.vault.backup()[Symbol.asyncIterator]()
    // The first chunk before any header, so a refusal still becomes an error page.
    const first = await chunks.next()
    const stream = new ReadableStream<Uint8Array>({
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
          // Cut short: the backup's final tag is missing, so any restore refuses the partial file.
          controller.error(err)
        }
      },
      async cancel() {
        await chunks.return?.()
      },
    })
    return c.body(stream, 200, {
      'content-type': 'application/octet-stream',
      'content-disposition': `attachment; filename="custos-backup-${today(kit.now())}.custos"`,
      'cache-control': 'no-store',
      'x-content-type-options': 'nosniff',
    })
  })

  // The limit first: it refuses an oversized declared length before the gate reads the body.
  routes.post('/settings/restore', restoreBodyLimit(), gate, async (c) => {
    const upload = await restoreUpload(await readForm(c))
    if (!('bytes' in upload)) return renderSettings(c, kit, 400, { restore: upload })
    const { bytes, credentials } = upload
    let done: { value: void } | undefined
    try {
      // Never beside a key rotation: the restore replaces the keys a rotation is using.
      done = await kit.keyJob.runExclusive(() => kit.vault.restore(bytes, credentials))
    } catch (err) {
      const refusal = restoreRefusal(err, kit.now())
      if (!refusal) throw err
      return renderSettings(c, kit, refusal.status, { restore: refusal.problem })
    }
    if (!done) return renderSettings(c, kit, 409, { restore: { field: 'backup', message: 'A key rotation is running. Nothing was restored; try again when it has finished.' } })
    // The vault now holds the backup's contents and keys: every session ends, this one too.
    await kit.endSession(c, c.var.session)
    await kit.endAllSessions()
    return c.redirect('/signin?restored=1', 303)
  })

  return routes
}

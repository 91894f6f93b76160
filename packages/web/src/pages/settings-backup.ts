import { Hono, type MiddlewareHandler } from 'hono'
import { type OwnerPageKit, day, downloadHeaders } from '@custos/consent-api'
import { readForm } from './form-values.js'
import { type PageEnv, ownerGate } from './owner-gate.js'
import { restoreBodyLimit, restoreRefusal, restoreUpload } from './restore-upload.js'
import { renderSettings } from './settings-view.js'
import { secretRefusal } from './unlock-forms.js'

/** Export (plain JSON), encrypted backup (streamed) and restore, all from the settings page. */
export function settingsBackupRoutes(kit: OwnerPageKit): Hono<PageEnv> {
  const routes = new Hono<PageEnv>()
  const gate = ownerGate(kit)

  // POST (with the CSRF token), not a link: each download is an audited act on the vault. The
  // export is everything in plaintext, so it asks for the passphrase again (issue 10), as a
  // password manager does: a browser left signed in is not enough. Checked by the vault,
  // throttled and audited like an unlock.
  routes.post('/settings/export', gate, async (c) => {
    const passphrase = (await readForm(c)).text('passphrase')
    if (!passphrase || passphrase.length > 1024)
      return renderSettings(c, kit, 400, { export: 'Type your passphrase to download the export.' })
    try {
      await kit.actions.verifyOwner({ passphrase }, { origin: 'browser' })
    } catch (err) {
      const refusal = secretRefusal(err, kit.now())
      if (!refusal) throw err
      return renderSettings(c, kit, refusal.status, {
        export:
          refusal.status === 401
            ? 'That is not your passphrase. Nothing was exported.'
            : refusal.message,
      })
    }
    const doc = await kit.actions.exportJson()
    return c.body(
      JSON.stringify(doc, null, 2),
      200,
      downloadHeaders('application/json; charset=utf-8', `custos-export-${day(kit.now())}.json`),
    )
  })

  routes.post('/settings/backup', gate, async (c) => {
    const { body, headers } = await kit.actions.backup()
    return c.body(body, 200, headers)
  })

  // The limit before the gate (which reads the form for its CSRF field), but only once a session
  // cookie is found: hono's limit buffers a body sent without Content-Length whole before the next
  // handler runs, so a stranger's upload must meet the gate's redirect first, unread.
  const limit = restoreBodyLimit()
  const limitForSessions: MiddlewareHandler<PageEnv> = async (c, next) =>
    kit.actions.read.isUnsealed() && (await kit.session(c)) ? limit(c, next) : next()
  routes.post('/settings/restore', limitForSessions, gate, async (c) => {
    const upload = await restoreUpload(await readForm(c))
    if (!('bytes' in upload)) return renderSettings(c, kit, 400, { restore: upload })
    const { bytes, credentials } = upload
    let done: 'restored' | 'busy'
    try {
      // Never beside a key rotation: the restore replaces the keys a rotation is using.
      done = await kit.actions.restore(bytes, credentials, { origin: 'browser' })
    } catch (err) {
      const refusal = restoreRefusal(err, kit.now())
      if (!refusal) throw err
      return renderSettings(c, kit, refusal.status, { restore: refusal.problem })
    }
    if (done === 'busy')
      return renderSettings(c, kit, 409, {
        restore: {
          field: 'backup',
          message:
            'A key rotation is running. Nothing was restored; try again when it has finished.',
        },
      })
    // The vault now holds the backup's contents and keys: every session ended (the restore's
    // own step), and this browser's cookie goes too.
    await kit.endSession(c, c.var.session)
    return c.redirect('/signin?restored=1', 303)
  })

  return routes
}

import { Hono } from 'hono'
import { bodyLimit } from 'hono/body-limit'
import { html } from 'hono/html'
import type { Order, ValidationIssue } from '@custos/vault'
import type { ImportRow, OwnerPageKit } from '@custos/consent-api'
import { readForm } from './form-values.js'
import { type Html, csrfField, notice, page } from './layout.js'
import { type PageEnv, ownerGate } from './owner-gate.js'
import { formatAmount } from './spending-chart.js'

/**
 * `/purchases/import`: CSV or JSON purchase imports in two steps. "Preview import" uploads the
 * file and shows every row — valid, or with its issues (fixed messages, never the cell echoed)
 * — and writes nothing; "Import N purchases" writes the N valid rows in one transaction. The
 * file is not kept on the server between the steps: its text rides back in a hidden field of the
 * confirm form, bounded by {@link FILE_MAX_BYTES}, and is parsed again on confirm; if it no longer
 * yields N valid rows (edited in between), nothing is written and the owner previews again.
 */
export const FILE_MAX_BYTES = 2 * 1024 * 1024
/**
 * The form around the file: multipart overhead and the other fields. Twice the file: on confirm
 * the text comes back in a form field, and browsers send each of its line breaks as CRLF (HTML,
 * "multipart/form-data encoding algorithm") — a file saved with LF line ends grows by one byte a
 * line, at most double.
 */
const BODY_MAX_BYTES = 2 * FILE_MAX_BYTES + 64 * 1024
/** Valid rows listed in the preview; rows with issues are all listed (up to the file's limit). */
const PREVIEW_VALID_ROWS = 100
const PREVIEW_ISSUE_ROWS = 500

type Format = 'csv' | 'json'

function detectFormat(chosen: string, fileName: string, text: string): Format {
  if (chosen === 'csv' || chosen === 'json') return chosen
  if (/\.json$/i.test(fileName)) return 'json'
  if (/\.csv$/i.test(fileName)) return 'csv'
  return text.trimStart().startsWith('[') ? 'json' : 'csv'
}

function uploadForm(csrfToken: string): Html {
  return html`<form method="post" action="/purchases/import" enctype="multipart/form-data">${csrfField(csrfToken)}<input type="hidden" name="step" value="preview">
<label for="import-file">File (CSV or JSON, up to ${FILE_MAX_BYTES / 1024 / 1024} MB)</label><input type="file" id="import-file" name="file" accept=".csv,.json,text/csv,application/json" required aria-describedby="import-help">
<label for="import-format">Format</label><select id="import-format" name="format"><option value="auto">Detect from the file</option><option value="csv">CSV</option><option value="json">JSON</option></select>
<p><button type="submit">Preview import</button></p></form>
<div id="import-help" class="muted"><p>CSV: a header row naming some of <code>seller, orderDate, orderNumber, category, currency, total, notes</code> (seller, orderDate, currency and total are required), then one purchase per row. Dates as <code>2026-03-14</code>, amounts as <code>129.90</code>.</p>
<p>JSON: an array of orders such as <code>[{"seller": "Fjord Outdoor", "orderDate": "2026-03-14", "currency": "EUR", "total": 129.9}]</code>, optionally with <code>items</code>.</p></div>`
}

const issueList = (issues: readonly ValidationIssue[]) => html`<ul class="issues">${issues.map((i) => html`<li><code>${i.path}</code>: ${i.message}</li>`)}</ul>`

function previewTable(rows: readonly ImportRow[]): Html {
  const valid = rows.filter((r) => r.order)
  const invalid = rows.filter((r) => r.issues)
  const shownValid = valid.slice(0, PREVIEW_VALID_ROWS)
  const shownInvalid = invalid.slice(0, PREVIEW_ISSUE_ROWS)
  const row = (r: ImportRow) => {
    const o = r.order as Order | undefined
    return r.issues
      ? html`<tr class="row-invalid"><td>${r.index + 1}</td><td colspan="4"><span class="badge error">Will be skipped</span>${issueList(r.issues)}</td></tr>`
      : html`<tr><td>${r.index + 1}</td><td>${o?.orderDate.slice(0, 10)}</td><td>${o?.seller}</td><td>${o?.category ?? ''}</td><td>${o ? formatAmount(o.total, o.currency) : ''}</td></tr>`
  }
  return html`<div class="table-wrap"><table class="import-preview"><caption>Rows in the file</caption><thead><tr><th scope="col">Row</th><th scope="col">Date</th><th scope="col">Seller</th><th scope="col">Category</th><th scope="col">Total</th></tr></thead>
<tbody>${[...shownInvalid, ...shownValid].sort((a, b) => a.index - b.index).map(row)}</tbody></table></div>
${valid.length > shownValid.length ? html`<p class="muted">${valid.length - shownValid.length} more valid rows are not listed.</p>` : ''}${
    invalid.length > shownInvalid.length ? html`<p class="muted">${invalid.length - shownInvalid.length} more rows with issues are not listed.</p>` : ''
  }`
}

export function purchaseImportPages(kit: OwnerPageKit): Hono<PageEnv> {
  const routes = new Hono<PageEnv>()
  // The app-wide body limit skips this path (consent-api body-limits.ts): a file needs more room.
  // The larger limit applies only once a session cookie is found, so nobody without a session
  // makes the server read more than the default — the gate then checks the CSRF field.
  const limit = bodyLimit({ maxSize: BODY_MAX_BYTES, onError: (c) => c.text(`The file is too large: at most ${FILE_MAX_BYTES / 1024 / 1024} MB.`, 413) })
  routes.use('*', async (c, next) => (c.req.method === 'POST' && kit.vault.isUnsealed() && (await kit.session(c)) ? limit(c, next) : next()))
  routes.use('*', ownerGate(kit))

  const show = (c: Parameters<typeof page>[0], status: 200 | 400 | 413, body: Html) =>
    page(c, status, 'Import purchases', html`<h1>Import purchases</h1>${body}<p><a href="/purchases">Back to purchases</a></p>`, { csrfToken: c.var.session.csrfToken, current: '/purchases' })

  routes.get('/', (c) => show(c, 200, uploadForm(c.var.session.csrfToken)))

  routes.post('/', async (c) => {
    const csrfToken = c.var.session.csrfToken
    const form = await readForm(c)
    const again = (status: 400 | 413, message: string, issues: readonly ValidationIssue[] = []) =>
      show(c, status, html`${notice('error', message)}${issues.length > 0 ? issueList(issues) : ''}${uploadForm(csrfToken)}`)

    if (form.text('step') === 'confirm') {
      const text = form.text('content')
      const format = form.text('format')
      const expected = Number(form.text('expected'))
      if ((format !== 'csv' && format !== 'json') || text === '' || !Number.isInteger(expected) || expected < 1) return again(400, 'The import form was incomplete. Choose the file again.')
      // Measured with LF line ends: the CRLFs the browser added are not the owner's file growing.
      if (new TextEncoder().encode(text.replace(/\r\n/g, '\n')).byteLength > FILE_MAX_BYTES) return again(413, `The file is too large: at most ${FILE_MAX_BYTES / 1024 / 1024} MB.`)
      const preview = kit.importRows(format, text)
      const orders = preview.ok ? preview.rows.flatMap((r) => (r.order ? [r.order] : [])) : []
      if (orders.length !== expected) return again(400, 'The file changed since the preview, so nothing was imported. Preview it again.')
      await kit.vault.purchases.addMany(orders, { provenance: 'import' })
      return c.redirect(`/purchases?imported=${orders.length}`, 303)
    }

    const file = form.file('file')
    if (!file) return again(400, 'Choose a CSV or JSON file to preview.')
    if (file.size > FILE_MAX_BYTES) return again(413, `The file is too large: at most ${FILE_MAX_BYTES / 1024 / 1024} MB.`)
    let text: string
    try {
      text = new TextDecoder('utf-8', { fatal: true }).decode(await file.arrayBuffer()).replace(/^\uFEFF/, '')
    } catch {
      return again(400, 'The file is not UTF-8 text. Save it as UTF-8 CSV or JSON and try again.')
    }
    const format = detectFormat(form.text('format'), file.name, text)
    const preview = kit.importRows(format, text)
    if (!preview.ok) return again(400, `${preview.title}. Nothing was imported.`, preview.issues)
    const valid = preview.rows.filter((r) => r.order).length
    const invalid = preview.rows.length - valid
    return show(
      c,
      200,
      html`<p role="status">${format.toUpperCase()} file with ${preview.rows.length} row${preview.rows.length === 1 ? '' : 's'}: <strong>${valid} valid</strong>${invalid > 0 ? html`, <strong class="error">${invalid} with issues</strong> (they will be skipped; fix them in the file and import it again to add them)` : ''}. Nothing has been imported yet.</p>
${previewTable(preview.rows)}
${
  valid > 0
    ? html`<form method="post" action="/purchases/import" enctype="multipart/form-data">${csrfField(csrfToken)}<input type="hidden" name="step" value="confirm"><input type="hidden" name="format" value="${format}"><input type="hidden" name="expected" value="${valid}"><input type="hidden" name="content" value="${text}">
<p><button type="submit">Import ${valid} purchase${valid === 1 ? '' : 's'}</button> <a href="/purchases/import">Choose another file</a></p></form>`
    : html`<p>No row can be imported. <a href="/purchases/import">Choose another file</a></p>`
}`,
    )
  })

  return routes
}

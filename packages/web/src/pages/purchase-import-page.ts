import { Hono } from 'hono'
import { bodyLimit } from 'hono/body-limit'
import { html } from 'hono/html'
import type { Order, ValidationIssue } from '@custos/vault'
import {
  AMOUNT_HINT,
  COLUMN_WORDS,
  CSV_COLUMNS,
  type CsvImportOptions,
  type CsvLayout,
  DATE_ORDERS,
  DATE_ORDER_WORDS,
  type DetectedDateOrder,
  type ImportFile,
  type ImportRow,
  type OwnerPageKit,
  type TextImportFormat,
  detectImportFormat,
} from '@custos/consent-api'
import { type FormValues, readForm } from './form-values.js'
import { type Html, csrfField, notice, page } from './layout.js'
import { type PageEnv, ownerGate } from './owner-gate.js'
import { formatAmount } from './spending-chart.js'

/**
 * `/purchases/import`: CSV or JSON purchase imports in two steps. "Preview import" uploads the
 * file and shows every row — valid, or with its issues (fixed messages, never the cell echoed)
 * — and writes nothing; "Import N purchases" writes the N valid rows in one transaction. A CSV
 * header the import does not understand leads to a mapping step first (a select per column); rows
 * that repeat a purchase already in the vault (or an earlier row) are marked and left out unless
 * the owner ticks "import them anyway". The file is not kept on the server between the steps: its text rides back in a hidden field of the
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

type Format = TextImportFormat
const FORMATS: readonly Format[] = ['csv', 'json', 'amazon', 'paypal', 'email']
const isFormat = (f: string): f is Format => (FORMATS as readonly string[]).includes(f)

/** What each format is, in the owner's words (the choice and the preview's summary). */
const FORMAT_WORDS: Record<Format, string> = {
  csv: 'CSV',
  json: 'JSON',
  amazon: 'Amazon order history',
  paypal: 'PayPal activity',
  email: 'Email',
}

/** The format the owner chose, or the one the file shows. */
function detectFormat(chosen: string, fileName: string, text: string): Format {
  return isFormat(chosen) ? chosen : detectImportFormat(fileName, text.slice(0, 4096))
}

/** The names a file of an import may have; in a chosen folder, other files (a `.DS_Store`) are left out. */
const IMPORT_FILE_NAME = /\.(csv|json|eml|mbox|mbx)$/i

/**
 * The upload: one or several files, or a whole folder (of confirmation emails, say) through a
 * second box, since a browser's folder picker chooses folders only. The progress bar is filled
 * by the page's script from the upload's progress events (custos.js); without the script the
 * form posts as it is and the bar stays hidden.
 */
function uploadForm(csrfToken: string): Html {
  return html`<form method="post" action="/purchases/import" enctype="multipart/form-data" class="import-upload" data-upload-progress>${csrfField(csrfToken)}<input type="hidden" name="step" value="preview">
<label for="import-file">Files (CSV, JSON or email; one or several, up to ${FILE_MAX_BYTES / 1024 / 1024} MB together)</label><input type="file" id="import-file" name="file" multiple accept=".csv,.json,.eml,.mbox,text/csv,application/json,message/rfc822,application/mbox" aria-describedby="import-help">
<label for="import-folder">Or a folder (of confirmation emails, for example)</label><input type="file" id="import-folder" name="folder" multiple webkitdirectory>
<label for="import-format">Format</label><select id="import-format" name="format"><option value="auto">Detect from the file</option><option value="amazon">Amazon order history (Retail.OrderHistory.1.csv)</option><option value="paypal">PayPal activity download (CSV)</option><option value="email">Order confirmation emails (.eml or .mbox)</option><option value="csv">Any other CSV (a shop's or bank's)</option><option value="json">JSON</option></select>
<p><button type="submit">Preview import</button></p><progress class="upload-progress" max="100" value="0" hidden aria-label="Upload"></progress></form>
<div id="import-help" class="muted"><p>Choose several files at once — your Amazon export, your PayPal download and your confirmation emails — and they are previewed together, each row with the file it comes from; a purchase found in two of them is imported once. <strong>Amazon:</strong> in the archive Amazon sends when you “Request your data”, the file <code>Retail.OrderHistory.1.csv</code>; the items of one order become one purchase, cancelled orders are left out. <strong>PayPal:</strong> Activity → Download → CSV; completed payments you made become purchases, refunds, transfers and money you received are listed and left out. <strong>Emails:</strong> one message saved as <code>.eml</code>, or a mailbox exported as <code>.mbox</code>; orders are taken from the schema.org order markup shops put in confirmation emails, and messages without it are listed and left out, never guessed at. For mailboxes larger than this page takes, use <code>custos import-purchases FILE --format email</code>.</p>
<p>CSV (separated by commas, semicolons or tabs, as spreadsheets save it): a header row, then one purchase per row. Common column names are understood in several languages — seller, merchant, shop or Händler; date, order date or Datum; amount, total or Betrag; currency or Währung; order number or Bestellnummer; category; notes — and you can say what other columns hold in the next step. Seller, date and total are required; the currency too, unless you choose one for every row. Dates as <code>2026-03-14</code>, <code>14.03.2026</code>, <code>14/03/2026</code> or <code>03/14/2026</code> (which of the last two is detected, and you can change it). ${AMOUNT_HINT}</p>
<p>Rows that repeat a purchase you already have (same seller, date, total and order number) are marked in the preview and left out unless you choose otherwise.</p>
<p>JSON: an array of orders such as <code>[{"seller": "Fjord Outdoor", "orderDate": "2026-03-14", "currency": "EUR", "total": 129.9}]</code>, optionally with <code>items</code>.</p></div>`
}

const issueList = (issues: readonly ValidationIssue[]) =>
  html`<ul class="issues">${issues.map((i) => html`<li>${i.message}</li>`)}</ul>`

/** The preview's rows; with several files, each says which file it comes from. */
function previewTable(rows: readonly ImportRow[], several: boolean): Html {
  const valid = rows.filter((r) => r.order)
  const invalid = rows.filter((r) => r.issues || r.skipped)
  const shown = new Set([
    ...valid.slice(0, PREVIEW_VALID_ROWS),
    ...invalid.slice(0, PREVIEW_ISSUE_ROWS),
  ])
  const row = (r: ImportRow) => {
    const o = r.order as Order | undefined
    const place = r.where ?? String(r.index + 1)
    const at = several && r.source ? html`${r.source}<br>${place}` : place
    if (r.skipped)
      return html`<tr class="row-skipped"><td>${at}</td><td colspan="4"><span class="badge">Left out: ${r.skipped}</span></td></tr>`
    return r.issues
      ? html`<tr class="row-invalid"><td>${at}</td><td colspan="4"><span class="badge error">Will be skipped</span>${issueList(r.issues)}</td></tr>`
      : html`<tr${r.duplicate ? html` class="row-duplicate"` : ''}><td>${at}</td><td>${o?.orderDate.slice(0, 10)}</td><td>${o?.seller}${r.duplicate ? html` <span class="badge">${r.duplicate === 'vault' ? 'Already in your purchases' : 'Repeats an earlier row'}</span>` : ''}</td><td>${o?.category ?? ''}</td><td class="num">${o ? formatAmount(o.total, o.currency) : ''}</td></tr>`
  }
  return html`<div class="table-wrap"><table class="import-preview"><caption>${several ? 'Rows in the files' : 'Rows in the file'}</caption><thead><tr><th scope="col">${several ? 'File and row' : 'Row'}</th><th scope="col">Date</th><th scope="col">Seller</th><th scope="col">Category</th><th scope="col">Total</th></tr></thead>
<tbody>${rows.filter((r) => shown.has(r)).map(row)}</tbody></table></div>
${valid.length > PREVIEW_VALID_ROWS ? html`<p class="muted">${valid.length - PREVIEW_VALID_ROWS} more valid rows are not listed.</p>` : ''}${
  invalid.length > PREVIEW_ISSUE_ROWS
    ? html`<p class="muted">${invalid.length - PREVIEW_ISSUE_ROWS} more rows with issues are not listed.</p>`
    : ''
}`
}

/** The owner's column mapping and default currency from the mapping step (or the hidden fields that carry them on). */
function csvOptions(form: FormValues): CsvImportOptions {
  const mapped = form.text('columns')
  const selects = form.all('column')
  const columns = selects.length > 0 ? selects : mapped !== '' ? mapped.split(',') : undefined
  const currency = form.text('currency_all').toUpperCase()
  const dateOrder = DATE_ORDERS.find((d) => d === form.text('date_order'))
  return {
    ...(columns ? { columns: columns.slice(0, 50) } : {}),
    ...(/^[A-Z]{3}$/.test(currency) ? { currency } : {}),
    ...(dateOrder ? { dateOrder } : {}),
  }
}

function hiddenOptions(options: CsvImportOptions, withDateOrder = true): Html {
  return html`${options.columns ? html`<input type="hidden" name="columns" value="${options.columns.join(',')}">` : ''}${options.currency ? html`<input type="hidden" name="currency_all" value="${options.currency}">` : ''}${withDateOrder && options.dateOrder ? html`<input type="hidden" name="date_order" value="${options.dateOrder}">` : ''}`
}

/**
 * How dates like `03/04/2026` were read, and a form to read them the other way: the file is
 * previewed again, nothing is written. Said loudly when the file did not settle it.
 */
function dateOrderForm(
  csrfToken: string,
  file: ImportFile,
  detected: DetectedDateOrder,
  options: CsvImportOptions,
): Html {
  const order = detected.order
  if (order === undefined) return html``
  return html`<form method="post" action="/purchases/import" enctype="multipart/form-data" class="date-order">${csrfField(csrfToken)}<input type="hidden" name="step" value="preview">${hiddenOptions(options, false)}${hiddenFiles([file])}
<p${detected.certain ? '' : html` class="error"`}>${detected.certain ? 'Dates are read as' : 'The file does not show whether dates are day or month first: they are read as'} ${DATE_ORDER_WORDS[order]}.</p>
<label for="date-order">Read dates as</label><select id="date-order" name="date_order">${DATE_ORDERS.map((d) => html`<option value="${d}"${d === order ? html` selected` : ''}>${DATE_ORDER_WORDS[d]}</option>`)}</select> <button type="submit">Read the dates again</button></form>`
}

/** The mapping step: what each column of the file holds (a select per column), and one currency for every row when no column holds it. */
function mappingForm(
  csrfToken: string,
  file: ImportFile,
  layout: CsvLayout,
  options: CsvImportOptions,
): Html {
  const choice = (i: number) => layout.columns[i] ?? 'ignore'
  const needsCurrency = !layout.columns.includes('currency')
  return html`<form method="post" action="/purchases/import" enctype="multipart/form-data" class="column-mapping">${csrfField(csrfToken)}<input type="hidden" name="step" value="preview">${hiddenFiles([{ ...file, format: 'csv' }])}
<fieldset><legend>What each column holds</legend>${layout.headers.map(
    (header, i) =>
      html`<div class="form-field"><label for="column-${i}">Column ${i + 1}${header.trim() ? html` “${header}”` : ''}${layout.unknown.includes(i) ? html` <span class="badge error">not recognised</span>` : ''}</label><select id="column-${i}" name="column"><option value="ignore"${choice(i) === 'ignore' ? html` selected` : ''}>Leave out</option>${CSV_COLUMNS.map(
        (col) =>
          html`<option value="${col}"${choice(i) === col ? html` selected` : ''}>${COLUMN_WORDS[col][0]?.toUpperCase()}${COLUMN_WORDS[col].slice(1)}</option>`,
      )}</select></div>`,
  )}</fieldset>
${needsCurrency ? html`<div class="form-field"><label for="currency-all">Currency of every row (no column holds it)</label><input type="text" id="currency-all" name="currency_all" value="${options.currency ?? 'EUR'}" maxlength="3"></div>` : ''}
<p><button type="submit">Preview import</button> <a href="/purchases/import">Choose another file</a></p></form>`
}

/** Files one upload may hold: a year of confirmation emails, with room to spare. */
const FILES_MAX = 500

/**
 * The files a page carries between its steps, as repeated `name`, `format` and `content`
 * fields in the same order (`name` may be left out); an empty list when the form carries none (a first upload), and
 * undefined when the three lists do not line up.
 */
function carriedFiles(form: FormValues): ImportFile[] | undefined {
  const names = form.all('name')
  const formats = form.all('format')
  const contents = form.all('content')
  if (contents.length === 0) return []
  // A form without names (an older page, a script) still imports: its files are called "file".
  if (formats.length !== contents.length || (names.length > 0 && names.length !== contents.length))
    return undefined
  const files: ImportFile[] = []
  for (const [i, text] of contents.entries()) {
    const format = formats[i] ?? ''
    if (!isFormat(format) || text === '' || contents.length > FILES_MAX) return undefined
    files.push({ name: (names[i] ?? '').slice(0, 300) || 'file', format, text })
  }
  return files
}

/** Measured with LF line ends: the CRLFs the browser added to a field are not the owner's file growing. */
const filesTooLarge = (files: readonly ImportFile[]) =>
  files.reduce(
    (n, f) => n + new TextEncoder().encode(f.text.replace(/\r\n/g, '\n')).byteLength,
    0,
  ) > FILE_MAX_BYTES

/** An uploaded file as the text the page carries, in the format chosen or detected; undefined when a text format is not UTF-8. */
function fileText(chosen: string, name: string, bytes: Uint8Array): ImportFile | undefined {
  // Mail is bytes in any charset (each part says its own): carried as Latin-1, one character a byte.
  // (Node's latin1 is ISO-8859-1; the WHATWG decoder of that name is windows-1252, not 1:1.)
  const latin1 = () => Buffer.from(bytes).toString('latin1')
  if (chosen === 'email' || /\.(eml|mbox|mbx)$/i.test(name))
    return { name, format: 'email', text: latin1() }
  let text: string
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes).replace(/^\uFEFF/, '')
  } catch {
    return undefined
  }
  const format = detectFormat(chosen, name, text)
  return { name, format, text: format === 'email' ? latin1() : text }
}

const hiddenFiles = (files: readonly ImportFile[]) =>
  files.map(
    (f) =>
      html`<input type="hidden" name="name" value="${f.name}"><input type="hidden" name="format" value="${f.format}"><input type="hidden" name="content" value="${f.text}">`,
  )

export function purchaseImportPages(kit: OwnerPageKit): Hono<PageEnv> {
  const routes = new Hono<PageEnv>()
  // The app-wide body limit skips this path (consent-api body-limits.ts): a file needs more room.
  // The larger limit applies only once a session cookie is found, so nobody without a session
  // makes the server read more than the default — the gate then checks the CSRF field.
  const limit = bodyLimit({
    maxSize: BODY_MAX_BYTES,
    onError: (c) =>
      c.text(`The file is too large: at most ${FILE_MAX_BYTES / 1024 / 1024} MB.`, 413),
  })
  routes.use('*', async (c, next) =>
    c.req.method === 'POST' && kit.actions.read.isUnsealed() && (await kit.session(c))
      ? limit(c, next)
      : next(),
  )
  routes.use('*', ownerGate(kit))

  const show = (c: Parameters<typeof page>[0], status: 200 | 400 | 413, body: Html) =>
    page(
      c,
      status,
      'Import purchases',
      html`<h1>Import purchases</h1>${body}<p><a href="/purchases">Back to purchases</a></p>`,
      { csrfToken: c.var.session.csrfToken, current: '/purchases' },
    )

  routes.get('/', (c) => show(c, 200, uploadForm(c.var.session.csrfToken)))

  routes.post('/', async (c) => {
    const csrfToken = c.var.session.csrfToken
    const form = await readForm(c)
    const again = (status: 400 | 413, message: string, issues: readonly ValidationIssue[] = []) =>
      show(
        c,
        status,
        html`${notice('error', message)}${issues.length > 0 ? issueList(issues) : ''}${uploadForm(csrfToken)}`,
      )
    const tooLarge = () =>
      again(413, `The files are too large: at most ${FILE_MAX_BYTES / 1024 / 1024} MB together.`)
    const options = csvOptions(form)

    if (form.text('step') === 'confirm') {
      const files = carriedFiles(form)
      const expected = Number(form.text('expected'))
      if (!files || files.length === 0 || !Number.isInteger(expected) || expected < 1)
        return again(400, 'The import form was incomplete. Choose the files again.')
      if (filesTooLarge(files)) return tooLarge()
      const preview = await kit.actions.purchases.previewFiles(files, options)
      const valid = preview.ok ? preview.rows.filter((r) => r.order).length : 0
      if (!preview.ok || valid !== expected)
        return again(
          400,
          'The file changed since the preview, so nothing was imported. Preview it again.',
        )
      const added = await kit.actions.purchases.commitImport(
        preview.rows,
        form.has('import_duplicates') ? 'import' : 'skip',
        preview.mapping,
      )
      return c.redirect(`/purchases?imported=${added.length}`, 303)
    }

    // A first preview carries the files; a preview after the mapping step carries their text back.
    let files = carriedFiles(form)
    if (files === undefined)
      return again(400, 'The import form was incomplete. Choose the files again.')
    if (files.length > 0) {
      if (filesTooLarge(files)) return tooLarge()
    } else {
      const uploaded = [
        ...form.files('file'),
        ...form.files('folder').filter((f) => IMPORT_FILE_NAME.test(f.name)),
      ]
      if (uploaded.length === 0) return again(400, 'Choose a CSV or JSON file to preview.')
      if (uploaded.length > FILES_MAX)
        return again(400, `Choose at most ${FILES_MAX} files at once.`)
      if (uploaded.reduce((n, f) => n + f.size, 0) > FILE_MAX_BYTES) return tooLarge()
      files = []
      for (const file of uploaded) {
        const read = fileText(
          form.text('format'),
          file.name,
          new Uint8Array(await file.arrayBuffer()),
        )
        if (!read)
          return again(
            400,
            `${file.name} is not UTF-8 text. Save it as UTF-8 CSV or JSON and try again.`,
          )
        files.push(read)
      }
    }
    const several = files.length > 1
    const preview = await kit.actions.purchases.previewFiles(files, options)
    if (!preview.ok) {
      const only = files[0]
      if (preview.layout && only)
        return show(
          c,
          400,
          html`${notice('error', `${preview.title}: say what each column holds. Nothing was imported.`)}${issueList(preview.issues)}${mappingForm(csrfToken, only, preview.layout, options)}`,
        )
      return again(400, `${preview.title}. Nothing was imported.`, preview.issues)
    }
    // A mapping remembered for this file's header is what the file was read with: carried on as the owner's.
    const used = preview.mapping?.options ?? options
    const valid = preview.rows.filter((r) => r.order).length
    const skipped = preview.rows.filter((r) => r.skipped).length
    const invalid = preview.rows.length - valid - skipped
    const duplicates = preview.rows.filter((r) => r.duplicate).length
    const fresh = valid - duplicates
    const first = files[0] as ImportFile
    const what = several
      ? `${files.length} files with ${preview.rows.length} row${preview.rows.length === 1 ? '' : 's'}`
      : `${FORMAT_WORDS[first.format]} file with ${preview.rows.length} ${first.format === 'amazon' ? 'order' : 'row'}${preview.rows.length === 1 ? '' : 's'}`
    return show(
      c,
      200,
      html`<p role="status">${what}: <strong>${valid} valid</strong>${skipped > 0 ? html`, ${skipped} not purchases (left out, each with its reason)` : ''}${invalid > 0 ? html`, <strong class="error">${invalid} with issues</strong> (they will be skipped; fix them in the file and import it again to add them)` : ''}${
        duplicates > 0
          ? html`, <strong>${duplicates} already in your purchases or repeated in the files</strong> (skipped unless you tick the box below)`
          : ''
      }. Nothing has been imported yet.</p>
${several ? html`<ul class="import-files">${files.map((f) => html`<li>${f.name} — ${FORMAT_WORDS[f.format]}</li>`)}</ul>` : ''}
${preview.mapping?.recalled ? html`<p class="muted">Read with the columns, currency and date order you confirmed before for files with this header. <a href="/purchases/import">Choose another file</a> to start over.</p>` : ''}
${preview.dateOrder && !several ? dateOrderForm(csrfToken, first, preview.dateOrder, used) : ''}
${previewTable(preview.rows, several)}
${
  valid > 0
    ? html`<form method="post" action="/purchases/import" enctype="multipart/form-data">${csrfField(csrfToken)}<input type="hidden" name="step" value="confirm"><input type="hidden" name="expected" value="${valid}">${hiddenOptions(used)}${hiddenFiles(files)}
${duplicates > 0 ? html`<p><label class="check"><input type="checkbox" name="import_duplicates" value="yes"> Import the ${duplicates} duplicate${duplicates === 1 ? '' : 's'} anyway</label></p>` : ''}
<p><button type="submit">Import ${fresh} purchase${fresh === 1 ? '' : 's'}</button> <a href="/purchases/import">Choose another file</a></p></form>`
    : html`<p>No row can be imported. <a href="/purchases/import">Choose another file</a></p>`
}`,
    )
  })

  return routes
}

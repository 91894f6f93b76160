/**
 * Issue 14 (P6): Purchases → Import takes several files at once — a shop export, a payment
 * export and a folder of confirmation emails — and previews them as one list, each row with the
 * file it comes from, a purchase repeated across files marked and skipped; on confirm each
 * purchase records its file, shown on the Purchases page.
 */
import { readFileSync } from 'node:fs'
import { afterEach, describe, expect, it } from 'vitest'
import { disposePageClients, pageClient, tableRows, text } from '../support/page-client.js'

afterEach(disposePageClients)

const fixture = (name: string) =>
  readFileSync(new URL(`../../../consent-api/test/fixtures/imports/${name}`, import.meta.url))

/** The hidden fields of the confirm form, repeated ones as lists (the files ride in them). */
function confirmFields(html: string): Record<string, string[]> {
  const form =
    html
      .match(/<form method="post" action="\/purchases\/import"[\s\S]*?<\/form>/g)
      ?.find((f) => f.includes('name="step" value="confirm"')) ?? ''
  const decode = (s: string) =>
    s
      .replace(/&quot;/g, '"')
      .replace(/&#39;/g, "'")
      .replace(/&lt;/g, '<')
      .replace(/&gt;/g, '>')
      .replace(/&amp;/g, '&')
  const fields: Record<string, string[]> = {}
  for (const m of form.matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)">/g))
    (fields[m[1] as string] ??= []).push(decode(m[2] as string))
  return fields
}

describe('/purchases/import: several files and a folder', () => {
  it('previews all files as one list with their sources, marks a purchase repeated across files, and records each file on confirm', async () => {
    const p = await pageClient()
    const form = await p.get('/purchases/import')
    expect(form.html).toMatch(/<input type="file" id="import-file" name="file" multiple/)
    expect(form.html).toMatch(
      /<input type="file" id="import-folder" name="folder" multiple webkitdirectory>/,
    )
    const amazon = fixture('amazon-Retail.OrderHistory.1.csv')
      .toString('utf8')
      .replace('"twelve"', '"12.00"')
    const preview = await p.post(
      '/purchases/import',
      {
        step: 'preview',
        format: 'auto',
        file: [
          new File([amazon], 'Retail.OrderHistory.1.csv', { type: 'text/csv' }),
          new File([fixture('paypal-activity-en-GB.csv')], 'Download.CSV'),
        ],
        // A folder as the browser sends it: paths inside, and a file that is not an import.
        folder: [
          new File([fixture('order-jsonld.eml')], 'Mail/order-42.eml'),
          new File([fixture('order-jsonld.eml')], 'Mail/order-42 (forwarded).eml'),
          new File([fixture('no-markup.eml')], 'Mail/newsletter.eml'),
          new File(['\u0000\u0001'], 'Mail/.DS_Store'),
        ],
      },
      { multipart: true },
    )
    expect(preview.status).toBe(200)
    const summary = text(preview.html.match(/<p role="status">[\s\S]*?<\/p>/)?.[0] ?? '')
    expect(summary).toMatch(/^5 files with \d+ rows: /)
    expect(summary).toContain('1 already in your purchases or repeated in the files')
    const rows = tableRows(preview.html, 'import-preview')
    expect(rows[0]).toMatch(/^amazon: Retail\.OrderHistory\.1\.csv lines 2–3 .*Amazon\.de/)
    expect(rows.some((r) => r.startsWith('paypal: Download.CSV'))).toBe(true)
    const forwarded = rows.filter((r) => r.startsWith('email: order-42 (forwarded).eml'))
    expect(forwarded).toEqual([expect.stringContaining('Repeats an earlier row')])
    // A message without order markup is one row left out with its reason, the rest still import.
    expect(rows).toContain(
      'email: newsletter.eml the whole file Left out: The message has no schema.org order markup: there is nothing to import',
    )
    expect(rows.some((r) => r.includes('DS_Store'))).toBe(false)
    expect((await p.vault.purchases.list()).items).toHaveLength(0)

    const fields = confirmFields(preview.html)
    expect(fields.name).toEqual([
      'Retail.OrderHistory.1.csv',
      'Download.CSV',
      'Mail/order-42.eml',
      'Mail/order-42 (forwarded).eml',
      'Mail/newsletter.eml',
    ])
    expect(fields.format).toEqual(['amazon', 'paypal', 'email', 'email', 'email'])
    const valid = Number(fields.expected?.[0])
    const list = await p.submit('/purchases/import', fields, { multipart: true })
    expect(list.html).toContain(`Imported ${valid - 1} purchases.`)
    const { items } = await p.vault.purchases.list({ limit: 100 })
    expect(items).toHaveLength(valid - 1)
    const bySource = (source: string) => items.filter((i) => i.importSource === source).length
    expect(bySource('amazon: Retail.OrderHistory.1.csv')).toBe(4)
    expect(bySource('email: order-42.eml')).toBe(1)
    expect(bySource('email: order-42 (forwarded).eml')).toBe(0)
    expect(bySource('paypal: Download.CSV')).toBeGreaterThan(0)
    expect(items.every((i) => i.provenance === 'import')).toBe(true)
    // The Purchases page says where each came from.
    expect(text(list.html)).toContain('Imported from amazon: Retail.OrderHistory.1.csv')
    const fjord = items.find((i) => i.importSource === 'email: order-42.eml')
    const edit = await p.get(`/purchases/${fjord?.id}/edit`)
    expect(text(edit.html)).toContain('imported from email: order-42.eml')
  })

  it('refuses an upload whose carried files do not line up, and one with no file', async () => {
    const p = await pageClient()
    const crooked = await p.post(
      '/purchases/import',
      { step: 'confirm', expected: '1', name: ['a.csv', 'b.csv'], format: ['csv'], content: ['x'] },
      { multipart: true },
    )
    expect(crooked.status).toBe(400)
    expect(text(crooked.html)).toContain('The import form was incomplete')
    const none = await p.post(
      '/purchases/import',
      { step: 'preview', format: 'auto', folder: [new File(['x'], 'Mail/.DS_Store')] },
      { multipart: true },
    )
    expect(none.status).toBe(400)
    expect((await p.vault.purchases.list()).items).toHaveLength(0)
  })
})

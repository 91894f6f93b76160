/**
 * The import preview sends the file's text back in a hidden field of the confirm form. A browser
 * submits every line break of a form field as CRLF (HTML, "multipart/form-data encoding
 * algorithm"), so a file saved with LF line ends comes back one byte longer per line: a file the
 * preview accepted as within the limit must still import on confirm.
 */
import { afterEach, describe, expect, it } from 'vitest'
import { disposePageClients, pageClient } from '../support/page-client.js'
import { FILE_MAX_BYTES } from '../../src/pages/purchase-import-page.js'

afterEach(disposePageClients)

/** The confirm form's hidden fields, as a browser sends them: entities decoded, line breaks as CRLF. */
function asBrowserSendsBack(html: string): Record<string, string> {
  const form =
    html
      .match(
        /<form method="post" action="\/purchases\/import" enctype="multipart\/form-data">[\s\S]*?<\/form>/g,
      )
      ?.find((f) => f.includes('value="confirm"')) ?? ''
  const decode = (s: string) =>
    s
      .replace(/&quot;/g, '"')
      .replace(/&#39;/g, "'")
      .replace(/&lt;/g, '<')
      .replace(/&gt;/g, '>')
      .replace(/&amp;/g, '&')
  return Object.fromEntries(
    [...form.matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)">/g)].map((m) => [
      m[1] as string,
      decode(m[2] as string).replace(/\r\n|\r|\n/g, '\r\n'),
    ]),
  )
}

describe('/purchases/import near the size limit', () => {
  it('imports an LF file just under the limit after the browser turned its line ends into CRLF', async () => {
    const p = await pageClient()
    // Each row its own order number (fixed width, so every full row has the same size): since
    // issue 10, identical rows would be marked as repeats and left out of the import.
    const header = 'seller,orderDate,orderNumber,currency,total,notes\n'
    const rows: string[] = []
    const row = (notes: string) =>
      `Fjord Outdoor,2026-03-14,N${String(rows.length).padStart(5, '0')},EUR,12.50,${notes}\n`
    let size = header.length
    while (size + row('n'.repeat(3900)).length < FILE_MAX_BYTES - 200) {
      const full = row('n'.repeat(3900))
      rows.push(full)
      size += full.length
    }
    rows.push(row('n'.repeat(FILE_MAX_BYTES - 100 - size - row('').length)))
    const csv = header + rows.join('')
    expect(FILE_MAX_BYTES - csv.length).toBe(100)

    const preview = await p.post(
      '/purchases/import',
      { step: 'preview', format: 'csv', file: new File([csv], 'orders.csv') },
      { multipart: true },
    )
    expect(preview.status).toBe(200)
    expect(preview.html).toContain(`>Import ${rows.length} purchases</button>`)
    const fields = asBrowserSendsBack(preview.html)
    expect(new TextEncoder().encode(fields.content).byteLength).toBeGreaterThan(FILE_MAX_BYTES)

    const confirm = await p.post('/purchases/import', fields, { multipart: true })
    expect([confirm.status, confirm.location]).toEqual([303, `/purchases?imported=${rows.length}`])
  })
})

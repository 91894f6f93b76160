import type { Vault } from '@custos/vault'
import { markDuplicates } from './import-duplicates.js'
import type { ImportRow } from './purchase-import.js'
import type { ImportPreview, TextImportFormat } from './purchase-import-service.js'

/** One file of an upload: the name the browser or the command line gave it, its format and its text. */
export interface ImportFile {
  readonly name: string
  readonly format: TextImportFormat
  readonly text: string
}

/**
 * Where an imported purchase came from, in the owner's words: the format and the file's own name
 * (a folder's files arrive as `folder/name.eml`; the folder is the owner's, not the source's).
 */
export function importSourceLabel(format: TextImportFormat, fileName: string): string {
  const base = fileName.split(/[\\/]/).pop() ?? fileName
  return `${format}: ${base}`.slice(0, 200)
}

/** Tags each row with the file it came from; the import records it with the purchase (vault: `Purchase.importSource`). */
export function withImportSource(rows: readonly ImportRow[], label: string): ImportRow[] {
  return rows.map((r) => ({ ...r, source: label }))
}

/**
 * The preview of several files as one list: each file read on its own, its rows tagged with
 * their source, then duplicates marked over all of them — a purchase in the shop's export and
 * again in a confirmation email is imported once. With several files, one unusable as a whole
 * (a confirmation email without order markup, a CSV whose columns need mapping) is one row left
 * out with its reason in words, and the other files still import; a single file is refused as
 * before, so its mapping step can follow.
 */
export async function previewFiles(
  vault: Vault,
  files: readonly ImportFile[],
  previewOne: (file: ImportFile) => Promise<ImportPreview>,
): Promise<ImportPreview> {
  const only = files[0]
  if (files.length === 1 && only) {
    const preview = await previewOne(only)
    if (!preview.ok) return preview
    return {
      ...preview,
      rows: withImportSource(preview.rows, importSourceLabel(only.format, only.name)),
    }
  }
  const tagged: ImportRow[] = []
  for (const file of files) {
    const preview = await previewOne(file)
    const label = importSourceLabel(file.format, file.name)
    const rows: readonly ImportRow[] = preview.ok
      ? preview.rows
      : [
          {
            index: 0,
            where: 'the whole file',
            skipped: `${preview.title}${preview.layout ? ' (import it on its own to say what each column holds)' : ''}`,
          },
        ]
    // Each file's own marks knew only the vault and that file: marked again over all of them below.
    for (const { duplicate: _, ...row } of withImportSource(rows, label)) tagged.push(row)
  }
  return { ok: true, rows: await markDuplicates(vault, tagged) }
}

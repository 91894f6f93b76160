/**
 * A readable reference page for the OpenAPI document, rendered on the server (no scripts, no
 * external assets, so it works under the API's strict Content-Security-Policy and offline).
 */
const escapeHtml = (text: string) => text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`)

export function docsPage(document: Record<string, unknown>): string {
  const paths = document.paths as Record<
    string,
    Record<
      string,
      {
        summary?: string
        description?: string
        tags?: string[]
        requestBody?: unknown
        responses?: Record<string, { description: string }>
      }
    >
  >
  const sections = new Map<string, string[]>()
  for (const [path, operations] of Object.entries(paths)) {
    for (const [method, op] of Object.entries(operations)) {
      const tag = op.tags?.[0] ?? 'Other'
      const responses = Object.entries(op.responses ?? {})
        .map(
          ([status, r]) =>
            `<li><code>${escapeHtml(status)}</code> ${escapeHtml(r.description)}</li>`,
        )
        .join('')
      const body = op.requestBody
        ? `<details><summary>Request body schema</summary><pre>${escapeHtml(JSON.stringify(op.requestBody, null, 2))}</pre></details>`
        : ''
      const entry = `<section><h3><code>${method.toUpperCase()} ${escapeHtml(path)}</code></h3><p>${escapeHtml(op.summary ?? '')}</p>${op.description ? `<p>${escapeHtml(op.description)}</p>` : ''}${body}<ul>${responses}</ul></section>`
      sections.set(tag, [...(sections.get(tag) ?? []), entry])
    }
  }
  const info = document.info as { title: string; description: string }
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>${escapeHtml(info.title)}</title>
<style>body{font:16px/1.5 system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;color:#1b1b1b}code,pre{font-family:ui-monospace,monospace}pre{background:#f4f4f4;padding:.75rem;overflow:auto}section{border-top:1px solid #ddd;padding:.5rem 0}h3{margin:.5rem 0}</style></head>
<body><h1>${escapeHtml(info.title)}</h1><p>${escapeHtml(info.description)}</p><p>Machine-readable: <a href="/openapi.json">/openapi.json</a> (OpenAPI 3.1).</p>
${[...sections.entries()].map(([tag, entries]) => `<h2>${escapeHtml(tag)}</h2>${entries.join('')}`).join('\n')}
</body></html>`
}

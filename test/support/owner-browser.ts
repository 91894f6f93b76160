/**
 * The owner's browser in the end-to-end stories: a cookie-keeping `fetch` that navigates the
 * authorization server's pages the way a browser does — follows redirects inside the server's
 * origin, submits HTML forms as `application/x-www-form-urlencoded` with the `Origin` and
 * `Sec-Fetch-Site` headers a browser adds — and stops at the first redirect that leaves the
 * origin (the vendor's redirect_uri, which the stories read and never fetch).
 *
 * It knows nothing of Custos: it fills the form that has a password box with the passphrase and
 * submits the consent form as the owner would, so the stories exercise the real pages.
 */

/** One form control as HTML form submission sees it (WHATWG HTML §4.10.21.4). */
export interface FormControl {
  readonly tag: 'input' | 'button' | 'select' | 'textarea'
  readonly type: string
  readonly name: string
  value: string
  readonly label: string
  readonly disabled: boolean
  checked: boolean
}

export interface HtmlForm {
  readonly action: string
  readonly method: string
  readonly controls: FormControl[]
}

export type Navigation =
  | { readonly kind: 'page'; readonly url: URL; readonly status: number; readonly html: string }
  | { readonly kind: 'left'; readonly location: URL; readonly status: number }

const ATTRIBUTE = /([^\s"'<>/=]+)(?:\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'=<>`]+)))?/g

function decodeEntities(text: string): string {
  return text.replace(/&(#x[0-9a-f]+|#[0-9]+|amp|lt|gt|quot|apos|nbsp);/gi, (_, entity: string) => {
    const e = entity.toLowerCase()
    if (e.startsWith('#x')) return String.fromCodePoint(Number.parseInt(e.slice(2), 16))
    if (e.startsWith('#')) return String.fromCodePoint(Number.parseInt(e.slice(1), 10))
    return (
      (
        { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'", nbsp: '\u00a0' } as Record<
          string,
          string
        >
      )[e] ?? ''
    )
  })
}

function attributes(source: string): Map<string, string> {
  const map = new Map<string, string>()
  for (const m of source.matchAll(ATTRIBUTE)) {
    const name = m[1]?.toLowerCase()
    if (name && !map.has(name)) map.set(name, decodeEntities(m[2] ?? m[3] ?? m[4] ?? ''))
  }
  return map
}

const text = (html: string) =>
  decodeEntities(html.replace(/<[^>]*>/g, ' '))
    .replace(/\s+/g, ' ')
    .trim()

/** Parses the forms of a server-rendered page (enough HTML for a consent page, not a general parser). */
export function parseForms(html: string): HtmlForm[] {
  const forms: HtmlForm[] = []
  for (const f of html.matchAll(/<form\b([^>]*)>([\s\S]*?)<\/form>/gi)) {
    const attrs = attributes(f[1] ?? '')
    const body = f[2] ?? ''
    const labels = new Map<string, string>()
    for (const l of body.matchAll(/<label\b([^>]*)>([\s\S]*?)<\/label>/gi)) {
      const target = attributes(l[1] ?? '').get('for')
      if (target) labels.set(target, text(l[2] ?? ''))
    }
    const controls: FormControl[] = []
    const control =
      /<input\b([^>]*)>|<button\b([^>]*)>([\s\S]*?)<\/button>|<select\b([^>]*)>([\s\S]*?)<\/select>|<textarea\b([^>]*)>([\s\S]*?)<\/textarea>/gi
    for (const c of body.matchAll(control)) {
      if (c[1] !== undefined) {
        const a = attributes(c[1])
        const type = (a.get('type') ?? 'text').toLowerCase()
        const id = a.get('id')
        // A checkbox wrapped in its label: the label's text names it.
        const wrapping = [...body.matchAll(/<label\b[^>]*>([\s\S]*?)<\/label>/gi)].find((l) =>
          (l[1] ?? '').includes(c[0]),
        )
        controls.push({
          tag: 'input',
          type,
          name: a.get('name') ?? '',
          value: a.get('value') ?? (type === 'checkbox' || type === 'radio' ? 'on' : ''),
          label: (id && labels.get(id)) || (wrapping ? text(wrapping[1] ?? '') : ''),
          disabled: a.has('disabled'),
          checked: a.has('checked'),
        })
      } else if (c[2] !== undefined) {
        const a = attributes(c[2])
        controls.push({
          tag: 'button',
          type: (a.get('type') ?? 'submit').toLowerCase(),
          name: a.get('name') ?? '',
          value: a.get('value') ?? '',
          label: text(c[3] ?? ''),
          disabled: a.has('disabled'),
          checked: false,
        })
      } else if (c[4] !== undefined) {
        const a = attributes(c[4])
        const options = [...(c[5] ?? '').matchAll(/<option\b([^>]*)>([^<]*)/gi)].map((o) => {
          const oa = attributes(o[1] ?? '')
          return { value: oa.get('value') ?? text(o[2] ?? ''), selected: oa.has('selected') }
        })
        const chosen = options.find((o) => o.selected) ?? options[0]
        controls.push({
          tag: 'select',
          type: 'select',
          name: a.get('name') ?? '',
          value: chosen?.value ?? '',
          label: '',
          disabled: a.has('disabled'),
          checked: false,
        })
      } else if (c[6] !== undefined) {
        const a = attributes(c[6])
        controls.push({
          tag: 'textarea',
          type: 'textarea',
          name: a.get('name') ?? '',
          value: decodeEntities(c[7] ?? ''),
          label: '',
          disabled: a.has('disabled'),
          checked: false,
        })
      }
    }
    forms.push({
      action: attrs.get('action') ?? '',
      method: (attrs.get('method') ?? 'get').toLowerCase(),
      controls,
    })
  }
  return forms
}

const isSubmitter = (c: FormControl) =>
  (c.tag === 'button' && c.type === 'submit') ||
  (c.tag === 'input' && (c.type === 'submit' || c.type === 'image'))

/** The form data set (WHATWG HTML §4.10.21.4): checked boxes only, the one submitter only. */
export function formData(form: HtmlForm, submitter?: FormControl): URLSearchParams {
  const data = new URLSearchParams()
  for (const c of form.controls) {
    if (c.disabled || c.name === '') continue
    if (isSubmitter(c)) {
      if (c === submitter) data.append(c.name, c.value)
      continue
    }
    if (c.tag === 'button' || ['reset', 'button', 'file'].includes(c.type)) continue
    if ((c.type === 'checkbox' || c.type === 'radio') && !c.checked) continue
    data.append(c.name, c.value)
  }
  return data
}

export function submitters(form: HtmlForm): FormControl[] {
  return form.controls.filter(isSubmitter)
}

export class OwnerBrowser {
  readonly #origin: string
  readonly #cookies = new Map<string, string>()

  constructor(origin: string) {
    this.#origin = new URL(origin).origin
  }

  /** Names of the cookies the browser holds (the stories check the session cookie appeared). */
  cookieNames(): string[] {
    return [...this.#cookies.keys()]
  }

  async #request(url: URL, form?: URLSearchParams): Promise<Response> {
    const headers = new Headers({ accept: 'text/html' })
    if (this.#cookies.size > 0)
      headers.set('cookie', [...this.#cookies].map(([k, v]) => `${k}=${v}`).join('; '))
    if (form) {
      headers.set('content-type', 'application/x-www-form-urlencoded')
      headers.set('origin', this.#origin)
      headers.set('sec-fetch-site', 'same-origin')
    }
    const res = await fetch(url, {
      method: form ? 'POST' : 'GET',
      headers,
      ...(form ? { body: form.toString() } : {}),
      redirect: 'manual',
    })
    for (const line of res.headers.getSetCookie()) {
      const [pair = '', ...attrs] = line.split(';')
      const eq = pair.indexOf('=')
      if (eq <= 0) continue
      const name = pair.slice(0, eq).trim()
      const expired =
        attrs.some((a) => /^\s*max-age\s*=\s*0\s*$/i.test(a)) ||
        attrs.some(
          (a) => /^\s*expires\s*=/i.test(a) && Date.parse(a.split('=')[1] ?? '') < Date.now(),
        )
      if (expired) this.#cookies.delete(name)
      else this.#cookies.set(name, pair.slice(eq + 1).trim())
    }
    return res
  }

  /** Opens a URL (or submits a form) and follows redirects until a page, or a redirect out of the origin. */
  async navigate(url: URL, form?: URLSearchParams): Promise<Navigation> {
    let res = await this.#request(url, form)
    let current = url
    for (let hops = 0; hops < 10; hops++) {
      const location = res.headers.get('location')
      if (res.status < 300 || res.status >= 400 || !location) {
        return { kind: 'page', url: current, status: res.status, html: await res.text() }
      }
      await res.body?.cancel()
      const next = new URL(location, current)
      if (next.origin !== this.#origin) return { kind: 'left', location: next, status: res.status }
      current = next
      res = await this.#request(next)
    }
    throw new Error('too many redirects')
  }

  /** Submits a form of the page at `page` with the given submitter. */
  async submit(page: URL, form: HtmlForm, submitter?: FormControl): Promise<Navigation> {
    const action = new URL(form.action || page.href, page)
    const data = formData(form, submitter)
    if (form.method === 'post') return this.navigate(action, data)
    action.search = data.toString()
    return this.navigate(action)
  }
}

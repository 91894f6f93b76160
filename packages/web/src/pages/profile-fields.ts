import { html } from 'hono/html'
import { type KnownFieldPath, VOCABULARY, schemaFor } from '@custos/vault'
import type { ValidationIssue } from '@custos/vault'
import type { Problem } from './error-summary.js'
import type { Html } from './layout.js'

/**
 * How each vocabulary field is edited in a plain HTML form, derived from its zod schema (the
 * vocabulary is the single source of truth): a text box (email / date / telephone boxes where the
 * schema says so), a select for a closed choice, checkboxes for a list of choices, a textarea
 * (one entry per line) for a list of text, and a small group of boxes for a postal address.
 *
 * A form's state is kept as raw text per input name, so a refused form comes back exactly as the
 * owner typed it, with the reasons beside the boxes they belong to.
 */
export type FieldKind =
  | { readonly kind: 'text'; readonly input: 'text' | 'email' | 'date' | 'tel' }
  | { readonly kind: 'choice'; readonly options: readonly string[] }
  | { readonly kind: 'choices'; readonly options: readonly string[] }
  | { readonly kind: 'lines' }
  | { readonly kind: 'address' }

interface SchemaDef {
  readonly type: string
  readonly format?: string
  readonly entries?: Record<string, string>
  readonly element?: { readonly _zod: { readonly def: SchemaDef } }
}
const defOf = (schema: unknown): SchemaDef => (schema as { _zod: { def: SchemaDef } })._zod.def

export function fieldKind(path: KnownFieldPath): FieldKind {
  const def = defOf(VOCABULARY[path].schema)
  if (def.type === 'object') return { kind: 'address' }
  if (def.type === 'enum') return { kind: 'choice', options: Object.values(def.entries ?? {}) }
  if (def.type === 'array') {
    const item = def.element?._zod.def
    return item?.type === 'enum'
      ? { kind: 'choices', options: Object.values(item.entries ?? {}) }
      : { kind: 'lines' }
  }
  if (def.format === 'email') return { kind: 'text', input: 'email' }
  if (def.format === 'date') return { kind: 'text', input: 'date' }
  return { kind: 'text', input: path === 'telephone' ? 'tel' : 'text' }
}

/** schema.org PostalAddress parts, in the order people write an address. */
const ADDRESS_PARTS = [
  ['recipient', 'Name on the parcel (optional)', 'name'],
  ['streetAddress', 'Street and number', 'street-address'],
  ['postalCode', 'Postal code (optional)', 'postal-code'],
  ['addressLocality', 'Town or city', 'address-level2'],
  ['addressRegion', 'Region or state (optional)', 'address-level1'],
  ['addressCountry', 'Country (two-letter code, e.g. DE, GB, US)', 'country'],
] as const

/** Short hints for fields whose format is not obvious. */
const HINTS: Partial<Record<KnownFieldPath, string>> = {
  telephone: 'With country code, e.g. +49 30 1234567',
  nationality: 'Two-letter country code, e.g. FR',
  knowsLanguage: 'One language code per line, e.g. en or de-CH',
  'prefs.contact.language': 'A language code, e.g. en or pt-BR',
  'prefs.currency': 'Three-letter currency code, e.g. EUR',
  'emails.other': 'One email address per line',
  'prefs.allergies': 'One per line',
  'prefs.brands.liked': 'One brand per line',
  'prefs.brands.avoid': 'One brand per line',
  'prefs.interests': 'One per line',
}

const AUTOCOMPLETE: Partial<Record<KnownFieldPath, string>> = {
  'name.given': 'given-name',
  'name.family': 'family-name',
  'name.additional': 'additional-name',
  'name.honorificPrefix': 'honorific-prefix',
  'name.honorificSuffix': 'honorific-suffix',
  alternateName: 'nickname',
  email: 'email',
  telephone: 'tel',
  birthDate: 'bday',
  gender: 'sex',
  jobTitle: 'organization-title',
  worksFor: 'organization',
}

export const GROUP_TITLES: Record<(typeof VOCABULARY)[KnownFieldPath]['group'], string> = {
  identity: 'Name',
  contact: 'Contact',
  address: 'Addresses',
  about: 'About me',
  sizes: 'Sizes',
  diet: 'Food',
  'contact preferences': 'How vendors may contact me',
  brands: 'Brands',
  shopping: 'Shopping',
}

/** The vocabulary in groups, in the vocabulary's order. */
export function groupedPaths(): [string, KnownFieldPath[]][] {
  const groups = new Map<string, KnownFieldPath[]>()
  for (const path of Object.keys(VOCABULARY) as KnownFieldPath[]) {
    const group = VOCABULARY[path].group
    groups.set(group, [...(groups.get(group) ?? []), path])
  }
  return [...groups]
}

/** Raw form text per input name (a ticked checkbox is 'on'). */
export type RawForm = Map<string, string>

/** An HTML id for an input name: dots and colons are awkward in CSS selectors and `for=`. */
export const inputId = (name: string) => `f-${name.replace(/[^A-Za-z0-9_-]/g, '-')}`

/** The input names a field's editor uses. */
export function inputNames(path: KnownFieldPath): string[] {
  const k = fieldKind(path)
  if (k.kind === 'address') return ADDRESS_PARTS.map(([part]) => `${path}.${part}`)
  if (k.kind === 'choices') return k.options.map((o) => `${path}:${o}`)
  return [path]
}

/** A stored value as the raw text its inputs show. */
export function rawFromValue(path: KnownFieldPath, value: unknown, into: RawForm): void {
  if (value === undefined || value === null) return
  const k = fieldKind(path)
  if (k.kind === 'address' && typeof value === 'object') {
    for (const [part] of ADDRESS_PARTS) {
      const v = (value as Record<string, unknown>)[part]
      if (typeof v === 'string') into.set(`${path}.${part}`, v)
    }
  } else if (k.kind === 'choices' && Array.isArray(value)) {
    for (const v of value) into.set(`${path}:${String(v)}`, 'on')
  } else if (k.kind === 'lines' && Array.isArray(value)) {
    into.set(path, value.map(String).join('\n'))
  } else {
    into.set(path, String(value))
  }
}

/** The value the raw text stands for; undefined when the owner left the field empty (remove it). */
export function valueFromRaw(path: KnownFieldPath, raw: RawForm): unknown {
  const k = fieldKind(path)
  const text = (name: string) => (raw.get(name) ?? '').trim()
  switch (k.kind) {
    case 'address': {
      const address: Record<string, string> = {}
      for (const [part] of ADDRESS_PARTS) {
        const v = text(`${path}.${part}`)
        if (v) address[part] = part === 'addressCountry' ? v.toUpperCase() : v
      }
      return Object.keys(address).length > 0 ? address : undefined
    }
    case 'choices': {
      const chosen = k.options.filter((o) => raw.has(`${path}:${o}`))
      return chosen.length > 0 ? chosen : undefined
    }
    case 'lines': {
      const lines = text(path)
        .split(/\r?\n/)
        .map((l) => l.trim())
        .filter(Boolean)
      return lines.length > 0 ? lines : undefined
    }
    default:
      return text(path) || undefined
  }
}

/** Checks a value against the field's schema, as the vault will; issues carry input names. */
export function fieldIssues(path: KnownFieldPath, value: unknown): ValidationIssue[] {
  const parsed = schemaFor(path)?.safeParse(value)
  if (!parsed || parsed.success) return []
  return parsed.error.issues.map((i) => ({
    path: [path, ...i.path.map(String)].join('.'),
    message: friendly(i.message),
  }))
}

/** zod's wording for a missing part is for developers; the owner gets plain words. */
function friendly(message: string): string {
  if (/received undefined/.test(message)) return 'This is needed.'
  if (/^Invalid email/i.test(message)) return 'Enter an email address like name@example.org.'
  if (/^Invalid (ISO )?date/i.test(message)) return 'Enter a date as YYYY-MM-DD.'
  if (/^Too big/.test(message))
    return `Too long or too many entries (${message.replace(/^Too big: /, '')}).`
  if (/^Too small/.test(message)) return 'This cannot be empty.'
  if (/^(ISO|BCP|telephone)/.test(message)) return `Expected a ${message}.`
  if (/^Invalid option/.test(message)) return 'Choose one of the listed options.'
  return message
}

/** Issues grouped by the input name they belong to (the longest input name the issue path starts with). */
export function issuesByInput(
  path: KnownFieldPath,
  issues: readonly ValidationIssue[],
  into: Map<string, string[]>,
): void {
  const names = [...inputNames(path), path].sort((a, b) => b.length - a.length)
  for (const issue of issues) {
    const name = names.find((n) => issue.path === n || issue.path.startsWith(`${n}.`)) ?? path
    into.set(name, [...(into.get(name) ?? []), issue.message])
  }
}

/**
 * The problems of a refused profile form, in the page's order, each in words with the field's label
 * ("Home address — Town or city: This is needed.") and the id of the box it belongs to.
 */
export function profileProblems(errors: ReadonlyMap<string, string[]>): Problem[] {
  const problems: Problem[] = []
  for (const path of Object.keys(VOCABULARY) as KnownFieldPath[]) {
    for (const name of new Set([path, ...inputNames(path)])) {
      const messages = errors.get(name)
      if (!messages) continue
      const part = ADDRESS_PARTS.find(([p]) => name === `${path}.${p}`)
      const label = part ? `${VOCABULARY[path].label} — ${part[1]}` : VOCABULARY[path].label
      // A whole-field problem of a group of boxes (an address, a set of choices) points at its fieldset.
      problems.push({ target: inputId(name), text: `${label}: ${messages.join(' ')}` })
    }
  }
  return problems
}

/** One field's editor with its label, hint and any errors in place (aria-describedby). */
export function fieldEditor(
  path: KnownFieldPath,
  raw: RawForm,
  errors: ReadonlyMap<string, string[]>,
): Html {
  const k = fieldKind(path)
  const label = VOCABULARY[path].label
  const hint = HINTS[path]
  const describe = (name: string) => {
    const ids = [
      hint ? `${inputId(path)}-hint` : '',
      errors.has(name) ? `${inputId(name)}-error` : '',
    ].filter(Boolean)
    return html`${ids.length ? html` aria-describedby="${ids.join(' ')}"` : ''}${errors.has(name) ? html` aria-invalid="true"` : ''}`
  }
  const errorText = (name: string) => {
    const messages = errors.get(name)
    return messages
      ? html`<p class="field-error" id="${inputId(name)}-error" role="alert">${messages.join(' ')}</p>`
      : ''
  }
  const hintText = hint ? html`<p class="muted hint" id="${inputId(path)}-hint">${hint}</p>` : ''
  const marker = html`<input type="hidden" name="shown" value="${path}">`
  switch (k.kind) {
    case 'text':
      return html`<div class="field">${marker}<label for="${inputId(path)}">${label}</label>${hintText}
<input type="${k.input}" id="${inputId(path)}" name="${path}" value="${raw.get(path) ?? ''}"${AUTOCOMPLETE[path] ? html` autocomplete="${AUTOCOMPLETE[path]}"` : ''}${describe(path)}>${errorText(path)}</div>`
    case 'choice':
      return html`<div class="field">${marker}<label for="${inputId(path)}">${label}</label>${hintText}
<select id="${inputId(path)}" name="${path}"${describe(path)}><option value="">— not set —</option>${k.options.map(
        (o) =>
          html`<option value="${o}"${raw.get(path) === o ? html` selected` : ''}>${o}</option>`,
      )}</select>${errorText(path)}</div>`
    case 'lines':
      return html`<div class="field">${marker}<label for="${inputId(path)}">${label}</label>${hintText}
<textarea id="${inputId(path)}" name="${path}" rows="3"${describe(path)}>${raw.get(path) ?? ''}</textarea>${errorText(path)}</div>`
    case 'choices':
      return html`<fieldset class="field" id="${inputId(path)}"${errors.has(path) ? html` aria-describedby="${inputId(path)}-error"` : ''}><legend>${label}</legend>${marker}${k.options.map(
        (o) =>
          html`<label class="check" for="${inputId(`${path}:${o}`)}"><input type="checkbox" id="${inputId(`${path}:${o}`)}" name="${path}:${o}"${raw.has(`${path}:${o}`) ? html` checked` : ''}> ${o}</label>`,
      )}${errorText(path)}</fieldset>`
    case 'address':
      return html`<fieldset class="field" id="${inputId(path)}"><legend>${label}</legend>${marker}${errorText(path)}${ADDRESS_PARTS.map(
        ([part, partLabel, auto]) => {
          const name = `${path}.${part}`
          const section = path.split('.')[1] === 'billing' ? 'billing' : 'shipping'
          return html`<label for="${inputId(name)}">${partLabel}</label>
<input type="text" id="${inputId(name)}" name="${name}" value="${raw.get(name) ?? ''}" autocomplete="section-${path.split('.')[1] ?? 'home'} ${section} ${auto}"${part === 'addressCountry' ? html` maxlength="2" size="3"` : ''}${describe(name)}>${errorText(name)}`
        },
      )}</fieldset>`
  }
}

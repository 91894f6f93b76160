import { type Context, Hono } from 'hono'
import { html } from 'hono/html'
import type { OwnerPageKit } from '@custos/consent-api'
import {
  type FieldEntry,
  type KnownFieldPath,
  VOCABULARY,
  VaultError,
  isFieldPath,
  schemaFor,
} from '@custos/vault'
import { customFieldName } from './custom-field-name.js'
import { type Problem, PROBLEMS_ID, errorSummary } from './error-summary.js'
import { type FormValues, readForm } from './form-values.js'
import { type Html, csrfField, notice, page } from './layout.js'
import { type PageEnv, ownerGate } from './owner-gate.js'
import {
  GROUP_TITLES,
  type RawForm,
  fieldEditor,
  fieldIssues,
  groupedPaths,
  inputNames,
  issuesByInput,
  profileProblems,
  rawFromValue,
  valueFromRaw,
} from './profile-fields.js'

/** Fixed notices chosen by a query flag (nothing the request says is echoed). */
const DONE: Record<string, string> = {
  saved: 'Your profile is saved.',
  added: 'The field is saved.',
  deleted: 'The field is deleted.',
  welcome:
    'Welcome! Fill in what you like — vendors see only the fields you approve, for the purpose they state.',
}

const CUSTOM_KINDS = {
  text: 'Text',
  number: 'Number',
  'yes-no': 'Yes or no',
  list: 'List (one per line)',
} as const
type CustomKind = keyof typeof CUSTOM_KINDS

interface CustomFormState {
  readonly name: string
  readonly kind: string
  readonly value: string
  readonly errors: ReadonlyMap<'name' | 'value', string>
}

type Group = (typeof VOCABULARY)[KnownFieldPath]['group']
/** A group's name in a URL and an id (`contact preferences` → `contact-preferences`). */
const groupKey = (group: string) => group.replace(/ /g, '-')
const sectionOf = (key: string | undefined) =>
  groupedPaths().find(([group]) => groupKey(group) === key)

/**
 * Profile and preferences (PRODUCT.md step 2): the field vocabulary in groups, each group its own
 * form with its own Save (issue 10: one 6,450 px form with one Save at the bottom, at phone width),
 * which saves that group only. Saving validates the group's fields first (every mistake shows at
 * once: listed at the top, where focus goes, and in place, with what the owner typed kept) and
 * then writes them in one transaction; a box left empty removes that field, other groups stay as
 * they are. Owner-defined `custom.*` fields are added and deleted with their own forms.
 */
export function profilePages(kit: OwnerPageKit): Hono<PageEnv> {
  const routes = new Hono<PageEnv>()
  const gate = ownerGate(kit)

  const render = async (
    c: Context<PageEnv>,
    status: 200 | 400,
    state: { raw?: RawForm; errors?: Map<string, string[]>; custom?: CustomFormState } = {},
  ) => {
    const entries = await kit.actions.read.fields.list()
    const raw = state.raw ?? storedRaw(entries)
    const flag = Object.keys(DONE).find((k) => c.req.query(k) === '1')
    const saved =
      flag === 'saved' && status === 200 ? sectionOf(c.req.query('section'))?.[0] : undefined
    const token = c.var.session.csrfToken
    const errors = state.errors ?? new Map<string, string[]>()
    const customProblems: Problem[] = [...(state.custom?.errors ?? [])].map(([f, text]) => ({
      target: `custom-${f}`,
      text: `${f === 'name' ? 'Field name' : 'Value'}: ${text}`,
    }))
    const summary =
      errors.size > 0
        ? errorSummary(
            `Nothing was saved: ${errors.size === 1 ? 'one field needs' : `${errors.size} fields need`} a correction.`,
            profileProblems(errors),
          )
        : errorSummary('The field was not added.', customProblems)
    return page(
      c,
      status,
      'Profile',
      html`<h1>Profile and preferences</h1>
${flag && status === 200 && saved === undefined ? notice('ok', DONE[flag]) : ''}${summary}
<p class="muted">Everything here is encrypted in your vault. A vendor sees a field only if you approve it. Each part saves on its own; leave a box empty to remove that field.</p>
${groupedPaths().map(([group, paths]) => {
  const title = GROUP_TITLES[group as Group]
  return html`<section class="profile-section" id="section-${groupKey(group)}">${saved === group ? notice('ok', `“${title}” is saved.`) : ''}<form method="post" action="/profile#${PROBLEMS_ID}" novalidate aria-label="${title}">${csrfField(token)}<input type="hidden" name="section" value="${groupKey(group)}">
<fieldset><legend>${title}</legend>${paths.map((p) => fieldEditor(p, raw, errors))}</fieldset>
<p><button type="submit">Save</button></p>
</form></section>`
})}
${customSection(entries, token, state.custom)}`,
      { csrfToken: token, current: '/profile' },
    )
  }

  routes.get('/profile', gate, (c) => render(c, 200))

  routes.post('/profile', gate, async (c) => {
    const form = await readForm(c)
    // A section's form saves that section only; a form without one (an older page) saves what it shows.
    const section = sectionOf(form.optional('section'))
    const shown = form
      .all('shown')
      .filter(
        (p): p is KnownFieldPath =>
          Object.hasOwn(VOCABULARY, p) &&
          (section === undefined || section[1].includes(p as KnownFieldPath)),
      )
    const raw: RawForm = new Map()
    for (const path of shown)
      for (const name of inputNames(path)) if (form.has(name)) raw.set(name, form.text(name))
    const errors = new Map<string, string[]>()
    const set: Record<string, unknown> = {}
    const cleared: KnownFieldPath[] = []
    for (const path of shown) {
      const value = valueFromRaw(path, raw)
      if (value === undefined) {
        cleared.push(path)
        continue
      }
      const issues = fieldIssues(path, value)
      if (issues.length > 0) issuesByInput(path, issues, errors)
      else set[path] = value
    }
    if (errors.size > 0)
      return render(c, 400, {
        raw: keepUnshown(raw, await kit.actions.read.fields.list(), shown),
        errors,
      })
    try {
      if (Object.keys(set).length > 0) await kit.actions.fields.setMany(set)
    } catch (err) {
      // The vault's own checks (a size limit) have the last word: shown in place the same way.
      if (!(err instanceof VaultError) || err.issues.length === 0) throw err
      for (const path of shown)
        issuesByInput(
          path,
          err.issues.filter((i) => i.path === path || i.path.startsWith(`${path}.`)),
          errors,
        )
      if (errors.size === 0) throw err
      return render(c, 400, { raw, errors })
    }
    const stored = new Set((await kit.actions.read.fields.list()).map((e) => e.path))
    for (const path of cleared) if (stored.has(path)) await kit.actions.fields.delete(path)
    return c.redirect(
      section
        ? `/profile?saved=1&section=${groupKey(section[0])}#section-${groupKey(section[0])}`
        : '/profile?saved=1',
      303,
    )
  })

  routes.post('/profile/custom', gate, async (c) => {
    const form = await readForm(c)
    const state = customFromForm(form)
    if (state.errors.size > 0 || state.parsed === undefined)
      return render(c, 400, { custom: state })
    await kit.actions.fields.set(
      state.path,
      state.label === undefined ? state.parsed : { label: state.label, value: state.parsed },
    )
    return c.redirect('/profile?added=1#custom', 303)
  })

  routes.post('/profile/delete', gate, async (c) => {
    const path = (await readForm(c)).text('path')
    if (!isFieldPath(path))
      return page(
        c,
        400,
        'Profile',
        html`<h1>Profile</h1>${notice('error', 'There is no such field.')}<p><a href="/profile">Back to the profile</a></p>`,
        { csrfToken: c.var.session.csrfToken, current: '/profile' },
      )
    try {
      await kit.actions.fields.delete(path)
    } catch (err) {
      // Already gone (another tab): the owner's wish is met.
      if (!(err instanceof VaultError && err.code === 'ERR_NOT_FOUND')) throw err
    }
    return c.redirect('/profile?deleted=1', 303)
  })

  return routes
}

function storedRaw(entries: readonly FieldEntry[]): RawForm {
  const raw: RawForm = new Map()
  for (const e of entries)
    if (Object.hasOwn(VOCABULARY, e.path)) rawFromValue(e.path as KnownFieldPath, e.value, raw)
  return raw
}

/** A refused form shows what was typed; fields the form did not carry keep their stored values. */
function keepUnshown(
  raw: RawForm,
  entries: readonly FieldEntry[],
  shown: readonly KnownFieldPath[],
): RawForm {
  const stored = storedRaw(entries.filter((e) => !shown.includes(e.path as KnownFieldPath)))
  return new Map([...stored, ...raw])
}

function customFromForm(
  form: FormValues,
): CustomFormState & { path: `custom.${string}`; label: string | undefined; parsed: unknown } {
  const name = form.text('name')
  const kind = form.text('kind')
  const text = form.text('value')
  const errors = new Map<'name' | 'value', string>()
  const named = customFieldName(name)
  if (!named.ok) errors.set('name', named.message)
  let value: unknown
  if (!Object.hasOwn(CUSTOM_KINDS, kind)) errors.set('value', 'Choose what kind of value this is.')
  else if ((kind as CustomKind) === 'number') {
    const n = Number(text.trim())
    if (text.trim() === '' || !Number.isFinite(n))
      errors.set('value', 'Enter a number, like 42 or 3.5.')
    else value = n
  } else if ((kind as CustomKind) === 'yes-no') {
    const t = text.trim().toLowerCase()
    if (t === 'yes' || t === 'no') value = t === 'yes'
    else errors.set('value', 'Type yes or no.')
  } else if ((kind as CustomKind) === 'list') {
    value = text
      .split(/\r?\n/)
      .map((l) => l.trim())
      .filter(Boolean)
  } else {
    if (text.trim() === '') errors.set('value', 'Enter a value.')
    else value = text.trim()
  }
  if (value !== undefined && !errors.has('value')) {
    const parsed = schemaFor('custom.x')?.safeParse(value)
    if (!parsed?.success)
      errors.set(
        'value',
        'That value is too long (at most 4000 characters, or 100 entries of 400).',
      )
  }
  return {
    name,
    kind,
    value: text,
    errors,
    path: named.ok ? named.path : 'custom.x',
    label: named.ok ? named.label : undefined,
    parsed: errors.size === 0 ? value : undefined,
  }
}

/** A stored custom value: `{ label, value }` when the owner named it in words, else the value itself. */
function labelled(e: FieldEntry): { name: string; value: unknown } {
  const v = e.value
  if (
    typeof v === 'object' &&
    v !== null &&
    !Array.isArray(v) &&
    'label' in v &&
    'value' in v &&
    typeof v.label === 'string'
  )
    return { name: v.label, value: v.value }
  return { name: e.path.slice('custom.'.length), value: v }
}

function showValue(value: unknown): string {
  if (typeof value === 'boolean') return value ? 'yes' : 'no'
  if (Array.isArray(value)) return value.map(String).join(', ')
  return String(value)
}

function customSection(
  entries: readonly FieldEntry[],
  token: string,
  state: CustomFormState | undefined,
): Html {
  const custom = entries.filter((e) => e.path.startsWith('custom.'))
  const err = (f: 'name' | 'value') => state?.errors.get(f)
  const described = (f: 'name' | 'value') =>
    err(f) ? html` aria-invalid="true" aria-describedby="custom-${f}-error"` : ''
  const errorText = (f: 'name' | 'value') =>
    err(f) ? html`<p class="field-error" id="custom-${f}-error" role="alert">${err(f)}</p>` : ''
  return html`<h2 id="custom">Your own fields</h2>
<p class="muted">For anything the list above lacks: a loyalty number, a favourite colour. Adding a field with a name you already used replaces its value.</p>
${
  custom.length > 0
    ? html`<div class="table-wrap"><table><caption class="muted">Your own fields</caption><thead><tr><th scope="col">Name</th><th scope="col">Value</th><th scope="col"><span class="visually-hidden">Actions</span></th></tr></thead><tbody>
${custom.map((e) => {
  const { name, value } = labelled(e)
  return html`<tr><td>${name}</td><td>${showValue(value)}</td><td><form method="post" action="/profile/delete" class="inline">${csrfField(token)}<input type="hidden" name="path" value="${e.path}"><button type="submit" class="secondary" aria-label="Delete ${name}">Delete</button></form></td></tr>`
})}</tbody></table></div>`
    : html`<p>You have not added any yet.</p>`
}
<form method="post" action="/profile/custom#${PROBLEMS_ID}" novalidate>${csrfField(token)}
<div class="row">
<div><label for="custom-name">Field name <span class="muted">(in your own words; a dot groups fields, as in loyalty.airline)</span></label><input type="text" id="custom-name" name="name" value="${state?.name ?? ''}" placeholder="favourite colour" autocomplete="off"${described('name')}>${errorText('name')}</div>
<div><label for="custom-kind">Kind</label><select id="custom-kind" name="kind">${Object.entries(
    CUSTOM_KINDS,
  ).map(
    ([k, label]) =>
      html`<option value="${k}"${(state?.kind ?? 'text') === k ? html` selected` : ''}>${label}</option>`,
  )}</select></div>
</div>
<label for="custom-value">Value</label><textarea id="custom-value" name="value" rows="2"${described('value')}>${state?.value ?? ''}</textarea>${errorText('value')}
<p><button type="submit">Add field</button></p>
</form>`
}

import { html } from 'hono/html'
import { Order, type OrderInput, type Purchase } from '@custos/vault'
import { AMOUNT_HINT, amountProblem, parseAmountText } from '@custos/consent-api'
import { type Html, csrfField } from './layout.js'

/**
 * The add / edit purchase form: what the owner typed, turned into a schema.org-shaped order and
 * checked with the vault's own `Order` schema (the single source of truth), with each problem
 * shown next to its field (`aria-invalid` + `aria-describedby`). Line items are repeated rows;
 * blank rows are ignored, and one blank row is always offered for a new item.
 */
export type FormBody = Record<string, string | File | (string | File)[]>

/** The form's values as typed (strings), so a refused form comes back as the owner left it. */
export interface PurchaseFormValues {
  seller: string
  orderDate: string
  orderNumber: string
  category: string
  currency: string
  total: string
  notes: string
  items: { name: string; sku: string; quantity: string; price: string }[]
}

/** Field path (as the vault's issues name it) → message. */
export type FormErrors = ReadonlyMap<string, string>

const MAX_ITEM_ROWS = 500

function one(body: FormBody, name: string): string {
  const v = body[name]
  const first = Array.isArray(v) ? v[0] : v
  return typeof first === 'string' ? first.trim() : ''
}

function many(body: FormBody, name: string): string[] {
  const v = body[name]
  const list = v === undefined ? [] : Array.isArray(v) ? v : [v]
  return list.slice(0, MAX_ITEM_ROWS).map((x) => (typeof x === 'string' ? x.trim() : ''))
}

export function formValuesFromBody(body: FormBody): PurchaseFormValues {
  const names = many(body, 'item_name')
  const skus = many(body, 'item_sku')
  const quantities = many(body, 'item_quantity')
  const prices = many(body, 'item_price')
  return {
    seller: one(body, 'seller'),
    orderDate: one(body, 'orderDate'),
    orderNumber: one(body, 'orderNumber'),
    category: one(body, 'category'),
    currency: one(body, 'currency').toUpperCase(),
    total: one(body, 'total'),
    notes: one(body, 'notes'),
    items: names
      .map((name, i) => ({
        name,
        sku: skus[i] ?? '',
        quantity: quantities[i] ?? '',
        price: prices[i] ?? '',
      }))
      .filter((it) => it.name || it.sku || it.price),
  }
}

export function formValuesFromPurchase(p: Purchase): PurchaseFormValues {
  return {
    seller: p.seller,
    orderDate: p.orderDate.slice(0, 10),
    orderNumber: p.orderNumber ?? '',
    category: p.category ?? '',
    currency: p.currency,
    total: String(p.total),
    notes: p.notes ?? '',
    items: p.items.map((it) => ({
      name: it.name,
      sku: it.sku ?? '',
      quantity: String(it.quantity),
      price: it.price === undefined ? '' : String(it.price),
    })),
  }
}

export const EMPTY_FORM: PurchaseFormValues = {
  seller: '',
  orderDate: '',
  orderNumber: '',
  category: '',
  currency: 'EUR',
  total: '',
  notes: '',
  items: [],
}

/**
 * The order the form describes, or the problems by field. `keepDate` is the stored order date of
 * an edited purchase: the form shows only its day, so an unchanged day keeps the stored time.
 */
export function orderFromForm(
  v: PurchaseFormValues,
  keepDate?: string,
): { ok: true; order: OrderInput } | { ok: false; errors: FormErrors } {
  const errors = new Map<string, string>()
  const amount = (text: string, path: string): number | undefined => {
    if (text === '') return undefined
    // The import reads amounts with the same parser (consent-api owner/amount-text.ts).
    const parsed = parseAmountText(text)
    if (parsed.ok) return parsed.value
    errors.set(
      path,
      parsed.reason === 'ambiguous'
        ? `This amount ${amountProblem('ambiguous')}`
        : 'Enter an amount such as 129.90 or 129,90',
    )
    return Number.NaN
  }
  const total = amount(v.total, 'total')
  const items = v.items.map((it, i) => {
    const wholeNumber = it.quantity === '' || /^[0-9]{1,7}$/.test(it.quantity)
    if (!wholeNumber) errors.set(`items.${i}.quantity`, 'Enter a whole number')
    const quantity = it.quantity === '' || !wholeNumber ? 1 : Number(it.quantity)
    const price = amount(it.price, `items.${i}.price`)
    return {
      name: it.name,
      ...(it.sku ? { sku: it.sku } : {}),
      quantity,
      ...(price !== undefined ? { price } : {}),
    }
  })
  const candidate = {
    seller: v.seller,
    orderDate:
      keepDate !== undefined && keepDate.slice(0, 10) === v.orderDate ? keepDate : v.orderDate,
    ...(v.orderNumber ? { orderNumber: v.orderNumber } : {}),
    ...(v.category ? { category: v.category } : {}),
    currency: v.currency,
    total: total ?? Number.NaN,
    items,
    ...(v.notes ? { notes: v.notes } : {}),
  }
  const parsed = Order.safeParse(candidate)
  if (!parsed.success) {
    for (const issue of parsed.error.issues) {
      const path = issue.path.join('.')
      if (errors.has(path)) continue
      errors.set(path, MESSAGES[path.replace(/^items\.\d+\./, 'items.')] ?? 'Check this value')
    }
  }
  if (errors.size > 0) return { ok: false, errors }
  return { ok: true, order: candidate }
}

/** Fixed messages per field (never the input echoed back). */
const MESSAGES: Record<string, string> = {
  seller: 'Enter the seller (up to 200 characters)',
  orderDate: 'Enter the order date',
  orderNumber: 'Up to 100 characters',
  category: 'Up to 80 characters',
  currency: 'Enter a three-letter currency code such as EUR',
  total: 'Enter the total paid, such as 129.90 or 129,90',
  notes: 'Up to 4000 characters',
  'items.name': 'Enter the item name (up to 300 characters)',
  'items.sku': 'Up to 100 characters',
  'items.quantity': 'Enter a whole number',
  'items.price': 'Enter an amount such as 12.50 or 12,50',
  items: 'At most 500 items',
}

function input(
  id: string,
  label: string,
  value: string,
  errors: FormErrors,
  path: string,
  attrs: { type?: string; required?: boolean; hint?: string; name?: string; extra?: string } = {},
): Html {
  const error = errors.get(path)
  const described = [attrs.hint ? `${id}-hint` : '', error ? `${id}-error` : '']
    .filter(Boolean)
    .join(' ')
  return html`<div class="form-field"><label for="${id}">${label}</label>${attrs.hint ? html`<p class="muted hint" id="${id}-hint">${attrs.hint}</p>` : ''}${error ? html`<p class="field-error" id="${id}-error">${error}</p>` : ''}<input type="${attrs.type ?? 'text'}" id="${id}" name="${attrs.name ?? id}" value="${value}"${attrs.required ? html` required` : ''}${error ? html` aria-invalid="true"` : ''}${described ? html` aria-describedby="${described}"` : ''}${attrs.extra === 'decimal' ? html` inputmode="decimal"` : ''}></div>`
}

/** The form, with `action` the URL it posts to and `submit` its button text. */
export function purchaseForm(o: {
  action: string
  submit: string
  values: PurchaseFormValues
  errors: FormErrors
  csrfToken: string
}): Html {
  const { values: v, errors } = o
  const items = [...v.items, { name: '', sku: '', quantity: '', price: '' }]
  const notesError = errors.get('notes')
  return html`${errors.size > 0 ? html`<p class="notice error" role="alert">The purchase was not saved: please correct the ${errors.size === 1 ? 'field' : `${errors.size} fields`} marked below.</p>` : ''}
<form method="post" action="${o.action}" novalidate>${csrfField(o.csrfToken)}
<div class="row">${input('seller', 'Seller', v.seller, errors, 'seller', { required: true })}${input('orderDate', 'Order date', v.orderDate, errors, 'orderDate', { type: 'date', required: true })}</div>
<div class="row">${input('total', 'Total paid', v.total, errors, 'total', { required: true, hint: AMOUNT_HINT, extra: 'decimal' })}${input('currency', 'Currency', v.currency, errors, 'currency', { required: true, hint: 'Three letters, such as EUR or USD' })}</div>
<div class="row">${input('category', 'Category (optional)', v.category, errors, 'category')}${input('orderNumber', 'Order number (optional)', v.orderNumber, errors, 'orderNumber')}</div>
<fieldset><legend>Items (optional)</legend>${items.map(
    (it, i) =>
      html`<div class="row item-row">${input(`item-${i}-name`, `Item ${i + 1} name`, it.name, errors, `items.${i}.name`, { name: 'item_name' })}${input(`item-${i}-quantity`, 'Quantity', it.quantity, errors, `items.${i}.quantity`, { name: 'item_quantity', type: 'number' })}${input(`item-${i}-price`, 'Price', it.price, errors, `items.${i}.price`, { name: 'item_price', extra: 'decimal' })}${input(`item-${i}-sku`, 'SKU', it.sku, errors, `items.${i}.sku`, { name: 'item_sku' })}</div>`,
  )}<p class="muted">Leave a row empty to skip it; save to get another empty row. ${AMOUNT_HINT}</p></fieldset>
<div class="form-field"><label for="notes">Notes (optional)</label>${notesError ? html`<p class="field-error" id="notes-error">${notesError}</p>` : ''}<textarea id="notes" name="notes"${notesError ? html` aria-invalid="true" aria-describedby="notes-error"` : ''}>${v.notes}</textarea></div>
<p><button type="submit">${o.submit}</button> <a href="/purchases" class="button secondary">Cancel</a></p>
</form>`
}

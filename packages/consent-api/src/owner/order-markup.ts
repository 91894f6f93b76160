/**
 * The schema.org markup shops put in order-confirmation emails (https://schema.org/Order,
 * https://schema.org/Invoice, https://schema.org/ParcelDelivery; the email-markup profile mail
 * clients read): JSON-LD in `<script type="application/ld+json">`, or microdata
 * (`itemscope itemtype="http://schema.org/Order"` with `itemprop`s). What the markup states is
 * taken as it stands; nothing is inferred from the visible text of a message — a message without
 * markup is not an order here.
 *
 * An Order gives the seller (`seller` or the older `merchant`, a name or an Organization),
 * `orderNumber`, `orderDate`, the total (`price`, else `totalPaymentDue`, else the sum of its
 * `acceptedOffer`s) and its items (`acceptedOffer[].itemOffered`). An Invoice gives the order it
 * `referencesOrder`, else its `provider`, `totalPaymentDue` and `confirmationNumber`. A
 * ParcelDelivery gives its `partOfOrder` (usually without a price: then it is no purchase of its
 * own, the order's confirmation carries it).
 */
export interface MarkupOrder {
  readonly seller?: string
  readonly orderNumber?: string
  readonly orderDate?: string
  readonly currency?: string
  readonly total?: number
  readonly items: { name: string; sku?: string; quantity: number; price?: number }[]
  /** The markup type the order was found as. */
  readonly from: 'Order' | 'Invoice' | 'ParcelDelivery'
}

type Node = Record<string, unknown>
const isNode = (v: unknown): v is Node => typeof v === 'object' && v !== null && !Array.isArray(v)
const list = (v: unknown): unknown[] => (Array.isArray(v) ? v : v === undefined ? [] : [v])

/** `Order`, `schema:Order`, `http://schema.org/Order` → `Order`. */
function typesOf(node: Node): string[] {
  return list(node['@type'])
    .filter((t): t is string => typeof t === 'string')
    .map((t) => t.replace(/^.*[/:#]/, ''))
}

function text(v: unknown): string | undefined {
  const first = list(v)[0]
  if (typeof first === 'string') return first.trim() || undefined
  if (typeof first === 'number') return String(first)
  if (isNode(first)) return text(first.name ?? first['@value'])
  return undefined
}

function number(v: unknown): number | undefined {
  const first = list(v)[0]
  if (typeof first === 'number' && Number.isFinite(first)) return first
  if (typeof first === 'string') {
    const cleaned = first.replace(/[^0-9.,-]/g, '')
    // Markup prices are machine-readable: a point is the decimal mark (schema.org "price").
    if (/^-?[0-9]+(\.[0-9]+)?$/.test(cleaned)) return Number(cleaned)
  }
  if (isNode(first)) return number(first.price ?? first.value ?? first['@value'])
  return undefined
}

function currencyOf(v: unknown): string | undefined {
  const first = list(v)[0]
  if (isNode(first)) return text(first.priceCurrency ?? first.currency)
  return undefined
}

function fromOrder(order: Node, from: MarkupOrder['from']): MarkupOrder {
  const offers = list(order.acceptedOffer).filter(isNode)
  const items = offers.flatMap((offer) => {
    const item = list(offer.itemOffered).find(isNode)
    const name = text(item?.name ?? offer.name)
    if (!name) return []
    const quantity = number(offer.eligibleQuantity) ?? 1
    const price = number(offer.price)
    const sku = text(item?.sku)
    return [
      {
        name: name.slice(0, 300),
        quantity: Number.isInteger(quantity) && quantity > 0 ? quantity : 1,
        ...(sku ? { sku: sku.slice(0, 100) } : {}),
        ...(price !== undefined && price >= 0 ? { price } : {}),
      },
    ]
  })
  const offerSum =
    offers.length > 0 && items.every((i) => i.price !== undefined)
      ? items.reduce((sum, i) => sum + (i.price ?? 0) * i.quantity, 0)
      : undefined
  const total = number(order.price) ?? number(order.totalPaymentDue) ?? offerSum
  const currency =
    text(order.priceCurrency) ??
    currencyOf(order.totalPaymentDue) ??
    offers.map((o) => text(o.priceCurrency)).find((c) => c !== undefined)
  const seller = text(order.seller ?? order.merchant ?? order.provider)
  const orderNumber = text(order.orderNumber ?? order.confirmationNumber)
  const orderDate = text(order.orderDate)
  return {
    from,
    items,
    ...(seller ? { seller } : {}),
    ...(orderNumber ? { orderNumber } : {}),
    ...(orderDate ? { orderDate } : {}),
    ...(currency ? { currency: currency.toUpperCase() } : {}),
    ...(total !== undefined ? { total: Math.round(total * 10_000) / 10_000 } : {}),
  }
}

/** Every Order, Invoice and ParcelDelivery in a JSON-LD document (arrays and `@graph` included). */
function ordersInJsonLd(doc: unknown, out: MarkupOrder[], depth = 0): void {
  if (depth > 8) return
  if (Array.isArray(doc)) {
    for (const d of doc) ordersInJsonLd(d, out, depth + 1)
    return
  }
  if (!isNode(doc)) return
  if (doc['@graph'] !== undefined) ordersInJsonLd(doc['@graph'], out, depth + 1)
  const types = typesOf(doc)
  if (types.includes('Order')) out.push(fromOrder(doc, 'Order'))
  else if (types.includes('Invoice')) {
    const ref = list(doc.referencesOrder).find(isNode)
    const base = fromOrder(doc, 'Invoice')
    const referenced = ref ? fromOrder(ref, 'Invoice') : undefined
    out.push(referenced ? { ...base, ...definedOnly(referenced) } : base)
  } else if (types.includes('ParcelDelivery')) {
    const part = list(doc.partOfOrder).find(isNode)
    if (part) out.push(fromOrder(part, 'ParcelDelivery'))
  }
}

const definedOnly = (o: MarkupOrder): Partial<MarkupOrder> =>
  Object.fromEntries(
    Object.entries(o).filter(
      ([k, v]) => v !== undefined && !(k === 'items' && list(v).length === 0),
    ),
  )

const SCRIPT =
  /<script\b[^>]*\btype\s*=\s*["']?application\/ld\+json["']?[^>]*>([\s\S]*?)<\/script\s*>/gi

/** Decodes the five entities HTML attribute values and script text commonly carry. */
const decodeEntities = (s: string) =>
  s
    .replace(/&quot;/g, '"')
    .replace(/&#0*39;|&apos;/g, "'")
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&amp;/g, '&')

/**
 * Microdata, read as far as order markup needs: the `itemscope` of an Order (or ParcelDelivery →
 * its order) up to the next top-level order, each `itemprop` taking its `content`, `datetime` or
 * `href` attribute, else the text up to the next tag. Nested items (the seller, the offers) are
 * read by their own `itemprop`s (`seller` → the first `name` after it).
 */
function ordersInMicrodata(html: string, out: MarkupOrder[]): void {
  const scope =
    /<[a-z0-9]+\b[^>]*\bitemtype\s*=\s*["']https?:\/\/schema\.org\/(Order|Invoice|ParcelDelivery)["'][^>]*>/gi
  const starts = [...html.matchAll(scope)]
  starts.forEach((m, i) => {
    const from = m[1] as MarkupOrder['from']
    const part = html.slice(m.index, starts[i + 1]?.index ?? html.length)
    const props: Record<string, string[]> = {}
    const prop = /<([a-z0-9]+)\b([^>]*)\bitemprop\s*=\s*["']([^"']+)["']([^>]*)>([^<]*)/gi
    for (const p of part.matchAll(prop)) {
      const attrs = `${p[2]} ${p[4]}`
      const attr = /\b(?:content|datetime|href)\s*=\s*["']([^"']*)["']/i.exec(attrs)
      const value = decodeEntities((attr?.[1] ?? p[5] ?? '').trim())
      for (const name of (p[3] as string).split(/\s+/)) (props[name] ??= []).push(value)
    }
    const first = (name: string) => props[name]?.find((v) => v !== '')
    // The seller's (or merchant's) name is the first `name` after it; an item's is an offer's.
    const names = props.name ?? []
    const node: Node = {
      seller: first('seller') || first('merchant') || first('provider') || names[0],
      orderNumber: first('orderNumber') ?? first('confirmationNumber'),
      orderDate: first('orderDate'),
      price: first('price') ?? first('totalPrice'),
      priceCurrency: first('priceCurrency'),
    }
    const order = fromOrder(node, from)
    if (from === 'ParcelDelivery' && order.orderNumber === undefined) return
    out.push(order)
  })
}

/**
 * The orders an HTML part's markup states: JSON-LD first; microdata only when there is no JSON-LD
 * order (a message carrying both states the same order twice). A script that is not JSON is
 * passed over, never an error.
 *
 * @example
 * ordersInHtml('<script type="application/ld+json">{"@type":"Order","seller":"Fjord","orderNumber":"A-1","price":"12.50","priceCurrency":"EUR"}</script>')
 * // [{ from: 'Order', seller: 'Fjord', orderNumber: 'A-1', total: 12.5, currency: 'EUR', items: [] }]
 */
export function ordersInHtml(html: string): MarkupOrder[] {
  const out: MarkupOrder[] = []
  for (const m of html.matchAll(SCRIPT)) {
    try {
      ordersInJsonLd(JSON.parse(unescapeScript(m[1] as string)), out)
    } catch {
      // Not JSON: some other script with that type; the message may still carry microdata.
    }
  }
  if (out.length === 0) ordersInMicrodata(html, out)
  return out
}

/** Script text is raw in HTML, but mail tools sometimes wrap it in an HTML comment or CDATA. */
const unescapeScript = (s: string) =>
  s
    .trim()
    .replace(/^<!--|-->$/g, '')
    .replace(/^<!\[CDATA\[|\]\]>$/g, '')

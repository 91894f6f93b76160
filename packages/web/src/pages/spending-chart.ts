import { html } from 'hono/html'
import type { HtmlEscapedString } from 'hono/utils/html'

/**
 * Spending charts as server-rendered SVG: a pure function from totals to markup, so they work
 * with no script under the pages' CSP (no inline style: colours come from custos.css classes).
 * Each chart is one currency — amounts in different currencies are never added up — and carries
 * `<title>`/`<desc>` plus a data table with the same numbers for screen readers and for anyone
 * who prefers figures to bars (WCAG 2.2 SC 1.1.1).
 */
export interface ChartBar {
  readonly label: string
  /** In the chart's currency; never negative. */
  readonly amount: number
}

export interface SpendingChartData {
  /** Unique on the page: used for the SVG's ARIA ids. */
  readonly id: string
  readonly title: string
  readonly description: string
  /** ISO 4217 code shared by every bar. */
  readonly currency: string
  readonly bars: readonly ChartBar[]
}

const WIDTH = 640
const LABEL_WIDTH = 180
const VALUE_WIDTH = 110
const BAR_HEIGHT = 22
const GAP = 8

/** An amount in its currency, e.g. "€1,234.50" (falls back to "1,234.50 XYZ" for codes Intl does not know). */
export function formatAmount(amount: number, currency: string): string {
  try {
    return new Intl.NumberFormat('en', { style: 'currency', currency }).format(amount)
  } catch {
    return `${amount.toFixed(2)} ${currency}`
  }
}

/**
 * A label cut to fit the label column (the full text stays in the bar's <title> and the table).
 * 18 characters: at phone width custos.css enlarges the chart's text so that it stays readable
 * once the 640-unit chart is scaled down to the screen, and 18 still fit the column then.
 */
export const LABEL_CHARS = 18
export function shortLabel(label: string): string {
  return label.length > LABEL_CHARS ? `${label.slice(0, LABEL_CHARS - 1)}…` : label
}

/**
 * A horizontal bar chart: one row per bar, bar length proportional to the amount (the largest
 * fills the bar area), the amount written after each bar.
 *
 * @example
 * spendingChartSvg({ id: 'm-eur', title: 'Spending by month (EUR)', description: '…', currency: 'EUR', bars: [{ label: '2026-03', amount: 129.9 }] })
 */
export function spendingChartSvg(
  chart: SpendingChartData,
): HtmlEscapedString | Promise<HtmlEscapedString> {
  const max = Math.max(0, ...chart.bars.map((b) => b.amount))
  const area = WIDTH - LABEL_WIDTH - VALUE_WIDTH
  const height = Math.max(1, chart.bars.length) * (BAR_HEIGHT + GAP) + GAP
  const rows = chart.bars.map((bar, i) => {
    const y = GAP + i * (BAR_HEIGHT + GAP)
    const width = max > 0 ? Math.round((bar.amount / max) * area * 100) / 100 : 0
    const amount = formatAmount(bar.amount, chart.currency)
    return html`<g><text x="${LABEL_WIDTH - 8}" y="${y + BAR_HEIGHT / 2}" text-anchor="end" dominant-baseline="middle">${shortLabel(bar.label)}</text><rect class="bar" x="${LABEL_WIDTH}" y="${y}" width="${width}" height="${BAR_HEIGHT}" data-label="${bar.label}" data-amount="${bar.amount}"><title>${bar.label}: ${amount}</title></rect><text x="${LABEL_WIDTH + width + 6}" y="${y + BAR_HEIGHT / 2}" dominant-baseline="middle">${amount}</text></g>`
  })
  return html`<svg class="chart" role="img" viewBox="0 0 ${WIDTH} ${height}" width="${WIDTH}" height="${height}" aria-labelledby="${chart.id}-title ${chart.id}-desc" xmlns="http://www.w3.org/2000/svg"><title id="${chart.id}-title">${chart.title}</title><desc id="${chart.id}-desc">${chart.description}</desc>${rows}</svg>`
}

/** The same numbers as a table: the accessible alternative to the chart. */
export function spendingTable(
  chart: SpendingChartData,
  labelHeading: string,
): HtmlEscapedString | Promise<HtmlEscapedString> {
  return html`<div class="table-wrap"><table><caption>${chart.title}</caption><thead><tr><th scope="col">${labelHeading}</th><th scope="col">Total (${chart.currency})</th></tr></thead><tbody>${chart.bars.map(
    (b) =>
      html`<tr><th scope="row">${b.label}</th><td>${formatAmount(b.amount, chart.currency)}</td></tr>`,
  )}</tbody></table></div>`
}

/** Chart and table together, the table folded away under a disclosure (works without script). */
export function spendingFigure(
  chart: SpendingChartData,
  labelHeading: string,
): HtmlEscapedString | Promise<HtmlEscapedString> {
  return html`<figure class="spending"><figcaption>${chart.title}</figcaption>${spendingChartSvg(chart)}<details><summary>Show as a table</summary>${spendingTable(chart, labelHeading)}</details></figure>`
}

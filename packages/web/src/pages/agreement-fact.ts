import { html } from 'hono/html'
import type { Grant } from '@custos/vault'
import type { Html } from './layout.js'

/** What the Connections page reads of an IEEE 7012 agreement record (`kit.actions.terms.records`). */
export interface AgreementFactRecord {
  readonly status: 'accepted' | 'refused'
  readonly agreement: { readonly id: string; readonly url: string } | null
  readonly proffered: { readonly id: string; readonly url: string }
  readonly answer: 'accept' | 'counter' | 'decline'
  readonly counter_offer: { readonly id: string } | null
  readonly owner_response: 'accept' | 'decline' | null
  readonly time: string
  readonly second_party: { readonly name: string }
  readonly signatures: { readonly second_party: { readonly confirmed_by: string } }
}

/**
 * A grant's agreement under the owner's MyTerms (issue 12), in plain words, for Connections: which
 * agreement the grant is under and how it came about (accepted, a counter-offer she accepted), or
 * that the vendor declined her terms, or that none was asked. Everything interpolated is escaped.
 *
 * @example
 * const records = await kit.actions.terms.records({ grantId: g.id })
 * html`<li>${agreementFact(g, records[0]?.record)}</li>`
 */
export function agreementFact(g: Grant, record: AgreementFactRecord | undefined): Html {
  if (!record) {
    const terms = g.acceptedTerms
    return terms.length === 0
      ? html`<span class="muted">No agreement of yours applies.</span>`
      : html`Terms accepted: ${terms.join(', ')}.`
  }
  const name = record.second_party.name
  const link = (a: { readonly id: string; readonly url: string }) =>
    html`<a href="${a.url}" rel="noopener noreferrer">${a.id}</a>`
  const signed =
    record.signatures.second_party.confirmed_by === 'signature'
      ? `signed by ${name} and by your vault`
      : `confirmed by ${name}’s authenticated request and signed by your vault`
  const day = record.time.slice(0, 10)
  if (record.status === 'accepted' && record.agreement) {
    const how =
      record.answer === 'counter'
        ? html`${name} offered it instead of ${record.proffered.id}, and you accepted`
        : html`${name} accepted your terms`
    return html`Under your agreement ${link(record.agreement)}: ${how} on ${day} (${signed}).`
  }
  if (record.answer === 'counter')
    return html`No agreement: you declined ${name}’s alternative ${record.counter_offer?.id ?? ''} to ${link(record.proffered)} on ${day}.`
  return html`No agreement: ${name} declined your terms ${link(record.proffered)} on ${day}.`
}

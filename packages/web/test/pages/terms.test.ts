/**
 * Issue 12, part 1 on the owner's pages: Settings → "Your terms" saves the MyTerms agreements she
 * proffers in her order of preference and her two switches (refusing a choice outside the list,
 * changing nothing); a grant's agreement record reads in plain words (agreement-fact.ts, for
 * Connections).
 */
import type { Grant } from '@custos/vault'
import { afterEach, describe, expect, it } from 'vitest'
import { type AgreementFactRecord, agreementFact } from '../../src/pages/agreement-fact.js'
import { disposePageClients, pageClient, text } from '../support/page-client.js'

afterEach(disposePageClients)

type Terms = { proffered: string[]; requireAgreement: boolean; allowAfterDecline: boolean }

describe('Your terms in Settings', () => {
  it('saves the agreements proffered in the owner’s order, and both switches', async () => {
    const p = await pageClient()
    const settings = await p.get('/settings')
    expect(settings.html).toContain('Your terms')
    expect(text(settings.html)).toContain('Service delivery only')
    expect(settings.html).toContain('https://myterms.info/agreements/PDC-GOOD')
    const saved = await p.submit('/settings/terms', {
      'rank.SD-BASE': '2',
      'rank.PDC-GOOD': '1',
      'rank.PDC-AI': '',
      require_agreement: 'yes',
    })
    expect(saved.html).toContain('Saved: vendors are proffered your terms')
    expect(saved.html).toMatch(
      /name="rank\.PDC-GOOD"[^>]*><option value="">Not proffered<\/option><option value="1" selected>/,
    )
    const res = await p.app.request('/owner/terms', { headers: { cookie: p.cookie } })
    const terms = (await res.json()) as Terms
    expect(terms).toMatchObject({
      proffered: ['PDC-GOOD', 'SD-BASE'],
      requireAgreement: true,
      allowAfterDecline: false,
    })
    const discovery = (await (await p.app.request('/.well-known/myterms')).json()) as {
      preference: string[]
    }
    expect(discovery.preference).toEqual(['PDC-GOOD', 'SD-BASE'])
  })

  it('refuses a place outside the list, shows why in place, and changes nothing', async () => {
    const p = await pageClient()
    await p.submit('/settings/terms', { 'rank.SD-BASE': '1', allow_after_decline: 'yes' })
    const bad = await p.post('/settings/terms', { 'rank.SD-BASE': '99x<b>' })
    expect(bad.status).toBe(400)
    expect(bad.html).toContain('Choose agreements and places from the list only')
    expect(bad.html).not.toContain('99x')
    const res = await p.app.request('/owner/terms', { headers: { cookie: p.cookie } })
    expect(((await res.json()) as Terms).proffered).toEqual(['SD-BASE'])
  })
})

describe('a grant’s agreement in plain words', () => {
  const grant = { acceptedTerms: ['SD-BASE'] } as unknown as Grant
  const base: AgreementFactRecord = {
    status: 'accepted',
    agreement: { id: 'SD-BASE', url: 'https://myterms.info/agreements/SD-BASE' },
    proffered: { id: 'SD-BASE', url: 'https://myterms.info/agreements/SD-BASE' },
    answer: 'accept',
    counter_offer: null,
    owner_response: null,
    time: '2026-12-05T10:00:00.000Z',
    second_party: { name: 'Fjord <Outdoor>' },
    signatures: { second_party: { confirmed_by: 'signature' } },
  }
  const say = (g: Grant, r: AgreementFactRecord | undefined) => String(agreementFact(g, r))
  /** The words as read: tags dropped (text() leaves a space where a link ended), entities kept. */
  const words = (html: string) => text(html).replace(/ ([:.,])/g, '$1')

  it('names the agreement, how it came about and who signed, escaping the vendor’s name', () => {
    const accepted = say(grant, base)
    expect(words(accepted)).toContain(
      'Under your agreement SD-BASE: Fjord &lt;Outdoor&gt; accepted your terms on 2026-12-05 (signed by Fjord &lt;Outdoor&gt; and by your vault).',
    )
    expect(accepted).not.toContain('<Outdoor>')
    const countered = say(grant, {
      ...base,
      agreement: { id: 'PDC-GOOD', url: 'https://myterms.info/agreements/PDC-GOOD' },
      answer: 'counter',
      counter_offer: { id: 'PDC-GOOD' },
      owner_response: 'accept',
      signatures: { second_party: { confirmed_by: 'authenticated call' } },
    })
    expect(words(countered)).toContain('offered it instead of SD-BASE, and you accepted')
    expect(words(countered)).toContain('authenticated request')
  })

  it('says when there is no agreement: declined by the vendor, a counter-offer declined, or none asked', () => {
    expect(
      words(say(grant, { ...base, status: 'refused', agreement: null, answer: 'decline' })),
    ).toContain('No agreement: Fjord &lt;Outdoor&gt; declined your terms SD-BASE on 2026-12-05.')
    expect(
      text(
        say(grant, {
          ...base,
          status: 'refused',
          agreement: null,
          answer: 'counter',
          counter_offer: { id: 'PDC-GOOD' },
          owner_response: 'decline',
        }),
      ),
    ).toContain('you declined Fjord &lt;Outdoor&gt;’s alternative PDC-GOOD')
    expect(text(say({ acceptedTerms: [] } as unknown as Grant, undefined))).toContain(
      'No agreement of yours applies',
    )
  })
})

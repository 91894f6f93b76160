/**
 * Issue 10, "The owner": the profile page's errors were silent (a refused custom field named like
 * the page's own example, its error far below the top of a page that reloads at the top), custom
 * field names refused what people type, and the profile was one long form with one Save.
 */
import { afterEach, describe, expect, it } from 'vitest'
import { disposePageClients, pageClient, text } from '../support/page-client.js'

afterEach(disposePageClients)

/** The `shown` markers of one section's form, as a browser would send them. */
function sectionForm(html: string, section: string): { shown: string[]; action: string } {
  const form =
    html.match(
      new RegExp(`<section class="profile-section" id="section-${section}">[\\s\\S]*?</section>`),
    )?.[0] ?? ''
  return {
    shown: [...form.matchAll(/name="shown" value="([^"]+)"/g)].map((m) => m[1] as string),
    action: form.match(/<form method="post" action="([^"]+)"/)?.[1] ?? '',
  }
}

describe('profile page: errors announced, names in words, sections (issue 10)', () => {
  it('adds a custom field named in words ("favourite colour"), keeping the label and showing it again', async () => {
    const p = await pageClient()
    const added = await p.post('/profile/custom', {
      name: 'favourite colour',
      kind: 'text',
      value: 'teal',
    })
    expect([added.status, added.location]).toEqual([303, '/profile?added=1#custom'])
    expect(await p.vault.fields.get('custom.favourite-colour')).toEqual({
      label: 'favourite colour',
      value: 'teal',
    })
    await p.post('/profile/custom', { name: 'Größe', kind: 'text', value: 'M' })
    expect(await p.vault.fields.get('custom.grosse')).toEqual({ label: 'Größe', value: 'M' })
    // The same words again replace the value; the label stays the owner's.
    await p.post('/profile/custom', { name: 'Favourite colour', kind: 'text', value: 'ochre' })
    expect(await p.vault.fields.get('custom.favourite-colour')).toEqual({
      label: 'Favourite colour',
      value: 'ochre',
    })

    const page = await p.get('/profile')
    expect(text(page.html)).toContain('Favourite colour ochre')
    expect(text(page.html)).toContain('Größe M')
    expect(page.html).toContain('aria-label="Delete Favourite colour"')
    // A field stored before labels existed reads as before.
    await p.vault.fields.set('custom.loyalty.airline', 'FF 1234')
    expect(text((await p.get('/profile')).html)).toContain('loyalty.airline FF 1234')
  })

  it('announces a refused form at the top: a focused alert listing each problem as a link to its box', async () => {
    const p = await pageClient()
    const profile = await p.get('/profile')
    expect(profile.html).toContain('action="/profile/custom#problems"')
    const bad = await p.post('/profile/custom', { name: 'colour!', kind: 'number', value: 'blue' })
    expect(bad.status).toBe(400)
    const top = bad.html.indexOf(
      '<div class="notice error error-summary" id="problems" role="alert" tabindex="-1" autofocus>',
    )
    expect(top).toBeGreaterThan(0)
    // Before every form of the page, right under the heading.
    expect(top).toBeLessThan(bad.html.indexOf('<form method="post" action="/profile#problems"'))
    const summary = bad.html.slice(top, bad.html.indexOf('</div>', top))
    expect(summary).toContain('The field was not added.')
    expect(summary).toMatch(/<li><a href="#custom-name">Field name: [^<]+<\/a><\/li>/)
    expect(summary).toMatch(/<li><a href="#custom-value">Value: Enter a number[^<]*<\/a><\/li>/)
    expect(bad.html).toContain('id="custom-name"')
    expect(bad.html).toContain('id="custom-value"')

    const { shown, action } = sectionForm(profile.html, 'contact')
    expect(action).toBe('/profile#problems')
    const refused = await p.post(action.replace(/#.*$/, ''), {
      section: 'contact',
      shown,
      email: 'not-an-email',
      telephone: '030 1234567',
    })
    expect(refused.status).toBe(400)
    const list = refused.html.slice(
      refused.html.indexOf('id="problems"'),
      refused.html.indexOf('</div>', refused.html.indexOf('id="problems"')),
    )
    expect(text(list)).toContain('Nothing was saved: 2 fields need a correction.')
    expect(list).toContain(
      '<a href="#f-email">Email: Enter an email address like name@example.org.</a>',
    )
    expect(list).toMatch(/<a href="#f-telephone">Telephone: Use an international number[^<]*<\/a>/)
    expect(refused.html).toContain('id="f-email"')
    expect(refused.html).toContain('id="f-telephone"')
  })

  it('validates what the labels ask for: a two-letter country code and an international number', async () => {
    const p = await pageClient()
    const about = sectionForm((await p.get('/profile')).html, 'about')
    const refused = await p.post('/profile', {
      section: 'about',
      shown: about.shown,
      nationality: 'Germany',
    })
    expect(refused.status).toBe(400)
    expect(refused.html).toMatch(
      /<a href="#f-nationality">Nationality: Use a two-letter country code[^<]*<\/a>/,
    )
    expect(refused.html).not.toMatch(/<p class="field-error"[^>]*>[^<]*Germany/)
    expect(await p.vault.fields.get('nationality')).toBeUndefined()
    const addresses = sectionForm((await p.get('/profile')).html, 'address')
    const home = {
      'address.home.streetAddress': 'Main St 1',
      'address.home.addressLocality': 'Berlin',
    }
    expect(
      (
        await p.post('/profile', {
          section: 'address',
          shown: addresses.shown,
          ...home,
          'address.home.addressCountry': 'Germany',
        })
      ).status,
    ).toBe(400)
    expect(
      (
        await p.post('/profile', {
          section: 'address',
          shown: addresses.shown,
          ...home,
          'address.home.addressCountry': 'de',
        })
      ).status,
    ).toBe(303)
    expect(await p.vault.fields.get('address.home')).toEqual({
      streetAddress: 'Main St 1',
      addressLocality: 'Berlin',
      addressCountry: 'DE',
    })
    expect(
      (await p.post('/profile', { section: 'about', shown: about.shown, nationality: 'fr' }))
        .status,
    ).toBe(303)
    expect(await p.vault.fields.get('nationality')).toBe('FR')
  })

  it('splits the profile into sections, each its own form and Save, saving only its own fields', async () => {
    const p = await pageClient()
    await p.vault.fields.setMany({
      'name.given': 'Ada',
      'prefs.sizes.shoe': 'EU 39',
      email: 'ada@example.org',
    })
    const page = await p.get('/profile')
    const sections = [
      ...page.html.matchAll(/<section class="profile-section" id="section-([a-z-]+)">/g),
    ].map((m) => m[1])
    expect(sections).toEqual([
      'identity',
      'contact',
      'address',
      'about',
      'sizes',
      'diet',
      'contact-preferences',
      'brands',
      'shopping',
    ])
    for (const s of sections) {
      const form = page.html.match(new RegExp(`id="section-${s}">[\\s\\S]*?</form>`))?.[0] ?? ''
      expect(form, s).toContain('<button type="submit">Save</button>')
      expect(form, s).toContain(`<input type="hidden" name="section" value="${s}">`)
    }
    const sizes = sectionForm(page.html, 'sizes')
    expect(sizes.shown).toEqual([
      'prefs.sizes.shoe',
      'prefs.sizes.top',
      'prefs.sizes.bottom',
      'prefs.sizes.dress',
      'prefs.sizes.ring',
    ])
    // A form that also names other sections' fields (emptied) changes its own section only.
    const res = await p.post('/profile', {
      section: 'sizes',
      shown: [...sizes.shown, 'name.given', 'email'],
      'prefs.sizes.shoe': '',
      'prefs.sizes.top': 'M',
      'name.given': '',
      email: '',
    })
    expect([res.status, res.location]).toEqual([
      303,
      '/profile?saved=1&section=sizes#section-sizes',
    ])
    expect(await p.vault.fields.get('prefs.sizes.shoe')).toBeUndefined()
    expect(await p.vault.fields.get('prefs.sizes.top')).toBe('M')
    expect(await p.vault.fields.get('name.given')).toBe('Ada')
    expect(await p.vault.fields.get('email')).toBe('ada@example.org')
    const saved = await p.get('/profile?saved=1&section=sizes')
    const section = saved.html.match(/id="section-sizes">[\s\S]*?<\/section>/)?.[0] ?? ''
    expect(section).toContain('<p class="notice ok" role="status">“Sizes” is saved.</p>')
  })
})

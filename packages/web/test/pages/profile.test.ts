import { afterEach, describe, expect, it } from 'vitest'
import {
  type PagesFixture,
  signedInPages,
  textOf,
  unlabelledControls,
} from '../support/web-fixture.js'

/** Every field marker the profile form carries, so a post covers the whole form as a browser's would. */
async function shownFields(f: PagesFixture): Promise<string[]> {
  const page = await (await f.browser.get('/profile')).text()
  return [...page.matchAll(/name="shown" value="([^"]+)"/g)].map((m) => m[1] as string)
}

describe('profile page (issue 4, web app 3)', () => {
  let f: PagesFixture
  afterEach(() => f.dispose())

  it('shows the vocabulary in labelled groups with suitable inputs and current values', async () => {
    f = await signedInPages()
    await f.vault.fields.setMany({
      'name.given': 'Ada',
      'prefs.diet': ['vegan'],
      'prefs.brands.avoid': ['Acme', 'Globex'],
      'address.home': {
        streetAddress: 'Main St 1',
        addressLocality: 'Berlin',
        addressCountry: 'DE',
      },
    })
    const res = await f.browser.get('/profile')
    expect(res.status).toBe(200)
    const page = await res.text()
    expect(unlabelledControls(page)).toEqual([])
    for (const legend of [
      'Name',
      'Contact',
      'Addresses',
      'Sizes',
      'Food',
      'How vendors may contact me',
      'Brands',
    ])
      expect(page).toContain(`<legend>${legend}</legend>`)
    expect(page).toMatch(/<input type="text" id="f-name-given" name="name.given" value="Ada"/)
    expect(page).toMatch(/<input type="email" id="f-email" name="email"/)
    expect(page).toMatch(/<input type="date" id="f-birthDate" name="birthDate"/)
    expect(page).toMatch(
      /<input type="checkbox" id="f-prefs-diet-vegan" name="prefs.diet:vegan" checked>/,
    )
    expect(page).toContain('>Acme\nGlobex</textarea>')
    expect(page).toMatch(/name="address.home.addressLocality" value="Berlin"/)
    expect(page).toMatch(/<select id="f-prefs-contact-channel" name="prefs.contact.channel"/)
    expect(page).toMatch(/<button type="submit">Save<\/button>/)
    expect(page).toMatch(/<button type="submit">Add field<\/button>/)
  })

  it('saves the whole form in one go; an emptied box removes its field', async () => {
    f = await signedInPages()
    await f.vault.fields.set('jobTitle', 'Engineer')
    const res = await f.browser.post('/profile', {
      csrf_token: await f.browser.csrf('/profile'),
      shown: await shownFields(f),
      'name.given': ' Ada ',
      email: 'ada@example.org',
      'emails.other': 'a@example.org\n\n b@example.org ',
      'address.shipping.streetAddress': 'Fjordgata 2',
      'address.shipping.addressLocality': 'Bergen',
      'address.shipping.addressCountry': 'no',
      'prefs.diet:vegetarian': 'on',
      'prefs.diet:gluten-free': 'on',
      'prefs.contact.channel': 'email',
      jobTitle: '',
    })
    expect([res.status, res.headers.get('location')]).toEqual([303, '/profile?saved=1'])
    expect(await f.vault.fields.get('name.given')).toBe('Ada')
    expect(await f.vault.fields.get('emails.other')).toEqual(['a@example.org', 'b@example.org'])
    expect(await f.vault.fields.get('address.shipping')).toEqual({
      streetAddress: 'Fjordgata 2',
      addressLocality: 'Bergen',
      addressCountry: 'NO',
    })
    expect(await f.vault.fields.get('prefs.diet')).toEqual(['vegetarian', 'gluten-free'])
    expect(await f.vault.fields.get('prefs.contact.channel')).toBe('email')
    expect(await f.vault.fields.get('jobTitle')).toBeUndefined()
    expect(textOf(await (await f.browser.get('/profile?saved=1')).text())).toContain(
      'Your profile is saved.',
    )
  })

  it('shows every validation error in place, keeps what was typed, and saves nothing', async () => {
    f = await signedInPages()
    await f.vault.fields.set('name.given', 'Ada')
    const res = await f.browser.post('/profile', {
      csrf_token: await f.browser.csrf('/profile'),
      shown: await shownFields(f),
      'name.given': 'Grace',
      email: 'not-an-email',
      'address.home.streetAddress': 'Main St 1',
      'address.home.addressCountry': 'Germany',
    })
    expect(res.status).toBe(400)
    const page = await res.text()
    expect(textOf(page)).toContain('Nothing was saved: 3 fields need a correction')
    expect(page).toMatch(
      /name="email" value="not-an-email" autocomplete="email" aria-describedby="f-email-error" aria-invalid="true">/,
    )
    expect(page).toMatch(
      /<p class="field-error" id="f-email-error" role="alert">Enter an email address like name@example.org.<\/p>/,
    )
    expect(page).toMatch(/id="f-address-home-addressLocality-error" role="alert">This is needed.</)
    expect(page).toMatch(/id="f-address-home-addressCountry-error" role="alert">[^<]*country code/)
    expect(page).toContain('name="address.home.addressCountry" value="Germany"')
    expect(page).toContain('value="Grace"')
    expect(await f.vault.fields.get('name.given')).toBe('Ada')
    expect(await f.vault.fields.get('email')).toBeUndefined()
  })

  it('refuses a form without the CSRF token and changes nothing', async () => {
    f = await signedInPages()
    await f.vault.fields.set('name.given', 'Ada')
    const res = await f.browser.post('/profile', { shown: 'name.given', 'name.given': 'Mallory' })
    expect(res.status).toBe(403)
    expect(res.headers.get('content-type')).toMatch(/^text\/html/)
    expect(textOf(await res.text())).toContain('Nothing was changed')
    expect(await f.vault.fields.get('name.given')).toBe('Ada')
    const wrong = await f.browser.post('/profile/delete', {
      csrf_token: 'x'.repeat(64),
      path: 'name.given',
    })
    expect(wrong.status).toBe(403)
    expect(await f.vault.fields.get('name.given')).toBe('Ada')
  })

  it('adds custom fields of each kind, refuses a bad name in place, and deletes a field', async () => {
    f = await signedInPages()
    const token = await f.browser.csrf('/profile')
    const add = (name: string, kind: string, value: string) =>
      f.browser.post('/profile/custom', { csrf_token: token, name, kind, value })
    expect((await add('loyalty.airline', 'text', 'FF 1234')).headers.get('location')).toBe(
      '/profile?added=1#custom',
    )
    expect((await add('custom.shoe.width', 'number', '10.5')).status).toBe(303)
    expect((await add('newsletter', 'yes-no', 'Yes')).status).toBe(303)
    expect((await add('colours', 'list', 'teal\nochre')).status).toBe(303)
    expect(await f.vault.fields.list(['custom.*'])).toMatchObject([
      { path: 'custom.colours', value: ['teal', 'ochre'] },
      { path: 'custom.loyalty.airline', value: 'FF 1234' },
      { path: 'custom.newsletter', value: true },
      { path: 'custom.shoe.width', value: 10.5 },
    ])

    const bad = await add('Bad Name!', 'text', 'kept value')
    expect(bad.status).toBe(400)
    const badPage = await bad.text()
    expect(badPage).toMatch(
      /id="custom-name" name="name" value="Bad Name!"[^>]*aria-invalid="true" aria-describedby="custom-name-error"/,
    )
    expect(badPage).toContain('>kept value</textarea>')
    const notNumber = await add('age', 'number', 'old')
    expect(textOf(await notNumber.text())).toContain('Enter a number')
    expect(await f.vault.fields.get('custom.age')).toBeUndefined()

    const page = await (await f.browser.get('/profile')).text()
    expect(page).toContain('aria-label="Delete loyalty.airline"')
    const del = await f.browser.post('/profile/delete', {
      csrf_token: token,
      path: 'custom.loyalty.airline',
    })
    expect([del.status, del.headers.get('location')]).toEqual([303, '/profile?deleted=1'])
    expect(await f.vault.fields.get('custom.loyalty.airline')).toBeUndefined()
    expect(
      (await f.browser.post('/profile/delete', { csrf_token: token, path: '../etc' })).status,
    ).toBe(400)
  })
})

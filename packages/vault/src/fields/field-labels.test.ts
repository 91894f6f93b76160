import { describe, expect, it } from 'vitest'
import { fieldLabel } from './field-labels.js'

describe('fieldLabel', () => {
  it('names vocabulary fields by their label and custom fields as the owner’s own', () => {
    expect(fieldLabel('email')).toBe('Email')
    expect(fieldLabel('prefs.sizes.shoe')).toBe('Shoe size')
    expect(fieldLabel('custom.loyalty.number')).toBe('Your field “loyalty.number”')
  })

  it('names a subtree by the fields it covers, never by its path', () => {
    expect(fieldLabel('name.*')).toBe('Given name, Family name, Middle names and 2 more')
    expect(fieldLabel('prefs.brands.*')).toBe('Brands I like and Brands I avoid')
    expect(fieldLabel('prefs.contact.*')).toBe(
      'Preferred channel, How often and Language for messages',
    )
    expect(fieldLabel('custom.*')).toBe('All your own fields')
    expect(fieldLabel('custom.loyalty.*')).toBe('Your own fields under “loyalty”')
  })

  it('falls back to the text itself for anything it does not know', () => {
    expect(fieldLabel('nothing.here.*')).toBe('nothing.here.*')
    expect(fieldLabel('not a path')).toBe('not a path')
  })
})

import { describe, expect, it } from 'vitest'
import { columnsFromMap } from './csv-map-option.js'

describe('columnsFromMap', () => {
  const header = ['Buchungstag', 'Empfänger', 'Betrag', 'Währung', 'Verwendungszweck']

  it('maps the named columns by their header (case and accents ignored) and leaves the rest to recognition', () => {
    expect(columnsFromMap('date=buchungstag, seller=EMPFANGER,amount=Betrag', header)).toEqual({
      columns: ['orderDate', 'seller', 'total', 'auto', 'auto'],
    })
    expect(columnsFromMap('orderNumber=Verwendungszweck', header)).toEqual({
      columns: ['auto', 'auto', 'auto', 'auto', 'orderNumber'],
    })
  })

  it('says what is wrong: a pair without =, an unknown kind, a column the file lacks', () => {
    expect(columnsFromMap('date', header)).toMatchObject({
      error: expect.stringContaining('--map takes WHAT=COLUMN pairs'),
    })
    expect(columnsFromMap('colour=Betrag', header)).toMatchObject({
      error: expect.stringContaining('WHAT one of'),
    })
    expect(columnsFromMap('date=Datum', header)).toEqual({
      error: '--map: the file has no column called “Datum”',
    })
  })
})

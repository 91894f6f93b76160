import { describe, expect, it } from 'vitest'
import { errorFields } from '../../src/cli/logger.js'

describe('errorFields (what the server log says about an unexpected error)', () => {
  it('gives the class, the code and where it was thrown, never the message', () => {
    const err = Object.assign(new RangeError('value 4111 1111 1111 1111 out of range'), {
      code: 'ERR_X',
    })
    const fields = errorFields(err)
    expect(fields).toMatchObject({ error: 'RangeError', code: 'ERR_X' })
    expect(String(fields.where)).toMatch(/error-fields\.test\.ts:\d+$/)
    expect(JSON.stringify(fields)).not.toContain('4111')
  })

  it('copes with things thrown that are not errors', () => {
    expect(errorFields('a string')).toEqual({ error: 'string' })
  })
})

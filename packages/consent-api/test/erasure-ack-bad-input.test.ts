/**
 * Issue 12, "Done when": an oversized event gets a clear error and loses nothing. A vendor's
 * erasure acknowledgement (RFC 8417 SET, pushed as in RFC 8935) larger than one SET may be is
 * refused with RFC 8935 §2.3 JSON, and the owner's request still reads "no answer" — until the
 * vendor sends a proper acknowledgement, which is then taken.
 */
import { afterEach, describe, expect, it } from 'vitest'
import { disposeFixtures, oauthFixture, ownerCall } from './support/oauth-fixture.js'

const EVENTS = 'https://custos.dev/secevent'
afterEach(disposeFixtures)

describe('an oversized erasure acknowledgement', () => {
  it('is refused in words, changes nothing, and a proper one afterwards is taken', async () => {
    const f = await oauthFixture()
    const client = await f.registerKeyClient()
    await f.code(client)
    const asked = await ownerCall(f, 'POST', `/owner/vendors/${client.id}/erasure`)
    const { requestId } = (await asked.json()) as { requestId: string }
    const ack = (extra: Record<string, unknown>) =>
      client.sign(
        {
          sub: undefined,
          exp: undefined,
          events: { [`${EVENTS}/erasure-acknowledged`]: { request_id: requestId } },
          ...extra,
        },
        { typ: 'secevent+jwt' },
      )
    const send = (jws: string) =>
      f.app.request('/oauth/events/acknowledgements', {
        method: 'POST',
        headers: { 'content-type': 'application/secevent+jwt' },
        body: jws,
      })
    const erasure = async () => {
      const res = await ownerCall(f, 'GET', '/owner/vendors')
      const body = (await res.json()) as {
        vendors: { id: string; signals: { erasure?: { acknowledgedAt?: string } } }[]
      }
      return body.vendors.find((v) => v.id === client.id)?.signals.erasure
    }

    const oversized = await send(await ack({ padding: 'x'.repeat(20_000) }))
    expect(oversized.status).toBe(400)
    expect(oversized.headers.get('content-type')).toMatch(/^application\/json/)
    expect(await oversized.json()).toMatchObject({
      err: 'invalid_request',
      description: expect.any(String),
    })
    expect((await erasure())?.acknowledgedAt).toBeUndefined()

    expect((await send(await ack({}))).status).toBe(202)
    expect((await erasure())?.acknowledgedAt).toEqual(expect.any(String))
  })
})

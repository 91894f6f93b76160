/**
 * Runs Fjord Outdoor against a Custos on this computer:
 *
 *   npm start    # the vault, at http://127.0.0.1:7300
 *   npx tsx packages/consent-api/examples/vendor-shop/main.ts --custos http://127.0.0.1:7300 --port 7400
 *
 * then open http://127.0.0.1:7400 and press "Connect my Custos". The shop listens on the loopback
 * interface only: Custos pushes its signals to `http://127.0.0.1…` endpoints (RFC 8935) and
 * nowhere else over plain http.
 */
import { parseArgs } from 'node:util'
import { serve } from '@hono/node-server'
import { createShopApp } from './shop-app.js'

const { values } = parseArgs({
  options: {
    custos: { type: 'string', default: 'http://127.0.0.1:7300' },
    port: { type: 'string', default: '7400' },
  },
})
const port = Number(values.port)
if (!Number.isInteger(port) || port < 1 || port > 65535) {
  console.error('--port must be a port number')
  process.exit(2)
}
const baseUrl = `http://127.0.0.1:${port}`
const { app, shop } = createShopApp({ baseUrl, defaultCustos: values.custos })
// No signal announces a new intent: the shop looks for ones its catalogue fits once a minute.
setInterval(() => {
  shop.answerAllIntents().catch((err: unknown) => console.error('Answering intents failed:', err))
}, 60_000).unref()
serve({ fetch: app.fetch, hostname: '127.0.0.1', port }, () =>
  console.log(`Fjord Outdoor at ${baseUrl} (your Custos: ${values.custos})`),
)

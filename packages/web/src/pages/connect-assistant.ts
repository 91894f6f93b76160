import { html } from 'hono/html'
import type { Html } from './layout.js'

/**
 * "Connect an assistant" on Connections (issue 14): how to connect an MCP client to this vault —
 * over HTTP at its `/mcp` URL, where the client discovers the consent flow itself (RFC 9728), or
 * on this computer with `custos mcp --connect`. An assistant then appears among the connections
 * like any vendor, with its grant, last read and Revoke.
 */
export function connectAssistantSection(issuer: string): Html {
  const url = `${issuer.replace(/\/$/, '')}/mcp`
  return html`<section aria-labelledby="connect-assistant"><h2 id="connect-assistant">Connect an assistant</h2>
<p>An assistant (an MCP client) works through a grant, like a vendor: you approve it on the consent page, every call is in your access log, and revoking it here ends its next call. Ask for the scope <code>draft</code> to let it propose intents and messages for you to send.</p>
<p><label for="mcp-url">Over HTTP: give your MCP client this address</label>
<input id="mcp-url" readonly value="${url}"></p>
<p>On this computer, with <code>custos serve</code> running:</p>
<pre><code>custos mcp --connect --token-file ~/.config/custos/assistant.json --name "My assistant"</code></pre>
<p class="muted">Then let your assistant start <code>custos mcp --token-file ~/.config/custos/assistant.json</code>.</p></section>`
}

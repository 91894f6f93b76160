/**
 * Fjord Outdoor's pages: plain server-rendered HTML (hono's `html` escapes every value). What the
 * shop shows its customer is exactly what it holds about her, and why it may hold it.
 */
import { html } from 'hono/html'
import type { CustomerRecord } from './shop-store.js'

type Html = ReturnType<typeof html>

function layout(title: string, body: Html | string): Html {
  return html`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${title} — Fjord Outdoor</title><link rel="icon" href="data:,"></head>
<body><header><p><a href="/">Fjord Outdoor</a></p></header><main>${body}</main></body></html>`
}

function value(v: unknown): string {
  if (typeof v === 'string') return v
  if (typeof v === 'object' && v !== null)
    return Object.values(v as Record<string, unknown>).join(', ')
  return JSON.stringify(v)
}

/** The shop's front page for a customer it holds nothing about: connect a Custos. */
export function connectPage(defaultCustos: string, notice?: string): Html {
  return layout(
    'Welcome',
    html`<h1>Fjord Outdoor</h1>
${notice ? html`<p role="status">${notice}</p>` : ''}
<p>Fjord Outdoor keeps no account of its own: your customer record is what your Custos grants us, for as long as you grant it.</p>
<form method="post" action="/connect">
<label for="custos">Your Custos address</label>
<input id="custos" name="custos" type="url" required value="${defaultCustos}">
<button type="submit">Connect my Custos</button>
</form>`,
  )
}

/** The customer record: the granted fields, the purposes, the agreement and receipts the shop keeps. */
export function accountPage(record: CustomerRecord, notice?: string): Html {
  const grant = record.grant
  const fields = Object.entries(record.fields)
  return layout(
    'Your customer record',
    html`<h1>Your customer record</h1>
${notice ? html`<p role="status">${notice}</p>` : ''}
<p>Connected to <span id="issuer">${record.issuer}</span> — <strong id="status">${record.status}</strong>.</p>
<h2>What your Custos grants us</h2>
${
  fields.length === 0
    ? html`<p id="no-fields">We hold none of your data.</p>`
    : html`<table id="fields"><thead><tr><th>Field</th><th>Value</th></tr></thead><tbody>${fields.map(
        ([path, v]) =>
          html`<tr data-field="${path}"><th scope="row">${path}</th><td>${value(v)}</td></tr>`,
      )}</tbody></table>`
}
${
  grant
    ? html`<h2>Why</h2><p>${grant.purpose}</p><ul id="purposes">${grant.purposes.map((p) => html`<li>${p}</li>`)}</ul>
<p>Until ${grant.expiresAt ?? 'you revoke it'}.</p>
<h2>Your consent, as your vault signed it</h2>
<dl><dt>Consent receipt (Kantara)</dt><dd><code>${grant.receipt.slice(0, 48)}…</code></dd>
<dt>Consent record (ISO/IEC TS 27560)</dt><dd><code>${grant.consentRecord.slice(0, 48)}…</code></dd></dl>`
    : ''
}
<h2>Every consent event, as your vault signed it</h2>
${
  record.consentReceipts.length === 0
    ? html`<p>None received yet.</p>`
    : html`<ul id="consent-receipts">${record.consentReceipts.map((r) => html`<li data-event="${r.event}">${r.event}, ${r.at} — <code>${r.id}</code></li>`)}</ul>`
}
<h2>Our conversations with you</h2>
${
  record.conversations.length === 0
    ? html`<p>None yet. Write to us from your Custos (Conversations); we answer there.</p>`
    : html`${record.conversations.map(
        (t) =>
          html`<section class="thread" data-thread="${t.threadId}"><h3>${t.subject} <small>(${t.status})</small></h3><ol>${t.messages.map((m) => html`<li data-author="${m.author}">${m.author === 'owner' ? 'You' : 'Fjord Outdoor'}, ${m.at}: ${m.text}</li>`)}</ol></section>`,
      )}`
}
<h2>Our offers on your requests</h2>
${
  record.offers.length === 0
    ? html`<p>None yet. Publish a request in your Custos (Intents); we answer what our catalogue fits.</p>`
    : html`<ul id="offers">${record.offers.map((o) => html`<li data-offer="${o.offerId}" data-state="${o.state}">${o.category}: ${o.included} (${o.state})</li>`)}</ul>`
}
${
  record.fieldsToApprove.length > 0 && record.status === 'connected'
    ? html`<form method="post" action="/account/intent-fields"><p>To deliver your order we need: ${record.fieldsToApprove.join(', ')}.</p><button type="submit">Approve them in my Custos</button></form>`
    : ''
}
<h2>Our agreement</h2>
${
  record.agreements.length === 0
    ? html`<p>No MyTerms agreement.</p>`
    : html`<ul id="agreements">${record.agreements.map(
        (a) =>
          html`<li>${a.agreement ?? 'none'} (${a.status})${a.url ? html` — <a href="${a.url}">${a.url}</a>` : ''}</li>`,
      )}</ul>`
}
<h2>Receipts sent to your vault</h2>
${
  record.receiptsSent.length === 0
    ? html`<p>None yet.</p>`
    : html`<ul id="receipts">${record.receiptsSent.map((r) => html`<li>${r.orderNumber}, ${r.at}</li>`)}</ul>`
}
${
  record.status === 'connected'
    ? html`<form method="post" action="/account/receipts"><button type="submit">Send my order receipt to my vault</button></form>`
    : html`<form method="post" action="/connect"><input type="hidden" name="custos" value="${record.issuer}"><button type="submit">Connect my Custos</button></form>`
}`,
  )
}

/** A refusal the customer can read: status code and words, never her input echoed back. */
export function problemPage(title: string, detail: string): Html {
  return layout(
    title,
    html`<h1>${title}</h1><p role="alert">${detail}</p><p><a href="/">Back to the shop</a></p>`,
  )
}

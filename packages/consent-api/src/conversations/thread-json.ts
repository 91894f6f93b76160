import type { ConversationMessage, Thread, ThreadSummary } from '@custos/vault'

/**
 * Threads and messages in the API's words (snake_case, like the rest of `/v1` and the receipts).
 * A message carries its signed entry and signatures, so whoever holds it can check it.
 */
export function threadSummaryJson(t: ThreadSummary) {
  return {
    id: t.id,
    vendor_id: t.vendorId,
    opened_by: t.openedBy,
    topic: t.topic,
    subject: t.subject,
    ...(t.purchaseId !== undefined ? { purchase_id: t.purchaseId } : {}),
    ...(t.grantId !== undefined ? { grant_id: t.grantId } : {}),
    state: t.state,
    status: t.status,
    status_since: t.statusSince,
    created_at: t.createdAt,
    last_at: t.lastAt,
    messages: t.messages,
    unread: t.unread,
  }
}

export function messageJson(m: ConversationMessage) {
  return {
    id: m.id,
    seq: m.seq,
    author: m.author,
    at: m.at,
    text: m.text,
    ...(m.orderNumber !== undefined ? { order_number: m.orderNumber } : {}),
    ...(m.requestedAction !== undefined ? { requested_action: m.requestedAction } : {}),
    ...(m.status !== undefined ? { status: m.status } : {}),
    closes: m.closes,
    ...(m.clientId !== undefined ? { client_id: m.clientId } : {}),
    hash: m.hash,
    prev_hash: m.prevHash,
    jws: m.jws,
    ...(m.vendorJws !== undefined ? { vendor_jws: m.vendorJws } : {}),
  }
}

export function threadJson(t: Thread) {
  return { ...threadSummaryJson(t), items: t.items.map(messageJson) }
}

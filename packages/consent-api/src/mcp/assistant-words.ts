import { type AuditEntry, type Grant, fieldLabel, purposeText } from '@custos/vault'

/**
 * Plain words for what an assistant may read and what the access log holds about it: the answers
 * of the `explain_grant` and `explain_log_entry` tools (mcp/assistant-tools.ts), written for the
 * owner, who reads them through her assistant. Fixed sentences around stored ids, labels and
 * dates — never a field's value.
 */

const ACTION_WORDS: Record<Grant['actions'][number], string> = {
  read: 'read what is listed here',
  append: 'add receipts to your inbox for you to accept or reject',
  converse: 'write to you in conversations',
  intents: 'see the requests you publish and send you offers',
  draft: 'propose intents and messages for you to approve (nothing is sent until you send it)',
}

/** A grant in sentences: fields, purchases, actions, purposes, until when. */
export function grantInWords(grant: Grant): string {
  const lines: string[] = []
  lines.push(
    grant.fields.length > 0
      ? `It may read these fields of your profile: ${grant.fields.map(fieldLabel).join('; ')}.`
      : 'It may read none of your profile fields.',
  )
  const slice = grant.purchases
  if (slice === undefined) lines.push('It may not read your purchases.')
  else {
    const which = [
      slice.madeWithVendor ? 'made with it' : 'of every seller',
      slice.categories ? `in the categories ${slice.categories.join(', ')}` : undefined,
      slice.since ? `from ${slice.since}` : undefined,
      slice.until ? `before ${slice.until}` : undefined,
    ].filter((w) => w !== undefined)
    lines.push(`It may read your purchases ${which.join(', ')}.`)
  }
  lines.push(`It may ${grant.actions.map((a) => ACTION_WORDS[a]).join(', and ')}.`)
  lines.push(`You were told its purpose is: “${grant.purpose}”.`)
  if (grant.purposes.length > 0)
    lines.push(`It may use what it reads ${grant.purposes.map(purposeText).join(', or ')}.`)
  if (grant.accessMode === 'singleUse') lines.push('It may read once; the grant then ends.')
  lines.push(
    grant.status === 'active'
      ? `This lasts until ${grant.expiresAt}, unless you revoke it sooner.`
      : `This grant is ${grant.status}.`,
  )
  return lines.join(' ')
}

const ENTRY_WORDS: Partial<Record<AuditEntry['action'], string>> = {
  'grant.created': 'You gave this grant',
  'grant.narrowed': 'You narrowed this grant',
  'grant.revoked': 'You revoked this grant',
  'grant.consumed': 'Its one read used up a single-use grant',
  'grant.read': 'It read through the grant',
  'grant.refused': 'It asked for something the grant does not allow, and was refused',
  'grant.denied': 'You said no to its request',
  'grant.viewed': 'It looked at what the grant allows',
  'draft.proposed': 'It proposed a draft for you to send or discard',
  'token.issued': 'It received its first access token',
  'token.refreshed': 'It renewed its access token',
  'vendor.registered': 'It registered with your vault',
  'vendor.blocked': 'You blocked it',
  'vendor.unblocked': 'You unblocked it',
  'inbox.appended': 'It added a receipt to your inbox',
  'conversation.opened': 'A conversation was opened',
  'conversation.posted': 'A message was posted',
  'conversation.read': 'It read a conversation',
  'intent.viewed': 'It looked at your published requests',
  'intent.offered': 'It made an offer',
}

/** One access-log entry in a sentence: what happened, when, to which fields, and the outcome. */
export function entryInWords(entry: AuditEntry): string {
  const what = ENTRY_WORDS[entry.action] ?? `The vault recorded “${entry.action}”`
  const parts = [`#${entry.seq} at ${entry.at}: ${what}`]
  if (entry.paths && entry.paths.length > 0)
    parts.push(`— fields: ${entry.paths.map(fieldLabel).join('; ')}`)
  if (entry.purchaseIds && entry.purchaseIds.length > 0)
    parts.push(`— ${entry.purchaseIds.length} purchase(s)`)
  if (entry.outcome === 'refused')
    parts.push(`— refused${entry.detail ? ` (${entry.detail})` : ''}`)
  if (entry.count !== undefined) parts.push(`— ${entry.count} times in a burst`)
  return `${parts.join(' ')}.`
}

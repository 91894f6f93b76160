import type {
  ConversationMessage,
  MessageInput,
  Thread,
  ThreadInput,
  ThreadSummary,
} from '@custos/vault'
import type { AppContext } from '../app-context.js'
import { vaultSigner } from './message-signature.js'
import {
  type ThreadBundle,
  type ThreadVerification,
  threadBundle,
  verifyThreadBundle,
} from './thread-bundle.js'

/** A thread as the owner reads it, with what its signatures say. */
export interface VerifiedThread extends Thread {
  /** The whole thread checked as its bundle would be offline: every signature, the chain. */
  readonly verification: ThreadVerification
}

/**
 * The owner's conversations (issue 13), once for both skins — the owner API
 * (owner/conversation-routes.ts) and the web pages: her messages signed with the vault's key,
 * reading a thread marks it read and checks every signature in it.
 */
export interface OwnerConversations {
  list(filter?: { readonly vendorId?: string }): Promise<ThreadSummary[]>
  unreadCount(): Promise<number>
  read(threadId: string): Promise<VerifiedThread>
  open(input: ThreadInput): Promise<Thread>
  reply(threadId: string, message: MessageInput): Promise<ConversationMessage>
  close(threadId: string, message?: MessageInput): Promise<ConversationMessage>
  export(threadId: string): Promise<ThreadBundle>
}

export function ownerConversations(app: AppContext): OwnerConversations {
  const c = app.vault.conversations
  return {
    list: (filter) => c.list(filter),
    unreadCount: () => c.unreadCount(),
    async read(threadId) {
      const thread = await c.read(threadId)
      return {
        ...thread,
        verification: await verifyThreadBundle(await threadBundle(app, threadId)),
      }
    },
    open: async (input) => c.open(input, await vaultSigner(app)),
    reply: async (threadId, message) => c.reply(threadId, message, await vaultSigner(app)),
    close: async (threadId, message) => c.close(threadId, await vaultSigner(app), message),
    export: (threadId) => threadBundle(app, threadId),
  }
}

import { Worker } from 'node:worker_threads'
import { z } from 'zod'
import { VaultError } from '../errors.js'
import type { Sodium } from './sodium.js'

/**
 * Argon2id cost presets (libsodium's constants). INTERACTIVE is the floor: stored parameters
 * below it are refused, so an attacker who edits the database cannot downgrade the KDF
 * (and the parameters are also bound into the key wrap's associated data).
 */
export const KDF_PRESETS = {
  interactive: { opslimit: 2, memlimit: 64 * 1024 * 1024 },
  moderate: { opslimit: 3, memlimit: 256 * 1024 * 1024 },
  sensitive: { opslimit: 4, memlimit: 1024 * 1024 * 1024 },
} as const

export type KdfPreset = keyof typeof KDF_PRESETS

export const KdfParams = z.object({
  alg: z.literal('argon2id13'),
  opslimit: z.number().int().min(KDF_PRESETS.interactive.opslimit).max(64),
  memlimit: z
    .number()
    .int()
    .min(KDF_PRESETS.interactive.memlimit)
    .max(4 * 1024 * 1024 * 1024),
  salt: z.string().regex(/^[A-Za-z0-9_-]{22}$/, 'salt must be 16 bytes, base64url'),
})
export type KdfParams = z.infer<typeof KdfParams>

export function newKdfParams(sodium: Sodium, preset: KdfPreset): KdfParams {
  const { opslimit, memlimit } = KDF_PRESETS[preset]
  const salt = sodium.to_base64(
    sodium.randombytes_buf(16),
    sodium.base64_variants.URLSAFE_NO_PADDING,
  )
  return { alg: 'argon2id13', opslimit, memlimit, salt }
}

/** The bytes the key wrap authenticates, so the parameters cannot be changed under it. */
export function kdfParamsAad(params: KdfParams): string {
  return `${params.alg}:${params.opslimit}:${params.memlimit}:${params.salt}`
}

/**
 * Derives the key-encryption key from a passphrase with Argon2id, in a worker thread that
 * exits afterwards (its WASM memory is then released) and that keeps the event loop free.
 * The passphrase bytes are transferred to the worker and wiped there.
 */
export function deriveKek(
  sodium: Sodium,
  passphrase: Uint8Array,
  params: KdfParams,
): Promise<Uint8Array> {
  const parsed = KdfParams.safeParse(params)
  if (!parsed.success)
    throw new VaultError('ERR_UNSUPPORTED_FORMAT', 'Unsupported key-derivation parameters')
  const salt = sodium.from_base64(params.salt, sodium.base64_variants.URLSAFE_NO_PADDING)
  const copy = new Uint8Array(passphrase) // a real copy, even of a Buffer: its buffer is transferred below
  return new Promise((resolve, reject) => {
    const worker = new Worker(new URL('./kdf-worker.mjs', import.meta.url), {
      workerData: { passphrase: copy, salt, opslimit: params.opslimit, memlimit: params.memlimit },
      transferList: [copy.buffer as ArrayBuffer],
    })
    let settled = false
    worker.once('message', (msg: { key?: Uint8Array; error?: string }) => {
      settled = true
      if (msg.key) resolve(new Uint8Array(msg.key.buffer, msg.key.byteOffset, msg.key.byteLength))
      else reject(new VaultError('ERR_CRYPTO_UNAVAILABLE', 'Key derivation failed'))
    })
    worker.once('error', () => {
      if (!settled) reject(new VaultError('ERR_CRYPTO_UNAVAILABLE', 'Key derivation failed'))
      settled = true
    })
    worker.once('exit', () => {
      if (!settled) reject(new VaultError('ERR_CRYPTO_UNAVAILABLE', 'Key derivation failed'))
    })
  })
}

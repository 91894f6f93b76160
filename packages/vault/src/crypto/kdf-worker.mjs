// Runs one Argon2id derivation and exits. It lives in its own thread because libsodium's
// WASM memory never shrinks: a 256 MiB MODERATE run would otherwise stay in the process for
// good (SECURITY.md). When this worker exits, its WebAssembly memory goes with it.
import { parentPort, workerData } from 'node:worker_threads'
import sodium from 'libsodium-wrappers-sumo'

await sodium.ready
const { passphrase, salt, opslimit, memlimit } = workerData
try {
  const key = sodium.crypto_pwhash(
    32,
    passphrase,
    salt,
    opslimit,
    memlimit,
    sodium.crypto_pwhash_ALG_ARGON2ID13,
  )
  sodium.memzero(passphrase)
  parentPort.postMessage({ key }, [key.buffer])
} catch (err) {
  parentPort.postMessage({ error: String(err?.message) })
}

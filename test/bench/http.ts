/**
 * The vendor read path over real HTTP on 127.0.0.1: `GET /v1/profile` (token check, 10 granted
 * fields, durable audit entry) against a bare hono hello-world measured in the same run, each
 * server in its own child process, driven by autocannon with 64 connections for a bounded time.
 */
import { type ChildProcess, spawn } from 'node:child_process'
import { once } from 'node:events'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'
import autocannon from 'autocannon'

export interface HttpResult {
  readonly requestsPerSecond: number
  readonly p50Ms: number
  readonly p99Ms: number
  readonly non2xx: number
  readonly errors: number
}

async function start(mode: 'hello' | 'custos'): Promise<{ child: ChildProcess; port: number; token?: string }> {
  const script = fileURLToPath(new URL('./http-server.ts', import.meta.url))
  const child = spawn(process.execPath, ['--import', import.meta.resolve('tsx'), script, mode], { stdio: ['ignore', 'pipe', 'inherit'] })
  const lines = createInterface({ input: child.stdout as NodeJS.ReadableStream })
  const [line] = (await Promise.race([once(lines, 'line'), once(child, 'exit').then(() => ['exited'])])) as [string]
  const info = JSON.parse(line) as { port: number; token?: string }
  return { child, port: info.port, ...(info.token ? { token: info.token } : {}) }
}

async function load(url: string, headers: Record<string, string>, seconds: number): Promise<HttpResult> {
  const result = await autocannon({ url, connections: 64, duration: seconds, headers })
  return { requestsPerSecond: result.requests.average, p50Ms: result.latency.p50, p99Ms: result.latency.p99, non2xx: result.non2xx, errors: result.errors }
}

/** Measures hello-world, then Custos; each server warmed up for 1 s first. */
export async function measureHttp(seconds = 5): Promise<{ hello: HttpResult; profile: HttpResult }> {
  const hello = await start('hello')
  let helloResult: HttpResult
  try {
    await load(`http://127.0.0.1:${hello.port}/`, {}, 1)
    helloResult = await load(`http://127.0.0.1:${hello.port}/`, {}, seconds)
  } finally {
    hello.child.kill('SIGTERM')
  }
  const custos = await start('custos')
  try {
    const headers = { authorization: `Bearer ${custos.token}` }
    await load(`http://127.0.0.1:${custos.port}/v1/profile`, headers, 1)
    const profile = await load(`http://127.0.0.1:${custos.port}/v1/profile`, headers, seconds)
    return { hello: helloResult, profile }
  } finally {
    custos.child.kill('SIGTERM')
  }
}

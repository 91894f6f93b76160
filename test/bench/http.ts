/**
 * The vendor read path over real HTTP on 127.0.0.1: `GET /v1/profile` (token check, 10 granted
 * fields, durable audit entry) against a bare hono hello-world measured in the same run, each
 * server in its own child process, driven by autocannon with 64 connections for a bounded time.
 */
import { type ChildProcess, spawn } from 'node:child_process'
import { once } from 'node:events'
import { createInterface } from 'node:readline'
import { fileURLToPath, pathToFileURL } from 'node:url'
import autocannon from 'autocannon'

export interface HttpResult {
  readonly requestsPerSecond: number
  readonly p50Ms: number
  readonly p99Ms: number
  readonly non2xx: number
  readonly errors: number
}

async function start(
  mode: 'hello' | 'custos',
): Promise<{ child: ChildProcess; port: number; token?: string }> {
  const script = fileURLToPath(new URL('./http-server.ts', import.meta.url))
  const child = spawn(process.execPath, ['--import', import.meta.resolve('tsx'), script, mode], {
    stdio: ['ignore', 'pipe', 'inherit'],
  })
  const lines = createInterface({ input: child.stdout as NodeJS.ReadableStream })
  const [line] = (await Promise.race([
    once(lines, 'line'),
    once(child, 'exit').then(() => ['exited']),
  ])) as [string]
  const info = JSON.parse(line) as { port: number; token?: string }
  return { child, port: info.port, ...(info.token ? { token: info.token } : {}) }
}

async function load(
  url: string,
  headers: Record<string, string>,
  seconds: number,
): Promise<HttpResult> {
  const result = await autocannon({ url, connections: 64, duration: seconds, headers })
  return {
    requestsPerSecond: result.requests.average,
    p50Ms: result.latency.p50,
    p99Ms: result.latency.p99,
    non2xx: result.non2xx,
    errors: result.errors,
  }
}

/** Measures hello-world, then Custos; each server warmed up for 1 s first. */
export async function measureHttp(
  seconds = 5,
): Promise<{ hello: HttpResult; profile: HttpResult }> {
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

/** The vendor-read figures of the benchmark table, from one {@link measureHttp} run. */
export interface HttpReadFigures {
  readonly helloRps: number
  readonly helloP99: number
  readonly profileRps: number
  readonly profileP50: number
  readonly profileP99: number
  /** profileRps / helloRps: the target is ≥ 0.2. */
  readonly ratio: number
  /** True when every profile request answered 2xx with no socket error: a figure from failures is no figure. */
  readonly clean: boolean
}

/**
 * `GET /v1/profile` (10 granted fields, token checked, read durably audited) against a bare hono
 * hello-world, both under autocannon at 64 connections on 127.0.0.1, in the same run.
 */
export async function measureHttpRead(seconds = 5): Promise<HttpReadFigures> {
  const { hello, profile } = await measureHttp(seconds)
  return {
    helloRps: hello.requestsPerSecond,
    helloP99: hello.p99Ms,
    profileRps: profile.requestsPerSecond,
    profileP50: profile.p50Ms,
    profileP99: profile.p99Ms,
    ratio: profile.requestsPerSecond / hello.requestsPerSecond,
    clean: profile.non2xx === 0 && profile.errors === 0 && hello.non2xx === 0 && hello.errors === 0,
  }
}

// Runnable alone: `pnpm exec tsx test/bench/http.ts [seconds]` prints the figures as JSON.
if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const figures = await measureHttpRead(Number(process.argv[2] ?? 5))
  process.stdout.write(`${JSON.stringify(figures, null, 2)}\n`)
}

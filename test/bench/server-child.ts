/**
 * Starting and watching the benchmark's server child (api-server.ts): its port, its resident set
 * size read from outside (so the load generator's own memory is never counted), and a stop that
 * cannot leave it running.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process'
import { once } from 'node:events'
import { readFileSync } from 'node:fs'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'
import type { HeapReport } from './api-server.js'

export interface ServerChild {
  readonly base: string
  readonly pid: number
  /** The child's resident set size now, in bytes. */
  rssBytes(): number
  /** Its heap after two full garbage collections (see api-server.ts). */
  heapAfterGc(): Promise<HeapReport>
  stop(): Promise<void>
}

/**
 * RSS of another process: VmRSS from /proc on Linux, `ps` elsewhere (both in KiB). Read from
 * outside, it is exactly what the operating system charges the server with.
 */
export function rssOf(pid: number): number {
  try {
    const kib = /VmRSS:\s+(\d+)\s+kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1]
    if (kib) return Number(kib) * 1024
  } catch {
    // no procfs: fall through to ps
  }
  return (
    Number(execFileSync('ps', ['-o', 'rss=', '-p', String(pid)], { encoding: 'utf8' }).trim()) *
    1024
  )
}

/** Starts api-server.ts in `mode` (custos needs a data dir) and waits for its port. */
export async function startServer(mode: 'hello' | 'custos', dir?: string): Promise<ServerChild> {
  const script = fileURLToPath(new URL('./api-server.ts', import.meta.url))
  const child: ChildProcess = spawn(
    process.execPath,
    ['--expose-gc', '--import', import.meta.resolve('tsx'), script, mode, ...(dir ? [dir] : [])],
    {
      stdio: ['ignore', 'pipe', 'inherit', 'ipc'],
    },
  )
  const lines = createInterface({ input: child.stdout as NodeJS.ReadableStream })
  const [line] = (await Promise.race([
    once(lines, 'line'),
    once(child, 'exit').then(() => [undefined]),
  ])) as [string | undefined]
  if (line === undefined || child.pid === undefined)
    throw new Error(`the ${mode} server child exited before listening`)
  const { port } = JSON.parse(line) as { port: number }
  const pid = child.pid
  return {
    base: `http://127.0.0.1:${port}`,
    pid,
    rssBytes: () => rssOf(pid),
    async heapAfterGc() {
      const answer = once(child, 'message') as Promise<[HeapReport]>
      child.send('gc')
      const [report] = await answer
      return report
    },
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return
      const exited = once(child, 'exit')
      child.kill('SIGTERM')
      const timer = setTimeout(() => child.kill('SIGKILL'), 5000)
      await exited
      clearTimeout(timer)
    },
  }
}

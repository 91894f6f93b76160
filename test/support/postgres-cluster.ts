/**
 * Test support: a throw-away PostgreSQL cluster (Debian's binaries, installed with apt-get when
 * the suite runs as root on a machine without them, as in CI) in a temp folder on a free loopback
 * port. PostgreSQL refuses to run as root, so as root the server runs as the `postgres` user.
 * Used by the suite's global set-up (one shared cluster) and by the fault tests, which need a
 * cluster of their own to restart and kill.
 */
import { execFileSync } from 'node:child_process'
import { chownSync, existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

function findBin(): string | undefined {
  const root = '/usr/lib/postgresql'
  if (!existsSync(root)) return undefined
  const versions = readdirSync(root).sort((a, b) => Number(b) - Number(a))
  for (const v of versions)
    if (existsSync(join(root, v, 'bin', 'initdb'))) return join(root, v, 'bin')
  return undefined
}

function install(): void {
  if (process.getuid?.() !== 0)
    throw new Error(
      'PostgreSQL is not installed; install Debian\'s "postgresql" package (the test suite does this itself when run as root)',
    )
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' }
  execFileSync('apt-get', ['update', '-qq'], { stdio: 'inherit', env, timeout: 300_000 })
  execFileSync('apt-get', ['install', '-y', '-qq', '--no-install-recommends', 'postgresql'], {
    stdio: 'inherit',
    env,
    timeout: 600_000,
  })
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const address = server.address()
      server.close(() =>
        typeof address === 'object' && address
          ? resolve(address.port)
          : reject(new Error('no port')),
      )
    })
  })
}

export interface PostgresCluster {
  /** `postgres://postgres@127.0.0.1:PORT/postgres`, trust authentication. */
  readonly url: string
  /** `pg_ctl restart -m fast`: every connection is closed, the server comes back on the same port. */
  restart(): void
  /** SIGKILL of the postmaster (a crash); its backends exit on their own when they notice. */
  kill(): void
  /** Starts the server again after {@link kill}, retrying while the dead one's backends linger. */
  start(): Promise<void>
  /** Stops the server (immediate) and removes its folder. */
  dispose(): void
}

export async function startPostgresCluster(
  settings: { durable?: boolean } = {},
): Promise<PostgresCluster> {
  let bin = findBin()
  if (!bin) {
    install()
    bin = findBin()
    if (!bin) throw new Error('PostgreSQL installation did not provide initdb')
  }
  const pgCtl = join(bin, 'pg_ctl')
  const asRoot = process.getuid?.() === 0
  const dir = mkdtempSync(join(tmpdir(), 'custos-pg-'))
  const data = join(dir, 'data')
  const log = join(dir, 'log')
  const run = (cmd: string, args: string[]) =>
    execFileSync(asRoot ? 'runuser' : cmd, asRoot ? ['-u', 'postgres', '--', cmd, ...args] : args, {
      stdio: 'pipe',
      timeout: 120_000,
    })
  if (asRoot) {
    const uid = Number(execFileSync('id', ['-u', 'postgres']).toString().trim())
    const gid = Number(execFileSync('id', ['-g', 'postgres']).toString().trim())
    chownSync(dir, uid, gid)
  }
  const port = await freePort()
  run(join(bin, 'initdb'), [
    '-D',
    data,
    '-U',
    'postgres',
    '--auth=trust',
    '--no-sync',
    '-E',
    'UTF8',
  ])
  // fsync off: the cluster is disposable, and a killed server process (not a lost machine) leaves
  // its writes in the OS page cache. The shared cluster also commits asynchronously (the suite's
  // durability claims are tested on SQLite files); a `durable` one keeps synchronous commit, so a
  // kill of the postmaster loses nothing a client was told was committed.
  const opts = `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=300${
    settings.durable ? '' : ' -c synchronous_commit=off'
  }`
  // `-l`: the server's output goes to a file — to a pipe it would keep execFileSync waiting.
  const start = () => run(pgCtl, ['-D', data, '-o', opts, '-l', log, '-w', '-t', '60', 'start'])
  start()
  return {
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    restart() {
      run(pgCtl, ['-D', data, '-o', opts, '-l', log, '-m', 'fast', '-w', '-t', '60', 'restart'])
    },
    kill() {
      const pid = Number(readFileSync(join(data, 'postmaster.pid'), 'utf8').split('\n')[0])
      process.kill(pid, 'SIGKILL')
    },
    async start() {
      for (let attempt = 0; ; attempt++) {
        try {
          start()
          return
        } catch (err) {
          // "pre-existing shared memory block is still in use": backends of the killed server.
          if (attempt >= 60) throw err
          await new Promise((r) => setTimeout(r, 500))
        }
      }
    },
    dispose() {
      try {
        run(pgCtl, ['-D', data, '-m', 'immediate', '-w', 'stop'])
      } finally {
        rmSync(dir, { recursive: true, force: true })
      }
    },
  }
}

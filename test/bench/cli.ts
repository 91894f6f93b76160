/**
 * The `custos` command's start-up (issue 11): the compiled bin with plain node, as a self-hoster
 * with `custos` on the PATH runs it — `--help`, `status` on a data folder with a sealed vault and
 * no server, `status` beside a running server, and `serve` from spawn to its first answer on
 * `/healthz`. The baseline is `node -e 0` on the same machine in the same run: Node's own start.
 * Medians of several runs; the packages are built first (`tsc -b`), as `npm start` does.
 */
import { execFile, execFileSync, spawn } from 'node:child_process'
import { once } from 'node:events'
import { writeFileSync } from 'node:fs'
import { createServer } from 'node:net'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { performance } from 'node:perf_hooks'
import { promisify } from 'node:util'
import type { BenchContext } from './context.js'
import { check } from './context.js'
import { percentile } from './measure.js'
import { type Section, ms, ratio, verdict } from './table.js'

const root = fileURLToPath(new URL('../../', import.meta.url))
const bin = join(root, 'packages/web/dist/cli/main.js')
const run = promisify(execFile)
const HELP_STATUS_TARGET_MS = 300
const SERVE_TARGET_MS = 1500

const median = (xs: readonly number[]) =>
  percentile(
    [...xs].sort((a, b) => a - b),
    0.5,
  )

async function timed(args: readonly string[], runs: number): Promise<number> {
  const times: number[] = []
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now()
    await run(process.execPath, args, { cwd: root })
    times.push(performance.now() - t0)
  }
  return median(times)
}

async function freePort(): Promise<number> {
  const server = createServer().listen(0, '127.0.0.1')
  await once(server, 'listening')
  const { port } = server.address() as { port: number }
  server.close()
  return port
}

/** Spawns `custos serve`, polls `/healthz` every 5 ms, and returns how long the first 200 took (the server is stopped). */
async function serveUntilAnswering(data: string): Promise<number> {
  const port = await freePort()
  const t0 = performance.now()
  const child = spawn(process.execPath, [bin, 'serve', '--data', data, '--port', String(port)], {
    stdio: 'ignore',
  })
  try {
    for (;;) {
      const ok = await fetch(`http://127.0.0.1:${port}/healthz`).then(
        (r) => r.ok,
        () => false,
      )
      if (ok) return performance.now() - t0
      check(
        performance.now() - t0 < 20_000 && child.exitCode === null,
        'custos serve did not answer /healthz within 20 s',
      )
      await new Promise((resolve) => setTimeout(resolve, 5))
    }
  } finally {
    child.kill('SIGTERM')
    if (child.exitCode === null) await once(child, 'exit')
  }
}

export async function cliBench(ctx: BenchContext): Promise<Section> {
  const runs = ctx.quick ? 3 : 7
  ctx.progress('custos start-up: building the packages (tsc -b), then timing the compiled bin')
  execFileSync(
    process.execPath,
    [join(root, 'node_modules/typescript/bin/tsc'), '-b', join(root, 'tsconfig.build.json')],
    { stdio: 'ignore' },
  )
  const data = join(ctx.dir, 'cli-data')
  const passphraseFile = join(ctx.dir, 'cli-passphrase')
  writeFileSync(passphraseFile, 'orbit velvet canyon sparrow lantern\n', { mode: 0o600 })
  await run(process.execPath, [
    bin,
    'init',
    '--data',
    data,
    '--kdf',
    'interactive',
    '--passphrase-file',
    passphraseFile,
  ])
  const node = await timed(['-e', '0'], runs)
  const help = await timed([bin, '--help'], runs)
  const statusAlone = await timed([bin, 'status', '--data', data, '--port', '9'], runs)
  const serves: number[] = []
  for (let i = 0; i < Math.min(runs, 5); i++) serves.push(await serveUntilAnswering(data))
  const serve = median(serves)
  const row = (what: string, figure: number, target: number) => ({
    what,
    figure: ms(figure),
    baseline: `${ms(node)} node -e 0`,
    ratio: ratio(figure, node),
    target: `< ${ms(target)}`,
    result: verdict(figure < target),
  })
  return {
    rows: [
      row(`custos --help, median of ${runs}`, help, HELP_STATUS_TARGET_MS),
      row(
        `custos status (sealed vault, no server), median of ${runs}`,
        statusAlone,
        HELP_STATUS_TARGET_MS,
      ),
      row(
        `custos serve: spawn to first /healthz answer, median of ${serves.length}`,
        serve,
        SERVE_TARGET_MS,
      ),
    ],
    notes: [
      `CLI start-up: the compiled bin (\`packages/web/dist/cli/main.js\`, what \`custos\` on the PATH runs) with plain node, wall time from spawn to exit, ${runs} runs each; \`status\` on a data folder holding a sealed vault, with \`--port 9\` so no server answers; \`serve\` from spawn until \`/healthz\` first answers 200 (polled every 5 ms) on that data folder. The baseline is \`node -e 0\`: what any Node.js command costs before it does anything. \`npm run custos -- …\` adds the incremental build check and npm's own start (about 0.5 s and 0.3 s).`,
    ],
  }
}

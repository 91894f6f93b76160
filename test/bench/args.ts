/**
 * The command line of `pnpm bench`:
 *
 *   pnpm bench                        everything; writes BENCHMARKS.md
 *   pnpm bench -- --quick             everything, shortened (a smoke run; figures are rough)
 *   pnpm bench -- --only token        one benchmark (see BENCHMARKS); repeat or comma-separate for more
 *   pnpm bench -- --soak-minutes 10   a longer soak (default 5; 0.5 with --quick)
 *   pnpm bench -- --out FILE          where to write the report (a full run writes BENCHMARKS.md;
 *                                     --quick and --only print only unless --out is given)
 *   pnpm bench -- --conditions TEXT   what else the machine was doing, for the report
 *   pnpm bench -- --peers             also a peer in the same run: installs Community Solid Server
 *                                     from npm into a temp folder and measures its read (peers.ts);
 *                                     `--only peers` runs that alone
 */
import { parseArgs } from 'node:util'
import { z } from 'zod'

export const BENCHMARKS = [
  'cli',
  'library',
  'unlock',
  'listing',
  'rotation',
  'backup',
  'http',
  'token',
  'signals',
  'memory',
  'mailbox',
] as const
export type BenchmarkName = (typeof BENCHMARKS)[number]

const Options = z
  .object({
    quick: z.boolean(),
    only: z
      .array(z.enum([...BENCHMARKS, 'peers']))
      .min(1)
      .optional(),
    soakMinutes: z.number().positive().max(120).optional(),
    out: z.string().min(1).optional(),
    conditions: z.string().min(1).optional(),
    peers: z.boolean(),
  })
  .strict()

export interface BenchOptions {
  readonly quick: boolean
  readonly selected: ReadonlySet<BenchmarkName>
  /** True when every benchmark runs. */
  readonly all: boolean
  readonly soakMinutes: number
  /** The report file, or undefined to print only. */
  readonly out: string | undefined
  readonly conditions: string | undefined
  /** Also measure a peer (Community Solid Server, installed from npm) in the same run. */
  readonly peers: boolean
}

/** Parses the arguments after the script name; throws a readable error on anything unknown. */
export function parseBenchArgs(argv: readonly string[], defaultOut: string): BenchOptions {
  // `pnpm bench -- --quick` may pass the `--` through: it separates pnpm's options, not ours.
  const args = argv.filter((a) => a !== '--')
  const { values } = parseArgs({
    args,
    options: {
      quick: { type: 'boolean', default: false },
      only: { type: 'string', multiple: true },
      'soak-minutes': { type: 'string' },
      out: { type: 'string' },
      conditions: { type: 'string' },
      peers: { type: 'boolean', default: false },
    },
    strict: true,
    allowPositionals: false,
  })
  const soak = values['soak-minutes']
  const parsed = Options.safeParse({
    quick: values.quick,
    only: values.only?.flatMap((o) => o.split(',')).map((o) => o.trim()),
    soakMinutes: soak === undefined ? undefined : Number(soak),
    out: values.out,
    conditions: values.conditions,
    peers: values.peers,
  })
  if (!parsed.success)
    throw new Error(
      `pnpm bench: ${parsed.error.issues.map((i) => `--${String(i.path[0] ?? '').replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}: ${i.message}`).join('; ')}`,
    )
  const o = parsed.data
  const all = o.only === undefined
  return {
    quick: o.quick,
    // `peers` is not one of the default benchmarks (it installs a peer from npm): --peers or
    // --only peers asks for it.
    selected: new Set(o.only?.filter((b) => b !== 'peers') ?? BENCHMARKS) as Set<BenchmarkName>,
    all,
    soakMinutes: o.soakMinutes ?? (o.quick ? 0.5 : 5),
    out: o.out ?? (all && !o.quick ? defaultOut : undefined),
    conditions: o.conditions,
    peers: o.peers || (o.only?.includes('peers') ?? false),
  }
}

/**
 * Progress of `custos import-purchases` through a mailbox, on stderr: on a terminal one line
 * redrawn in place — messages seen, bytes read of the file's size, the share done — at most once
 * a second and once more at the end; elsewhere (a log) one plain line a second, nothing redrawn.
 */
export interface ImportProgress {
  update(progress: { readonly messages: number; readonly bytes: number }): void
  /** The last state drawn in full on a terminal, and the line ended. */
  done(): void
}

const mb = (bytes: number) => (bytes / 1024 / 1024).toFixed(1)

export function importProgress(
  stream: Pick<NodeJS.WriteStream, 'write' | 'isTTY'>,
  totalBytes: number,
  now: () => number = Date.now,
): ImportProgress {
  let last = 0
  let drawn = false
  let seen = { messages: 0, bytes: 0 }
  const line = () => {
    const share = totalBytes > 0 ? Math.min(100, Math.floor((seen.bytes / totalBytes) * 100)) : 100
    return `import-purchases: ${seen.messages} messages read (${mb(seen.bytes)} of ${mb(totalBytes)} MB, ${share}%)`
  }
  return {
    update(progress) {
      seen = { messages: progress.messages, bytes: progress.bytes }
      const t = now()
      if (drawn && t - last < 1000) return
      last = t
      drawn = true
      // `\x1b[K` clears what a longer earlier line left on the right (ECMA-48 EL).
      stream.write(stream.isTTY ? `\r${line()}\x1b[K` : `${line()}\n`)
    },
    done() {
      if (stream.isTTY && drawn) stream.write(`\r${line()}\x1b[K\n`)
    },
  }
}

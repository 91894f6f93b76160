import { describe, expect, it } from 'vitest'
import { importProgress } from './import-progress.js'

function stream(isTTY: boolean) {
  const written: string[] = []
  return { written, isTTY, write: (s: string) => written.push(s) > 0 }
}

describe('importProgress', () => {
  it('on a terminal redraws one line in place at most once a second, and ends it with the last state', () => {
    const out = stream(true)
    let t = 10_000
    const progress = importProgress(out, 4 * 1024 * 1024, () => t)
    progress.update({ messages: 1, bytes: 1024 * 1024 })
    t += 500
    progress.update({ messages: 2, bytes: 2 * 1024 * 1024 })
    t += 600
    progress.update({ messages: 3, bytes: 3 * 1024 * 1024 })
    progress.update({ messages: 4, bytes: 4 * 1024 * 1024 })
    progress.done()
    expect(out.written).toEqual([
      '\rimport-purchases: 1 messages read (1.0 of 4.0 MB, 25%)\x1b[K',
      '\rimport-purchases: 3 messages read (3.0 of 4.0 MB, 75%)\x1b[K',
      '\rimport-purchases: 4 messages read (4.0 of 4.0 MB, 100%)\x1b[K\n',
    ])
  })

  it('elsewhere writes plain lines and draws nothing at the end', () => {
    const out = stream(false)
    let t = 0
    const progress = importProgress(out, 2048, () => t)
    progress.update({ messages: 1, bytes: 1024 })
    t += 2000
    progress.update({ messages: 2, bytes: 2048 })
    progress.done()
    expect(out.written).toEqual([
      'import-purchases: 1 messages read (0.0 of 0.0 MB, 50%)\n',
      'import-purchases: 2 messages read (0.0 of 0.0 MB, 100%)\n',
    ])
  })

  it('says nothing for a file that had no message read', () => {
    const out = stream(true)
    importProgress(out, 100).done()
    expect(out.written).toEqual([])
  })
})

import { describe, it, expect, vi, beforeEach, afterEach } from 'vitest'
import { createRefresher } from '../src/features/screen/refresh'

/** A document whose visibility the test sets, with a real EventTarget for visibilitychange. */
function fakeDoc() {
  const target = new EventTarget()
  return {
    visibilityState: 'visible',
    addEventListener: (...a) => target.addEventListener(...a),
    removeEventListener: (...a) => target.removeEventListener(...a),
    set(state) {
      this.visibilityState = state
      target.dispatchEvent(new Event('visibilitychange'))
    },
  }
}
const settle = () => vi.advanceTimersByTimeAsync(0)

describe('createRefresher', () => {
  beforeEach(() => vi.useFakeTimers())
  afterEach(() => vi.useRealTimers())

  it('loads at once, then every interval', async () => {
    const load = vi.fn(async () => {})
    const r = createRefresher(load, { everyMs: 60000, doc: fakeDoc(), now: () => Date.now() })
    r.start()
    await settle()
    expect(load).toHaveBeenCalledTimes(1)
    expect(r.lastOk.value).not.toBeNull()
    await vi.advanceTimersByTimeAsync(59000)
    expect(load).toHaveBeenCalledTimes(1)
    await vi.advanceTimersByTimeAsync(1000)
    expect(load).toHaveBeenCalledTimes(2)
    r.stop()
    await vi.advanceTimersByTimeAsync(600000)
    expect(load).toHaveBeenCalledTimes(2)
  })

  it('pauses while hidden and catches up when shown again', async () => {
    const doc = fakeDoc()
    const load = vi.fn(async () => {})
    const r = createRefresher(load, { everyMs: 60000, doc, now: () => Date.now() })
    r.start()
    await settle()
    doc.set('hidden')
    await vi.advanceTimersByTimeAsync(300000)
    expect(load).toHaveBeenCalledTimes(1)
    expect(r.isScheduled()).toBe(false)
    doc.set('visible') // five minutes later: refresh now
    await settle()
    expect(load).toHaveBeenCalledTimes(2)
    // Hidden and shown again within the interval: no extra request, the next one stays on time.
    await vi.advanceTimersByTimeAsync(20000)
    doc.set('hidden')
    doc.set('visible')
    await settle()
    expect(load).toHaveBeenCalledTimes(2)
    await vi.advanceTimersByTimeAsync(40000)
    expect(load).toHaveBeenCalledTimes(3)
    r.stop()
  })

  it('a failed refresh says stale and keeps trying; a good one clears it', async () => {
    let fail = false
    const load = vi.fn(async () => {
      if (fail) throw new Error('offline')
    })
    const r = createRefresher(load, { everyMs: 1000, doc: fakeDoc(), now: () => Date.now() })
    r.start()
    await settle()
    const firstOk = r.lastOk.value
    expect(r.stale.value).toBe(false)
    fail = true
    await vi.advanceTimersByTimeAsync(1000)
    expect(r.stale.value).toBe(true)
    expect(r.error.value.message).toBe('offline')
    expect(r.lastOk.value).toBe(firstOk) // the time of the data still shown
    fail = false
    await vi.advanceTimersByTimeAsync(1000)
    expect(r.stale.value).toBe(false)
    expect(r.lastOk.value).toBeGreaterThan(firstOk)
    r.stop()
  })

  it('never runs two refreshes at once', async () => {
    let release
    const load = vi.fn(() => new Promise((res) => (release = res)))
    const r = createRefresher(load, { everyMs: 1000, doc: fakeDoc(), now: () => Date.now() })
    r.start()
    await vi.advanceTimersByTimeAsync(5000)
    r.refresh()
    expect(load).toHaveBeenCalledTimes(1)
    release()
    await settle()
    await vi.advanceTimersByTimeAsync(1000)
    expect(load).toHaveBeenCalledTimes(2)
    r.stop()
  })
})

import 'fake-indexeddb/auto'
import { describe, it, expect, beforeEach, vi } from 'vitest'
import {
  createOutbox,
  backoffDelay,
  classify,
  blockedBy,
  retryAfterDelay,
  STATE,
  MAX_DELAY_MS,
  UNFINISHED_GRACE_MS,
  withoutPhoto,
} from '../src/features/outbox/outbox'
import { parseRetryAfter, postForResult } from '../src/api/client'
import { idbOutboxStorage } from '../src/features/outbox/storage'
import { putBlobVerified, getBlob, _resetDbForTests, DB_NAME } from '../src/db/index'

function memoryStorage() {
  const m = new Map()
  return {
    m,
    async list() {
      return [...m.values()].map((x) => structuredClone(x))
    },
    async get(id) {
      return m.has(id) ? structuredClone(m.get(id)) : undefined
    },
    async put(it) {
      m.set(it.id, structuredClone(it))
    },
    async putMany(items) {
      items.forEach((it) => m.set(it.id, structuredClone(it)))
    },
    async ack(it) {
      m.delete(it.id)
    },
  }
}

/** A fake server: records what arrived, answers from a script of statuses (default 200/201). */
function fakeTransport(script = {}) {
  const sent = []
  const server = { photos: new Set(), tickets: new Set(), actions: [] }
  return {
    sent,
    server,
    reachable: true,
    async ping() {
      return this.reachable
    },
    async send(item, { onProgress } = {}) {
      sent.push(item.id)
      const s = script[item.id]
      const status = typeof s === 'function' ? s(sent.filter((x) => x === item.id).length) : s
      if (status === 'throw') throw new TypeError('Failed to fetch')
      if (typeof status === 'object') return { error: { code: 'x', message: 'no' }, ...status } // {status, retryAfterMs, unfinished}
      if (status && status !== 200) return { status, error: { code: status === 409 ? 'idempotency_conflict' : 'x', message: 'no' } }
      if (item.kind === 'photo') {
        onProgress?.(50, 100)
        onProgress?.(100, 100)
        server.photos.add(item.id)
      } else if (item.kind === 'ticket') {
        // The real server answers 422 unknown_photo if a photo is missing: the fake checks order too.
        for (const p of item.photoIds) if (!server.photos.has(p)) return { status: 422, error: { code: 'unknown_photo' } }
        server.tickets.add(item.id)
      } else {
        server.actions.push(item.id)
      }
      return { status: 200, data: { id: item.ticketId || item.id } }
    },
  }
}

function clock(start = 1_700_000_000_000) {
  let t = start
  const timers = []
  return {
    now: () => t,
    advance(ms) {
      t += ms
    },
    timers,
    setTimer: (fn, ms) => {
      const h = { fn, at: t + ms }
      timers.push(h)
      return h
    },
    clearTimer: (h) => {
      const i = timers.indexOf(h)
      if (i >= 0) timers.splice(i, 1)
    },
  }
}

const photo = (id) => ({ id, kind: 'photo', meta: {} })
const ticket = (id, photoIds) => ({ id, kind: 'ticket', ticketId: id, photoIds, body: { id, photo_ids: photoIds } })
const action = (id, ticketId, photoIds = []) => ({ id, kind: 'action', action: 'rectify', ticketId, photoIds, body: {} })

function make(opts = {}) {
  const storage = opts.storage || memoryStorage()
  const transport = opts.transport || fakeTransport(opts.script)
  const c = opts.clock || clock()
  const ob = createOutbox({ storage, transport, now: c.now, random: () => 0.5, setTimer: c.setTimer, clearTimer: c.clearTimer })
  return { ob, storage, transport, c }
}

describe('classify & backoff', () => {
  it('sorts answers into ack / retry / attention / auth', () => {
    expect(classify(200)).toBe('ack')
    expect(classify(201)).toBe('ack')
    expect(classify(0)).toBe('retry')
    expect(classify(503)).toBe('retry')
    expect(classify(429)).toBe('retry')
    expect(classify(408)).toBe('retry')
    expect(classify(409)).toBe('attention')
    expect(classify(422)).toBe('attention')
    expect(classify(413)).toBe('attention')
    expect(classify(401)).toBe('auth')
  })
  it('grows exponentially and is capped at 5 minutes, never gives up', () => {
    const mid = () => 0.5 // no jitter
    expect(backoffDelay(1, mid)).toBe(2000)
    expect(backoffDelay(2, mid)).toBe(4000)
    expect(backoffDelay(5, mid)).toBe(32000)
    expect(backoffDelay(50, mid)).toBe(MAX_DELAY_MS)
    expect(backoffDelay(1000, () => 0.99)).toBeLessThanOrEqual(MAX_DELAY_MS)
  })
})

describe('ordering', () => {
  it('sends in the order items were queued, photos before the ticket that uses them', async () => {
    const { ob, transport } = make()
    await ob.enqueue([photo('p1'), photo('p2'), ticket('t1', ['p1', 'p2'])])
    await ob.enqueue([photo('p3'), ticket('t2', ['p3'])])
    await ob.drain()
    expect(transport.sent).toEqual(['p1', 'p2', 't1', 'p3', 't2'])
    expect(await ob.list()).toEqual([])
  })

  it('a ticket waits while one of its photos is still queued, even if queued first', async () => {
    const items = [
      { id: 't1', kind: 'ticket', ticketId: 't1', photoIds: ['p1'], seq: 1 },
      { id: 'p1', kind: 'photo', photoIds: [], seq: 2 },
    ]
    expect(blockedBy(items).get('t1')).toBe('p1')
    const { ob, transport, storage } = make()
    await storage.putMany(items.map((i) => ({ ...i, state: STATE.WAITING, nextAttemptAt: 0 })))
    await ob.drain()
    expect(transport.sent).toEqual(['p1', 't1'])
  })

  it('actions on one ticket go in order, after the ticket itself', async () => {
    const { ob, transport } = make({ script: { t1: 409 } })
    await ob.enqueue([photo('p1'), ticket('t1', ['p1'])])
    await ob.enqueue([action('a1', 't1'), action('a2', 't1')])
    await ob.drain()
    // t1 needs attention → a1 and a2 (same ticket) must not overtake it
    expect(transport.sent).toEqual(['p1', 't1'])
    const left = await ob.list()
    expect(left.map((i) => [i.id, i.state])).toEqual([
      ['t1', STATE.ATTENTION],
      ['a1', STATE.WAITING],
      ['a2', STATE.WAITING],
    ])
  })
})

describe('retry with backoff', () => {
  it('keeps a failed item, backs off, and resumes where it stopped', async () => {
    const c = clock()
    // p2 fails twice with 503, then succeeds
    const { ob, transport } = make({ clock: c, script: { p2: (n) => (n <= 2 ? 503 : 200) } })
    await ob.enqueue([photo('p1'), photo('p2'), ticket('t1', ['p1', 'p2'])])
    await ob.drain()
    expect(transport.sent).toEqual(['p1', 'p2'])
    let left = await ob.list()
    expect(left.map((i) => i.id)).toEqual(['p2', 't1'])
    expect(left[0].state).toBe(STATE.FAILED)
    expect(left[0].attempts).toBe(1)
    expect(left[0].nextAttemptAt).toBe(c.now() + 2000)
    expect(c.timers.length).toBe(1)

    // before the backoff elapses nothing is sent
    await ob.drain()
    expect(transport.sent).toEqual(['p1', 'p2'])

    c.advance(2000)
    await ob.drain()
    left = await ob.list()
    expect(left[0].attempts).toBe(2)
    expect(left[0].nextAttemptAt - c.now()).toBe(4000)

    c.advance(4000)
    await ob.drain()
    expect(transport.sent).toEqual(['p1', 'p2', 'p2', 'p2', 't1'])
    expect(await ob.list()).toEqual([])
    expect(transport.server.photos.size).toBe(2)
    expect(transport.server.tickets.size).toBe(1)
  })

  it('a network exception is transient, not fatal', async () => {
    const { ob } = make({ script: { p1: (n) => (n === 1 ? 'throw' : 200) } })
    await ob.enqueue([photo('p1')])
    await ob.drain()
    const [it] = await ob.list()
    expect(it.state).toBe(STATE.FAILED)
    expect(it.lastError.code).toBe('network_error')
    await ob.drain({ force: true }) // "send now" skips the wait
    expect(await ob.list()).toEqual([])
  })

  it('does not burn attempts while the server is unreachable', async () => {
    const { ob, transport, c } = make()
    transport.reachable = false
    await ob.enqueue([photo('p1')])
    await ob.drain()
    expect(transport.sent).toEqual([])
    const [it] = await ob.list()
    expect(it.attempts).toBe(0)
    expect(c.timers.length).toBe(1) // will look again
    transport.reachable = true
    await ob.drain()
    expect(await ob.list()).toEqual([])
  })
})

describe('Retry-After and attempts still running (issue 7: a city of phones at the start of a shift)', () => {
  it('reads Retry-After as seconds or as an HTTP date', () => {
    const now = Date.parse('2025-03-01T08:00:00Z')
    expect(parseRetryAfter('5', now)).toBe(5000)
    expect(parseRetryAfter('Sat, 01 Mar 2025 08:00:30 GMT', now)).toBe(30000)
    expect(parseRetryAfter('Sat, 01 Mar 2025 07:00:00 GMT', now)).toBe(0)
    expect(parseRetryAfter('99999999', now)).toBe(60 * 60 * 1000) // capped at an hour
    expect(parseRetryAfter(null, now)).toBe(null)
    expect(parseRetryAfter('soon', now)).toBe(null)
  })

  it('a 503 with Retry-After waits at least that long, with jitter, and "send now" does not skip it', async () => {
    const c = clock()
    const { ob, transport } = make({ clock: c, script: { p1: (n) => (n === 1 ? { status: 503, retryAfterMs: 30000 } : 200) } })
    await ob.enqueue([photo('p1'), ticket('t1', ['p1'])])
    await ob.drain()
    const [it] = await ob.list()
    expect(it.state).toBe(STATE.FAILED)
    expect(it.nextAttemptAt - c.now()).toBe(37500) // 30 s + 25 % (random 0.5 → half of the +50 % spread)
    expect(c.timers.at(-1).at).toBe(it.nextAttemptAt) // the outbox wakes itself then

    await ob.drain({ force: true })
    c.advance(29999)
    await ob.drain({ force: true })
    expect(transport.sent).toEqual(['p1'])
    c.advance(7501)
    await ob.drain()
    expect(transport.sent).toEqual(['p1', 'p1', 't1'])
    expect(await ob.list()).toEqual([])
  })

  it('a 429 with Retry-After is honoured too, and the backoff still grows when it is longer', async () => {
    const c = clock()
    let n = 0
    const { ob } = make({ clock: c, script: { p1: () => (++n <= 5 ? { status: 429, retryAfterMs: 1000 } : 200) } })
    await ob.enqueue([photo('p1')])
    const waits = []
    for (let i = 0; i < 5; i++) {
      await ob.drain()
      const [it] = await ob.list()
      waits.push(it.nextAttemptAt - c.now())
      c.advance(it.nextAttemptAt - c.now())
    }
    expect(waits).toEqual([2000, 4000, 8000, 16000, 32000])
    await ob.drain()
    expect(await ob.list()).toEqual([])
  })

  it('spreads the phones a 503 turned away: every delay at least Retry-After, no two alike', () => {
    const delays = [0, 0.1, 0.37, 0.5, 0.8, 0.999].map((r) => retryAfterDelay(5000, () => r))
    expect(Math.min(...delays)).toBeGreaterThanOrEqual(5000)
    expect(Math.max(...delays)).toBeLessThanOrEqual(7500)
    expect(new Set(delays).size).toBe(delays.length)
  })

  it('after a timeout the item is not sent again while the first attempt may still be running', async () => {
    const c = clock()
    const { ob, transport } = make({
      clock: c,
      script: { p1: (n) => (n === 1 ? { status: 0, error: { code: 'network_error', message: 'timeout' }, unfinished: true } : 200) },
    })
    await ob.enqueue([photo('p1')])
    await ob.drain()
    let [it] = await ob.list()
    expect(it.nextAttemptAt - c.now()).toBe(UNFINISHED_GRACE_MS)
    c.advance(UNFINISHED_GRACE_MS - 1)
    await ob.drain({ force: true }) // the person taps 立即发送: still not a second copy in flight
    expect(transport.sent).toEqual(['p1'])
    c.advance(1)
    await ob.drain()
    expect(transport.sent).toEqual(['p1', 'p1'])
    expect(await ob.list()).toEqual([])
  })

  it('the JSON transport passes Retry-After and timeouts on to the outbox', async () => {
    const realFetch = globalThis.fetch
    try {
      globalThis.fetch = async () =>
        new Response(JSON.stringify({ error: { code: 'overloaded', message: 'busy' } }), {
          status: 503,
          headers: { 'Content-Type': 'application/json', 'Retry-After': '7' },
        })
      const busy = await postForResult('/api/tickets', {})
      expect(busy).toMatchObject({ status: 503, retryAfterMs: 7000, unfinished: false, error: { code: 'overloaded' } })

      // A server that never answers: the client gives up, and says the attempt may still be running.
      globalThis.fetch = (_url, { signal }) =>
        new Promise((_resolve, reject) => signal.addEventListener('abort', () => reject(new DOMException('aborted', 'AbortError'))))
      vi.useFakeTimers()
      const pending = postForResult('/api/tickets', {})
      await vi.advanceTimersByTimeAsync(30000)
      expect(await pending).toMatchObject({ status: 0, unfinished: true, error: { code: 'network_error', message: 'timeout' } })
    } finally {
      vi.useRealTimers()
      globalThis.fetch = realFetch
    }
  })
})

describe('ack then delete', () => {
  it('deletes an item only after the server acknowledged it', async () => {
    const storage = memoryStorage()
    let seenDuringSend = null
    const transport = {
      async send(item) {
        seenDuringSend = storage.m.has(item.id)
        return { status: 201, data: {} }
      },
    }
    const { ob } = make({ storage, transport })
    await ob.enqueue([photo('p1')])
    await ob.drain()
    expect(seenDuringSend).toBe(true)
    expect(storage.m.size).toBe(0)
  })

  it('replaying an acknowledged-but-unrecorded item is harmless (same id → server answers 200)', async () => {
    // The ack is lost (tab closed after the server stored it): the item is sent again with the same id.
    const storage = memoryStorage()
    const server = new Map()
    let crash = true
    const transport = {
      async send(item) {
        const first = !server.has(item.id)
        server.set(item.id, item.body)
        if (crash) {
          crash = false
          throw new TypeError('connection reset after the server committed')
        }
        return { status: first ? 201 : 200, data: {} }
      },
    }
    const { ob } = make({ storage, transport })
    await ob.enqueue([ticket('t1', [])])
    await ob.drain()
    await ob.drain({ force: true })
    expect(server.size).toBe(1)
    expect(storage.m.size).toBe(0)
  })
})

describe('409 and other refusals', () => {
  it('409 needs attention: kept, never dropped, never retried by itself; independent items go on', async () => {
    const c = clock()
    const { ob, transport } = make({ clock: c, script: { p1: 409 } })
    await ob.enqueue([photo('p1'), ticket('t1', ['p1'])])
    await ob.enqueue([photo('p9'), ticket('t9', ['p9'])])
    await ob.drain()
    expect(transport.sent).toEqual(['p1', 'p9', 't9'])
    const left = await ob.list()
    expect(left.map((i) => [i.id, i.state])).toEqual([
      ['p1', STATE.ATTENTION],
      ['t1', STATE.WAITING],
    ])
    expect(left[0].lastError.status).toBe(409)
    expect(left[0].lastError.code).toBe('idempotency_conflict')
    c.advance(24 * 3600 * 1000)
    await ob.drain({ force: true })
    expect(transport.sent).toEqual(['p1', 'p9', 't9']) // still not retried blindly
    expect((await ob.list()).length).toBe(2)
  })

  it('a person can put an attention item back in the queue', async () => {
    const { ob, transport } = make({ script: { p1: (n) => (n === 1 ? 422 : 200) } })
    await ob.enqueue([photo('p1'), ticket('t1', ['p1'])])
    await ob.drain()
    expect((await ob.list())[0].state).toBe(STATE.ATTENTION)
    await ob.retry('p1')
    await ob.drain()
    expect(transport.sent).toEqual(['p1', 'p1', 't1'])
    expect(await ob.list()).toEqual([])
  })

  it('a refused photo dropped from a report: the report goes on with its other photos', async () => {
    const { ob, transport, storage } = make({ script: { p2: 422 } })
    await ob.enqueue([photo('p1'), photo('p2'), ticket('t1', ['p1', 'p2'])])
    await ob.drain()
    expect((await ob.list()).map((i) => [i.id, i.state])).toEqual([['p2', STATE.ATTENTION], ['t1', STATE.WAITING]])
    await ob.discard('p2')
    expect(storage.m.get('t1').photoIds).toEqual(['p1'])
    expect(storage.m.get('t1').body.photo_ids).toEqual(['p1'])
    await ob.drain()
    expect(transport.sent).toEqual(['p1', 'p2', 't1'])
    expect(transport.server.tickets.has('t1')).toBe(true)
    expect(await ob.list()).toEqual([])
  })

  it('a report\'s only photo dropped takes the report with it; other items keep theirs', async () => {
    const { ob, storage } = make({ script: { p1: 422 } })
    const answers = [{ item_id: 1, photo_ids: ['p1', 'p3'] }, { item_id: 2, photo_ids: ['p1'] }]
    await ob.enqueue([photo('p1'), photo('p3'), ticket('t1', ['p1']), action('a1', 't9', ['p1']),
      { id: 'e1', kind: 'evalResult', roundId: 1, siteId: 2, photoIds: ['p1', 'p3'], body: { id: 'e1', answers } }])
    await ob.drain()
    const { users, emptied } = withoutPhoto(await ob.list(), 'p1')
    expect(users.map((u) => u.id).sort()).toEqual(['a1', 'e1', 't1'])
    expect(emptied.map((u) => u.id).sort()).toEqual(['a1', 't1']) // a report and a rectification need one
    await ob.discard('p1')
    const left = Object.fromEntries((await ob.list()).map((i) => [i.id, i]))
    expect(Object.keys(left).sort()).toEqual(['e1'])
    expect(left.e1.photoIds).toEqual(['p3'])
    expect(left.e1.body.answers.map((a) => a.photo_ids)).toEqual([['p3'], []])
    expect(storage.m.has('t1')).toBe(false)
  })

  it('401 pauses the queue without losing anything', async () => {
    const { ob, transport } = make({ script: { p1: (n) => (n === 1 ? 401 : 200) } })
    const events = []
    ob.on((e) => events.push(e.type))
    await ob.enqueue([photo('p1')])
    await ob.drain()
    expect(events).toContain('auth-required')
    expect(ob.paused).toBe('auth')
    await ob.drain()
    expect(transport.sent).toEqual(['p1'])
    ob.resume()
    await ob.drain()
    expect(await ob.list()).toEqual([])
  })
})

describe('one drain at a time', () => {
  it('concurrent drains in one tab do not send an item twice', async () => {
    const { ob, transport } = make()
    await ob.enqueue([photo('p1'), photo('p2'), ticket('t1', ['p1', 'p2'])])
    await Promise.all([ob.drain(), ob.drain(), ob.drain()])
    expect(transport.sent).toEqual(['p1', 'p2', 't1'])
  })

  it('a tab that cannot get the Web Lock does not send', async () => {
    const storage = memoryStorage()
    const transport = fakeTransport()
    const busyLocks = { request: async (_n, _o, cb) => cb(null) }
    const ob = createOutbox({ storage, transport, locks: busyLocks })
    await ob.enqueue([photo('p1')])
    await ob.drain()
    expect(transport.sent).toEqual([])
    expect(storage.m.size).toBe(1)
  })

  it('reports upload progress', async () => {
    const { ob } = make()
    const progress = []
    ob.on((e) => e.type === 'progress' && progress.push(e.loaded / e.total))
    await ob.enqueue([photo('p1')])
    await ob.drain()
    expect(progress).toEqual([0.5, 1])
  })
})

describe('IndexedDB storage', () => {
  beforeEach(async () => {
    await _resetDbForTests()
    await new Promise((res) => {
      const r = indexedDB.deleteDatabase(DB_NAME)
      r.onsuccess = r.onerror = r.onblocked = () => res()
    })
  })

  it('stores photo bytes, verifies the write, and deletes them with the acked item', async () => {
    const bytes = new Uint8Array([255, 216, 255, 224, 1, 2, 3]).buffer
    await putBlobVerified({ id: 'p1', bytes, type: 'image/jpeg', size: 7 })
    const transport = fakeTransport()
    const ob = createOutbox({ storage: idbOutboxStorage, transport })
    await ob.enqueue([photo('p1'), ticket('t1', ['p1'])])
    expect((await ob.list()).map((i) => i.id)).toEqual(['p1', 't1'])
    await ob.drain()
    expect(transport.sent).toEqual(['p1', 't1'])
    expect(await ob.list()).toEqual([])
    expect(await getBlob('p1')).toBeUndefined()
  })

  it('refuses to queue a photo whose bytes are not stored (nothing half-queued)', async () => {
    const ob = createOutbox({ storage: idbOutboxStorage, transport: fakeTransport() })
    await expect(ob.enqueue([photo('nobytes'), ticket('t2', ['nobytes'])])).rejects.toThrow()
    expect(await ob.list()).toEqual([])
  })
})

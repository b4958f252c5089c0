/**
 * The outbox: every write made on this phone (photo, ticket, workflow action) is saved here first and
 * sent later, one request at a time, in the order it was made.
 *
 * Rules (also in frontend/README.md, "Offline rules as implemented"):
 *  - an item is deleted only after the server acknowledged it (2xx) — "ack, then delete";
 *  - photos travel one request each and before the ticket/action that uses them: an item waits while
 *    any photo it needs, or any earlier item on the same ticket, is still queued;
 *  - network errors, 5xx, 408 and 429 are transient: retry forever with capped exponential backoff;
 *  - a 503 or 429 with Retry-After is not tried again before that time (plus jitter, so a city's phones
 *    do not come back at the same second), and an attempt we stopped waiting for (timeout) is not
 *    repeated while the server may still be working on it; "send now" overrides neither;
 *  - 409 (idempotency conflict, wrong state) and other 4xx "need attention": kept and shown to the
 *    person, never dropped, never retried blindly; later independent items keep flowing;
 *  - 401 pauses the queue until the person logs in again;
 *  - only one tab drains at a time (Web Locks), and one drain per tab.
 *
 * The engine is independent of the DOM and of the HTTP client: storage, transport, locks and clock are
 * injected, so tests drive it with fakes.
 */

export type ActionBodies = import('../../api/types').ActionBodies
export type ActionEndpoint = import('../../api/types').ActionEndpoint
export type TicketCreate = import('../../api/types').TicketCreate
export type SendResult = import('../../api/client').SendResult

/**
 * What a person queues: a photo (bytes stored beside it), a report (TicketCreate), a workflow action
 * (the body of POST /api/tickets/{ticketId}/{action}) or a site's evaluation (ResultIn, after its photos).
 */
export type PhotoItem = { id: string; kind: 'photo'; meta?: { lat?: number; lng?: number; captured_at?: string} ; label?: string} 
export type TicketItem = { id: string; kind: 'ticket'; ticketId: string; photoIds: string[]; body: TicketCreate; label?: string} 
export type ActionItem = {
  [A in ActionEndpoint]: {
    id: string; kind: 'action'; action: A; ticketId: string; photoIds: string[]
    body: ActionBodies[A]; label?: string
  }
}[ActionEndpoint]

export type EvalResultItem = {
  id: string; kind: 'evalResult'; roundId: number; siteId: number; photoIds: string[]
  body: import('../../api/types').ResultIn; label?: string
}

export type NewItem = PhotoItem | TicketItem | ActionItem | EvalResultItem

/**
 * A queued item as stored: what was queued, plus the queue's bookkeeping.
 */
export type OutboxItem = NewItem & {
  state: 'waiting' | 'failed' | 'attention'; attempts: number; nextAttemptAt: number; notBeforeAt?: number | null
  lastError: (Partial<import('../../api/types').ErrorDetail> & { status: number; at: string} ) | null
  photoIds: string[]; ticketId: string | null; owner: string | null; seq: number; createdAt: string; updatedAt: string
}

export interface OutboxStorage {
  list: () => Promise<OutboxItem[]>
  get: (id: string) => Promise<OutboxItem | undefined>
  put: (item: OutboxItem) => Promise<unknown>
  putMany: (items: OutboxItem[]) => Promise<unknown>
  ack: (item: OutboxItem) => Promise<unknown>
}

export interface OutboxTransport {
  ping?: () => Promise<boolean>
  send: (item: OutboxItem, opts: { onProgress?: (loaded: number, total: number | null) => void} ) => Promise<SendResult>
}

export const STATE = Object.freeze({
  WAITING: 'waiting', // queued, will be sent
  FAILED: 'failed', // last try failed transiently; will retry at nextAttemptAt
  ATTENTION: 'attention', // the server refused it (409 / 4xx): a person must look
})

export const BASE_DELAY_MS = 2000
export const MAX_DELAY_MS = 5 * 60 * 1000

/** The server answers or sheds every request within 10 s; an attempt we gave up on is over after this. */
export const UNFINISHED_GRACE_MS = 15000

/** At least the server's Retry-After, spread by up to +50 % so the phones it turned away do not return at once. */
export function retryAfterDelay(retryAfterMs, random = Math.random) {
  return Math.round(retryAfterMs * (1 + 0.5 * random()))
}

/**
 * The earliest time the next attempt may go, whatever "send now" says (null: no such bound).
 */
export function notBefore(res: SendResult, now: number, random = Math.random) {
  let at: number | null = null
  if (res.retryAfterMs != null) at = now + retryAfterDelay(res.retryAfterMs, random)
  if (res.unfinished) at = Math.max(at ?? 0, now + UNFINISHED_GRACE_MS)
  return at
}

/** Capped exponential backoff with ±20 % jitter: 2 s, 4 s, 8 s … ≤ 5 min. */
export function backoffDelay(attempts, random = Math.random) {
  const exp = Math.min(MAX_DELAY_MS, BASE_DELAY_MS * 2 ** Math.max(0, attempts - 1))
  const jitter = 1 + (random() * 0.4 - 0.2)
  return Math.min(MAX_DELAY_MS, Math.round(exp * jitter))
}

/**
 * How to treat a server answer.
 */
export function classify(status: number): 'ack' | 'auth' | 'retry' | 'attention' {
  if (status >= 200 && status < 300) return 'ack'
  if (status === 401) return 'auth'
  if (status === 0 || status === 408 || status === 429 || status >= 500) return 'retry'
  return 'attention' // 409 and every other 4xx: the request itself is wrong or stale
}

/** Items that cannot go without at least one photo: a report, a rectification (the server refuses either). */
const needsPhoto = (it: { kind: string; action?: string }) => it.kind === 'ticket' || (it.kind === 'action' && it.action === 'rectify')

/**
 * What dropping one queued photo does to the items that use it: each without the photo (its list and its
 * body's photo_ids, an evaluation's answers included), and those of them left without the photo they need.
 */
export function withoutPhoto<T extends OutboxItem>(items: T[], photoId: string): { users: T[]; emptied: T[] } {
  const users = items.filter((it) => it.kind !== 'photo' && (it.photoIds || []).includes(photoId)).map((it) => {
    const keep = (ids?: string[]) => (ids || []).filter((id) => id !== photoId)
    const body = { ...(it as { body: Record<string, unknown> }).body }
    if (Array.isArray(body.photo_ids)) body.photo_ids = keep(body.photo_ids as string[])
    if (Array.isArray(body.answers)) body.answers = (body.answers as { photo_ids?: string[] }[]).map((a) => ({ ...a, photo_ids: keep(a.photo_ids) }))
    return { ...it, photoIds: keep(it.photoIds), body } as T
  })
  return { users, emptied: users.filter((it) => needsPhoto(it) && !it.photoIds.length) }
}

/**
 * Items that may not be sent yet because something they depend on is still queued.
 * Returns Map(itemId → id of the blocking item).
 */
export function blockedBy(items: Array<{ id: string; photoIds?: string[]; ticketId?: string | null }>): Map<string, string> {
  const queued = new Set(items.map((i) => i.id))
  const blocked = new Map()
  const seenTicketItems = new Map<string, string>() // ticketId → first queued item touching it
  for (const it of items) {
    let by: string | null | undefined = null
    for (const pid of it.photoIds || []) {
      if (pid !== it.id && queued.has(pid)) {
        by = pid
        break
      }
    }
    if (!by && it.ticketId && seenTicketItems.has(it.ticketId)) by = seenTicketItems.get(it.ticketId)
    if (by) blocked.set(it.id, by)
    if (it.ticketId && !seenTicketItems.has(it.ticketId)) seenTicketItems.set(it.ticketId, it.id)
  }
  return blocked
}

export function sortItems<T extends { seq: number; id: string }>(items: T[]) {
  return [...items].sort((a, b) => a.seq - b.seq || (a.id < b.id ? -1 : 1))
}

/** In-tab fallback when the Web Locks API is missing (old Safari, jsdom). */
function localLocks() {
  let held = false
  return {
    async request(_name, opts, cb) {
      if (held) return opts?.ifAvailable ? cb(null) : undefined
      held = true
      try {
        return await cb({ name: _name })
      } finally {
        held = false
      }
    },
  }
}

/** What `on` listeners receive: the event's type and what it carries (id, item, error, …). */
export type OutboxEvent = { type: string; [key: string]: any }

export interface OutboxOptions {
  storage: OutboxStorage
  transport: OutboxTransport
  locks?: { request: Function} 
  now?: () => number
  random?: () => number
  setTimer?: (fn: () => void, ms: number) => any
  clearTimer?: (handle: any) => void
  currentOwner?: () => string | null
  lockName?: string
}

export function createOutbox({
  storage,
  transport,
  locks = globalThis.navigator?.locks ?? localLocks(),
  now = () => Date.now(),
  random = Math.random,
  setTimer = (fn, ms) => setTimeout(fn, ms),
  clearTimer = (h) => clearTimeout(h),
  currentOwner = () => null,
  lockName = 'xuncha-outbox',
}: OutboxOptions) {
  const listeners = new Set<(event: OutboxEvent) => void>()
  let draining = false
  let drainAgain = false
  let timer: unknown = null
  let paused: string | null = null // reason string when paused (e.g. 'auth')
  let sendingId: string | null = null
  let seqCounter = 0

  function emit(type: string, payload: Record<string, unknown> = {}) {
    for (const l of listeners) {
      try {
        l({ type, ...payload })
      } catch (e) {
        console.error(e)
      }
    }
  }

  function nextSeq() {
    seqCounter = (seqCounter + 1) % 1000
    return now() * 1000 + seqCounter
  }

  function schedule(at) {
    if (timer) clearTimer(timer)
    timer = null
    if (at == null) return
    const ms = Math.max(0, at - now())
    timer = setTimer(() => {
      timer = null
      drain()
    }, ms)
  }

  /**
   * Queue items atomically (e.g. two photos + their ticket). Each item: {id, kind, ...}.
   * Photo bytes must already be stored (see db.putBlobVerified).
   */
  async function enqueue(items) {
    const t = new Date(now()).toISOString()
    const owner = currentOwner()
    const full = items.map((it) => ({
      state: STATE.WAITING,
      attempts: 0,
      nextAttemptAt: 0,
      lastError: null,
      photoIds: [],
      ticketId: null,
      owner,
      ...it,
      seq: nextSeq(),
      createdAt: t,
      updatedAt: t,
    }))
    await storage.putMany(full)
    emit('changed')
    return full
  }

  async function list() {
    return sortItems(await storage.list())
  }

  /** Pick the first item that may go now, or tell when to look again. */
  function pick(items, force) {
    const blocked = blockedBy(items)
    const owner = currentOwner()
    let wakeAt = null
    for (const it of items) {
      if (it.state === STATE.ATTENTION) continue
      if (owner && it.owner && it.owner !== owner) continue // someone else's: needs their login
      if (blocked.has(it.id)) continue
      const held = it.notBeforeAt && it.notBeforeAt > now() // Retry-After or a possibly running attempt
      const due = !held && (force || !it.nextAttemptAt || it.nextAttemptAt <= now())
      if (due) return { item: it }
      // Head of line is backing off: keep order, wait for it.
      wakeAt = held ? Math.max(it.notBeforeAt, force ? 0 : it.nextAttemptAt || 0) : it.nextAttemptAt
      return { item: null, wakeAt }
    }
    return { item: null, wakeAt }
  }

  async function sendOne(item) {
    sendingId = item.id
    emit('sending', { id: item.id })
    let res
    try {
      res = await transport.send(item, {
        onProgress: (loaded, total) => emit('progress', { id: item.id, loaded, total }),
      })
    } catch (e) {
      res = { status: 0, error: { code: 'network_error', message: String(e?.message || e) } }
    } finally {
      sendingId = null
    }
    const verdict = classify(res.status)
    const t = new Date(now()).toISOString()
    if (verdict === 'ack') {
      await storage.ack(item) // delete only now, after the server said yes
      emit('acked', { id: item.id, item, data: res.data })
      return 'ack'
    }
    const lastError = { status: res.status, ...(res.error || {}), at: t }
    if (verdict === 'auth') {
      await storage.put({ ...item, lastError, updatedAt: t })
      paused = 'auth'
      emit('auth-required', { id: item.id })
      return 'stop'
    }
    if (verdict === 'attention') {
      await storage.put({ ...item, state: STATE.ATTENTION, lastError, updatedAt: t })
      emit('attention', { id: item.id, error: lastError })
      return 'next'
    }
    const attempts = (item.attempts || 0) + 1
    const notBeforeAt = notBefore(res, now(), random)
    const nextAttemptAt = Math.max(now() + backoffDelay(attempts, random), notBeforeAt ?? 0)
    await storage.put({ ...item, state: STATE.FAILED, attempts, nextAttemptAt, notBeforeAt, lastError, updatedAt: t })
    emit('failed', { id: item.id, error: lastError, nextAttemptAt })
    return 'stop'
  }

  async function drainLocked(force) {
    if (transport.ping && !(await transport.ping())) {
      // Not reachable: do not burn attempts, look again later.
      const items = await list()
      if (items.some((i) => i.state !== STATE.ATTENTION)) schedule(now() + (force ? BASE_DELAY_MS : backoffDelay(3, random)))
      emit('unreachable')
      return
    }
    for (;;) {
      const items = await list()
      const { item, wakeAt } = pick(items, force)
      if (!item) {
        schedule(wakeAt)
        return
      }
      const r = await sendOne(item)
      emit('changed')
      if (r === 'stop') {
        const fresh = await list()
        const head = pick(fresh, false)
        schedule(paused ? null : head.wakeAt)
        return
      }
    }
  }

  /** Send what can be sent. Safe to call any time, from anywhere; concurrent calls coalesce. */
  async function drain({ force = false } = {}) {
    if (force) paused = null
    if (paused) return
    if (draining) {
      drainAgain = true
      return
    }
    draining = true
    emit('drain-start')
    try {
      do {
        drainAgain = false
        await locks.request(lockName, { ifAvailable: true }, async (lock) => {
          if (!lock) {
            emit('locked-elsewhere')
            return
          }
          await drainLocked(force)
        })
      } while (drainAgain && !paused)
    } catch (e) {
      console.error('outbox drain failed', e)
      schedule(now() + backoffDelay(2, random))
    } finally {
      draining = false
      emit('drain-end')
    }
  }

  /** Put an item that needed attention back into the queue (the person fixed the cause). */
  async function retry(id) {
    const it = await storage.get(id)
    if (!it) return
    await storage.put({ ...it, state: STATE.WAITING, attempts: 0, nextAttemptAt: 0, updatedAt: new Date(now()).toISOString() })
    emit('changed')
  }

  /**
   * Only ever called after the person confirmed (and was offered the export). A photo the server refused is
   * taken out of the report or action that uses it, which then goes without it and is put back in the queue;
   * one left without the photo it needs (the report's only photo) goes with it, as the person was told.
   */
  async function discard(id) {
    const it = await storage.get(id)
    if (!it) return
    if (it.kind === 'photo') {
      const { users, emptied } = withoutPhoto(await storage.list(), id)
      const gone = new Set(emptied.map((u) => u.id))
      const at = new Date(now()).toISOString()
      const kept = users.filter((u) => !gone.has(u.id))
        .map((u) => (u.state === STATE.ATTENTION ? { ...u, state: STATE.WAITING, attempts: 0, nextAttemptAt: 0, updatedAt: at } : { ...u, updatedAt: at }))
      if (kept.length) await storage.putMany(kept)
      for (const u of emptied) await storage.ack(u)
    }
    await storage.ack(it)
    emit('changed')
  }

  function resume() {
    paused = null
  }

  return {
    enqueue,
    list,
    drain,
    retry,
    discard,
    resume,
    on(fn: (event: OutboxEvent) => void) {
      listeners.add(fn)
      return () => listeners.delete(fn)
    },
    get draining() {
      return draining
    },
    get sendingId() {
      return sendingId
    },
    get paused() {
      return paused
    },
    stop() {
      schedule(null)
    },
  }
}
